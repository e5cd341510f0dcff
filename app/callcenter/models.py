"""Tables of the call center: the break reason codes agents pick when they go on break."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.dbtypes import UTCDateTime, utcnow
from app.extensions import db
from app.versions import Versioned

# The longest break a reason may allow: a shift.
MAX_BREAK_MINUTES = 480
DESCRIPTION_MAX = 2000


class BreakReason(Versioned, db.Model):
    """Why an agent is away from the queues ("Lunch", "Training", "Coaching"): a named setting the agent
    console offers when its agent goes on break, so the time away is counted by reason."""

    __tablename__ = "break_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Paid breaks (training, coaching) count as working time in staffing figures; unpaid ones (lunch) not.
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    # How long a break of this kind should last; a longer one is overdue. None: no limit.
    max_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
