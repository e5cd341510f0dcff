"""A use case that refuses leaves the session as it found it; one inside another undoes only its own part."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from app.accounts.models import Skill
from app.errors import Conflict, Invalid
from app.extensions import db
from app.unit_of_work import roll_back, unit_of_work
from tests.helpers import nothing_pending, statements_seen


def _stored() -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Skill.name)))


@unit_of_work
def _add_then_refuse(name: str) -> None:
    db.session.add(Skill(name=name))
    db.session.flush()
    raise Invalid("Refused after writing.")


@unit_of_work
def _add(name: str) -> Skill:
    skill = Skill(name=name)
    db.session.add(skill)
    db.session.commit()
    return skill


def test_a_refusal_rolls_back_what_the_use_case_wrote(app):
    with pytest.raises(Invalid):
        _add_then_refuse("billing")

    assert nothing_pending()
    assert _stored() == []


def test_a_refusal_forgets_changes_to_loaded_rows(app):
    skill = _add("billing")

    @unit_of_work
    def rename_then_refuse():
        skill.name = "invoices"
        raise Conflict("Refused after changing.")

    with pytest.raises(Conflict):
        rename_then_refuse()

    assert nothing_pending()
    assert skill.name == "billing"


def test_an_inner_refusal_caught_by_the_outer_use_case_keeps_the_outer_work(app):
    @unit_of_work
    def outer():
        db.session.add(Skill(name="billing"))
        db.session.flush()
        with contextlib.suppress(Invalid):
            _add_then_refuse("refunds")
        db.session.commit()

    outer()

    assert _stored() == ["billing"]


def test_an_inner_refusal_the_outer_lets_through_undoes_both(app):
    @unit_of_work
    def outer():
        db.session.add(Skill(name="billing"))
        db.session.flush()
        _add_then_refuse("refunds")

    with pytest.raises(Invalid):
        outer()

    assert nothing_pending()
    assert _stored() == []


def test_an_inner_use_case_that_commits_commits_the_outer_work_with_its_own(app):
    @unit_of_work
    def outer():
        db.session.add(Skill(name="billing"))
        db.session.flush()
        _add("refunds")

    outer()

    assert _stored() == ["billing", "refunds"]


def test_an_inner_use_case_after_the_outer_committed_needs_no_savepoint(app):
    @unit_of_work
    def outer():
        _add("billing")
        with statements_seen(db.engine) as statements, pytest.raises(Invalid):
            _add_then_refuse("refunds")
        return statements

    statements = outer()

    assert not any("SAVEPOINT" in statement.upper() for statement in statements)
    assert _stored() == ["billing"]


def test_roll_back_lets_a_use_case_read_the_stored_state_and_go_on(app):
    skill = _add("billing")

    @unit_of_work
    def rename_and_look_again():
        skill.name = "invoices"
        db.session.flush()
        roll_back()
        return db.session.get(Skill, skill.id).name

    assert rename_and_look_again() == "billing"


def test_roll_back_inside_another_use_case_keeps_the_outer_work(app):
    @unit_of_work
    def inner():
        db.session.add(Skill(name="refunds"))
        db.session.flush()
        roll_back()
        db.session.add(Skill(name="invoices"))
        db.session.flush()
        raise Invalid("Refused after looking again.")

    @unit_of_work
    def outer():
        db.session.add(Skill(name="billing"))
        db.session.flush()
        with pytest.raises(Invalid):
            inner()
        db.session.commit()

    outer()

    assert _stored() == ["billing"]
