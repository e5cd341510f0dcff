"""KPIs: rollups, KPI jobs, dashboards, exports, staffing with Erlang C (level 6, imported by nothing).

The room is registered now so the app's shape is final; its jobs and endpoints arrive with the KPI work.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register yet."""
