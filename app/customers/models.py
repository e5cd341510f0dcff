"""Customer profiles, their organizations, contact points, tags, custom fields, history and CSV imports."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.customers.privacy import models as _privacy  # noqa: F401  (the access log's table)
from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.imports import ImportRecord

if TYPE_CHECKING:
    from app.accounts.models import Agent


# Limits of the data, shared by the services (which enforce them for every caller, the CSV import
# included) and the API schemas (which document them). Patterns end in `\Z`: `$` would also accept a
# trailing newline.
NAME_MAX = 200
NOTES_MAX = 10_000
TAG_MAX = 50
MAX_TAGS = 50
MAX_CONTACTS = 20
MAX_MONEY = Decimal("999999999999.99")
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*\Z")
CURRENCY = re.compile(r"^[A-Z]{3}\Z")
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}\Z")
MAX_CHOICES = 100
# Ids are 32-bit integers on PostgreSQL; asking it for a larger one is an error, not an empty result.


class ContactKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"


class ContactLabel(StrEnum):
    WORK = "work"
    HOME = "home"
    MOBILE = "mobile"
    OTHER = "other"


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    WEB = "web"
    CHAT = "chat"
    SMS = "sms"


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    CHOICE = "choice"


class Organization(db.Model):
    """A company or institution customers belong to. Names are unique regardless of case (the service
    checks case; the constraint is the backstop for exact-case races)."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    domain: Mapped[str | None] = mapped_column(String(253))
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Customer(db.Model):
    """The 360° profile. Soft-deleted (`deleted_at`) rather than removed, because tickets, calls and
    surveys keep pointing at it; a merged customer is deleted and names its survivor in `merged_into_id`."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )
    # A code of app.i18n.LANGUAGES and an IANA zone name: the portal and e-mails speak and date in them.
    preferred_language: Mapped[str | None] = mapped_column(String(10))
    timezone: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(10))
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    consent_email: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_phone: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_marketing: Mapped[bool] = mapped_column(Boolean, default=False)
    revenue_12m: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    lifetime_revenue: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Computed by the kpi room's jobs (through a service of this room), never typed in.
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    value_tier: Mapped[str | None] = mapped_column(String(10))
    churn_risk: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )

    organization: Mapped[Organization | None] = relationship()
    contact_points: Mapped[list[ContactPoint]] = relationship(
        back_populates="customer", cascade="all, delete-orphan", order_by="ContactPoint.id"
    )
    tags: Mapped[list[CustomerTag]] = relationship(cascade="all, delete-orphan", order_by="CustomerTag.tag")

    def _contacts(self, kind: str) -> list[ContactPoint]:
        points = [cp for cp in self.contact_points if cp.kind == kind]
        return sorted(points, key=lambda cp: not cp.is_primary)

    @property
    def emails(self) -> list[ContactPoint]:
        return self._contacts(ContactKind.EMAIL)

    @property
    def phones(self) -> list[ContactPoint]:
        return self._contacts(ContactKind.PHONE)

    @property
    def primary_email(self) -> str | None:
        return next((cp.value for cp in self.emails), None)

    @property
    def primary_phone(self) -> str | None:
        return next((cp.value for cp in self.phones), None)

    @property
    def tag_names(self) -> list[str]:
        return sorted(t.tag for t in self.tags)

    @property
    def consent(self) -> dict[str, bool]:
        return {
            "email": self.consent_email,
            "sms": self.consent_sms,
            "phone": self.consent_phone,
            "marketing": self.consent_marketing,
        }

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.name!r}>"


class ContactPoint(db.Model):
    """An e-mail (lowercased) or phone (E.164) of a customer, normalized so one index finds its owner.

    `(kind, value)` is indexed but not unique: soft-deleted customers keep theirs, and a new customer
    may reuse them.
    """

    __tablename__ = "contact_points"
    __table_args__ = (
        Index("ix_contact_points_kind_value", "kind", "value"),
        UniqueConstraint("customer_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the unique constraint below, which starts with it.
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[str] = mapped_column(String(254))
    label: Mapped[str] = mapped_column(String(10), default=ContactLabel.OTHER)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="contact_points")


class CustomerTag(db.Model):
    __tablename__ = "customer_tags"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(TAG_MAX), primary_key=True, index=True)


class CustomFieldDefinition(db.Model):
    """What a key in `Customer.custom_fields` may hold; values are checked against it on every write."""

    __tablename__ = "customer_field_definitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    label: Mapped[str] = mapped_column(String(120))
    type: Mapped[str] = mapped_column(String(10))
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustomerEvent(db.Model):
    """One change to a profile: its history, the merge audit record and the timeline's first source.

    `data` holds what changed, e.g. `{"name": ["Old", "New"]}` for an update.
    """

    __tablename__ = "customer_events"
    __table_args__ = (Index("ix_customer_events_customer_id_occurred_at", "customer_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Agent | None] = relationship("Agent")


class CustomerImport(ImportRecord, db.Model):
    """A CSV file uploaded through the API, kept with its outcome; the job processes it by id."""

    __tablename__ = "customer_imports"

    updated_count: Mapped[int] = mapped_column(Integer, default=0)
