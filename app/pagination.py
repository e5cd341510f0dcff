"""Paging SQLAlchemy `select()` statements: the API's `@bp.paginate(SelectPage)`, the pages' `page_number`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_smorest import Page
from marshmallow import EXCLUDE, Schema
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.errors import Invalid
from app.extensions import db

# The last page a list page shows: its OFFSET stays far below what the database stores.
MAX_PAGE = 100_000


def page_number(args: MultiDict) -> int:
    """The page a list page was asked for (`?page=`; the first when absent or not a number); Invalid
    naming `page` when it is out of range."""
    page = args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:
        raise Invalid(
            _l("The request has invalid fields."),
            {"page": [_l("Must be from 1 to %(max_page)s.", max_page=MAX_PAGE)]},
        )
    return page


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
