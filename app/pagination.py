"""Paging SQLAlchemy `select()` statements for flask-smorest's `@bp.paginate(SelectPage)`."""

from __future__ import annotations

from flask_smorest import Page
from marshmallow import EXCLUDE, Schema
from sqlalchemy import func, select

from app.extensions import db


class SelectPage(Page):
    """The view returns a `select()`; this runs it for one page and counts the whole result."""

    @property
    def items(self):
        params = self.page_params
        if params.first_item >= params.item_count:
            # Past the end: no query, so a huge `page` cannot overflow the database's OFFSET.
            return []
        query = self.collection.limit(params.page_size).offset(params.first_item)
        return db.session.scalars(query).unique().all()

    @property
    def item_count(self) -> int:
        return db.session.scalar(select(func.count()).select_from(self.collection.order_by(None).subquery()))


class QuerySchema(Schema):
    """Base of query-string schemas: the paging parameters share the query string, so other keys pass."""

    class Meta:
        unknown = EXCLUDE
