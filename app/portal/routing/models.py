"""The web form's routing map: which queue a submission lands in, and how severe a complaint counts.

One map for the desk (`WebFormRouting`, a single row carrying the map's version and the default queue)
and a route per form (`WebFormRoute`: a complaint category, or `request` for the support form). A queue
that is deleted leaves its routes without one, and their submissions go to the default queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.dbtypes import UTCDateTime
from app.extensions import db
from app.tickets.models import ComplaintCategory, Severity
from app.versions import Versioned

# The support (request) form's route, beside the complaint categories.
REQUEST_FORM = "request"
FORMS: tuple[str, ...] = (*(category.value for category in ComplaintCategory), REQUEST_FORM)
MAP_ID = 1


class WebFormRouting(Versioned, db.Model):
    """The map as a whole: one row (id 1), whose version every change of the map bumps."""

    __tablename__ = "web_form_routing"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Where a submission goes when its form has no queue of its own; none: no queue.
    default_queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    routes: Mapped[list[WebFormRoute]] = relationship(
        cascade="all, delete-orphan", order_by="WebFormRoute.form", lazy="selectin"
    )

    @property
    def all_routes(self) -> list[dict[str, Any]]:
        """Every form's route in the forms' order, those never set as they apply (the default queue,
        medium severity)."""
        stored = {route.form: route for route in self.routes}
        return [
            {
                "form": form,
                "queue_id": stored[form].queue_id if form in stored else None,
                "severity": None
                if form == REQUEST_FORM
                else (stored[form].severity if form in stored else None) or Severity.MEDIUM.value,
            }
            for form in FORMS
        ]


class WebFormRoute(db.Model):
    """One form's route: its queue (none: the default queue) and, for a complaint category, the
    severity its complaints are given (none: medium)."""

    __tablename__ = "web_form_routes"

    routing_id: Mapped[int] = mapped_column(
        ForeignKey("web_form_routing.id", ondelete="CASCADE"), primary_key=True
    )
    form: Mapped[str] = mapped_column(String(20), primary_key=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id", ondelete="SET NULL"))
    severity: Mapped[str | None] = mapped_column(String(10))


# The map exists from the start, so reading and changing it never races to create it (the migration
# adds the same row).
event.listen(
    WebFormRouting.__table__,
    "after_create",
    DDL(f"INSERT INTO web_form_routing (id, version) VALUES ({MAP_ID}, 1)"),
)
