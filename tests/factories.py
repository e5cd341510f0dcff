"""factory_boy factories for the models tests need."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory

from app.accounts import passwords
from app.accounts.models import Agent, Team
from app.extensions import db

PASSWORD = "correct horse battery"
# Hashing once: Argon2 is slow on purpose, and most tests only need some valid hash.
_PASSWORD_HASH = passwords.hash_password(PASSWORD)

_FACTORIES: list[type[SQLAlchemyModelFactory]] = []


def register(factory_class):
    _FACTORIES.append(factory_class)
    return factory_class


def bind_factories() -> None:
    """Point every factory at the current app's session (a fresh app per test)."""
    for factory_class in _FACTORIES:
        factory_class._meta.sqlalchemy_session_factory = lambda: db.session


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_persistence = "commit"


@register
class AgentFactory(BaseFactory):
    class Meta:
        model = Agent

    email = factory.Sequence(lambda n: f"agent{n}@example.com")
    name = factory.Faker("name")
    role = "agent"
    password_hash = _PASSWORD_HASH


@register
class TeamFactory(BaseFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
