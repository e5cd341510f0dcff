"""Jobs of the wallboard: recompute a scope's figures and publish them (booked by `services.request_refresh`,
at once or as the trailing run of a burst). Idempotent: a run publishes the figures as they are now."""

from __future__ import annotations

from app.callcenter.wallboard import services


def refresh(scope: str, trailing: bool = False) -> None:
    services.publish_refresh(scope, trailing=trailing)
