"""Settings pages: the browser's side of the desk's setup (queues, SLA policies, calendars, macros, custom
fields, teams, people...), one shape for every kind.

A room describes a kind's pages once as `SettingPages`: its form, how its rows are listed and loaded,
and the use cases that create, change and delete them (the same ones the API calls, so the rules and
their messages are the API's). Its views are then one line each, behind the room's own access rule:
the list, a new one, one to change, and deleting one after a confirmation that says what deleting does.

What every kind's pages share is here:
- a refused form comes back filled in, with the service's field messages beside the fields
  (`ServiceErrorsMixin.show_errors`) and the others above the form;
- a change names the version the page showed (a hidden field); one someone else changed meanwhile is
  refused by the use case (`StaleVersion`) and the page shows the setting as it is now beside the form,
  still holding what the person typed, now naming the current version, so saving again is a choice;
- a deletion is versioned the same way, and a refusal (a calendar still in use) is shown on the
  confirmation page; a setting that is gone is the 404 page.

`/settings` lists the sections a person may manage: each room adds its own (`add_section`) from its
`init_app`, naming the permission the accounts room checks; the kernel knows no room.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import HiddenInput

from app.errors import AppError, Invalid
from app.forms import ServiceErrorsMixin, flat_messages
from app.inputs import MAX_ID
from app.versions import StaleVersion

_EXTENSION = "setting_sections"


@dataclass(frozen=True)
class Section:
    """One entry of the settings index. `permission` is the access rule's permission of its pages (the
    accounts room shows the entry to those holding it); `title` and `description` are lazy texts."""

    endpoint: str
    title: Any
    description: Any
    permission: Any


def add_section(app: Flask, section: Section) -> None:
    app.extensions.setdefault(_EXTENSION, []).append(section)


def sections() -> list[Section]:
    """Every section, in the order the rooms added them."""
    return list(current_app.extensions.get(_EXTENSION, ()))


class SettingForm(ServiceErrorsMixin, FlaskForm):
    """A kind's form: its fields, the values its use cases take, and the values a row fills it with.

    `version` is the version the page showed: the edit view refuses a form without it, and a new
    setting has none.
    """

    version = IntegerField(
        widget=HiddenInput(), validators=[Optional(), NumberRange(min=1, max=MAX_ID)], default=None
    )

    def offer(self) -> None:
        """Fill in the choices that come from the database (queues, teams...), before validating."""

    def values(self) -> dict[str, Any]:
        """What the use case takes: `{field: value}` without the version."""
        raise NotImplementedError

    @classmethod
    def data_of(cls, row: Any) -> dict[str, Any]:
        """A stored row as the form's data."""
        raise NotImplementedError

    def name_version(self, version: int) -> None:
        """Make the form name `version` while keeping everything else that was typed."""
        self.version.raw_data = None
        self.version.data = version


class DeleteForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])


@dataclass(frozen=True)
class Column:
    """A value shown for each row in the list, and as "what it holds now" beside a stale form."""

    label: Any
    value: Callable[[Any], Any]


@dataclass(frozen=True)
class SettingPages:
    """The pages of one kind. `endpoint` is the list view's endpoint; the others are named after it:
    `<endpoint>_new`, `<endpoint>_edit` and `<endpoint>_delete`, whose id is the path argument `id_name`
    (`queue_id`, as the API's paths name it)."""

    endpoint: str
    title: Any  # "Queues"
    new_title: Any  # "New queue"
    intro: Any  # what the kind is for, above the list
    form: type[SettingForm]
    rows: Callable[[], Iterable[Any]]
    # create(values, actor=...): the API's use case. A kind that is changed and deleted (edit and
    # delete views) gives the rest: get(id) (404 if gone), update(id, changes, actor=...,
    # expected_version=...), delete(id, actor=..., expected_version=...).
    create: Callable[..., Any]
    id_name: str = ""
    get: Callable[[int], Any] | None = None
    update: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    columns: Sequence[Column] = ()
    # What deleting one does, said on the confirmation page.
    deleting: Any = None
    name_of: Callable[[Any], str] = field(default=lambda row: row.name)
    # The API's request schemas: a form's values are loaded through them, so the page refuses what the
    # API refuses, with the same messages, before a use case runs.
    create_schema: Schema | None = None
    update_schema: Schema | None = None
    template: str = "settings/form.html"

    def edit_url(self, row: Any) -> str:
        return url_for(f"{self.endpoint}_edit", **{self.id_name: row.id})

    def delete_url(self, row: Any) -> str:
        return url_for(f"{self.endpoint}_delete", **{self.id_name: row.id})

    # -- the views ----------------------------------------------------------------------------------

    def index(self):
        return render_template("settings/list.html", pages=self, rows=list(self.rows()))

    def new(self, *, actor: Any):
        form = self.form()
        form.offer()
        if not form.is_submitted():
            return self._render(form)
        if not form.validate():
            return self._render(form, problem=_("Check the fields marked below."), status=422)
        try:
            row = self.create(_loaded(self.create_schema, form.values()), actor=actor)
        except AppError as error:
            return self._refused(form, error)
        flash(_("“%(name)s” was created.", name=self.name_of(row)), "success")
        return redirect(url_for(self.endpoint))

    def edit(self, setting_id: int, *, actor: Any):
        assert self.get is not None and self.update is not None, "no edit view without get and update"
        row = self.get(setting_id)
        form = self.form()
        if not form.is_submitted():
            form = self.form(formdata=None, data=self.form.data_of(row))
            form.offer()
            return self._render(form, row=row)
        form.offer()
        if not form.validate() or form.version.data is None:
            if form.version.data is None:
                form.version.errors = [_("The page did not say which version you changed; reload it.")]
            return self._render(form, row=row, problem=_("Check the fields marked below."), status=422)
        try:
            changes = _loaded(self.update_schema, form.values())
            row = self.update(
                setting_id,
                changes,
                actor=actor,
                expected_version=form.version.data,
            )
        except StaleVersion as stale:
            form.name_version(stale.current.version)
            return self._render(form, row=stale.current, current=stale.current, status=409)
        except AppError as error:
            if error.status == 404:
                raise
            return self._refused(form, error, row=row)
        flash(_("“%(name)s” was saved.", name=self.name_of(row)), "success")
        return redirect(url_for(self.endpoint))

    def remove(self, setting_id: int, *, actor: Any):
        assert self.get is not None and self.delete is not None, "no delete view without get and delete"
        row = self.get(setting_id)
        form = DeleteForm()
        if not form.is_submitted():
            return self._confirm(row, DeleteForm(formdata=None, data={"version": row.version}))
        if not form.validate():
            return self._confirm(
                row, form, problem=_("The page was too old; look again and confirm."), status=422
            )
        try:
            self.delete(setting_id, actor=actor, expected_version=form.version.data)
        except StaleVersion as stale:
            again = DeleteForm(formdata=None, data={"version": stale.current.version})
            return self._confirm(stale.current, again, stale=True, status=409)
        except AppError as error:
            if error.status == 404:
                raise
            return self._confirm(row, form, problem=error.message, status=error.status)
        flash(_("“%(name)s” was deleted.", name=self.name_of(row)), "success")
        return redirect(url_for(self.endpoint))

    # -- rendering ----------------------------------------------------------------------------------

    def _refused(self, form: SettingForm, error: AppError, *, row: Any = None):
        placed = form.show_errors(error.errors)
        unplaced = [] if placed else _unplaced(form, error.errors)
        return self._render(form, row=row, problem=error.message, unplaced=unplaced, status=error.status)

    def _render(
        self,
        form: SettingForm,
        *,
        row: Any = None,
        current: Any = None,
        problem: str | None = None,
        unplaced: Sequence[str] = (),
        status: int = 200,
    ):
        if form.version.errors:  # a hidden field: its message goes above the form
            unplaced = [*unplaced, *form.version.errors]
        return render_template(
            self.template,
            pages=self,
            form=form,
            row=row,
            current=current,
            problem=problem,
            unplaced=unplaced,
        ), status

    def _confirm(self, row: Any, form: DeleteForm, *, problem=None, stale=False, status=200):
        return render_template(
            "settings/delete.html", pages=self, row=row, form=form, problem=problem, stale=stale
        ), status


def _loaded(schema: Schema | None, values: dict[str, Any]) -> dict[str, Any]:
    if schema is None:
        return values
    try:
        return schema.load(values)
    except ValidationError as refused:
        raise Invalid(_("Check the fields marked below."), refused.normalized_messages()) from refused


def _unplaced(form: SettingForm, errors: dict[str, Any]) -> list[str]:
    """The messages of a refusal that belong to no field of the form (`_schema`, a field it lacks)."""
    names = {name for name in form._fields}
    return [
        message
        for name, messages in errors.items()
        if form.ALIASES.get(name, name) not in names
        for message in flat_messages(messages, form.name_label)
    ]
