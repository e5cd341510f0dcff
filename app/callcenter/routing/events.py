"""Socket.IO events of routing on the `/agents` namespace: a console answers its offer."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import ValidationError

from app.accounts.models import Agent
from app.callcenter.routing import schemas, services
from app.errors import Invalid

_ANSWER = schemas.OfferAnswerSchema()
_OFFER = schemas.OfferSchema()


def _offer_id(data: Any) -> int:
    try:
        return _ANSWER.load(data if isinstance(data, dict) else {})["offer_id"]
    except ValidationError as error:
        raise Invalid(_l("Invalid offer."), error.messages) from error


def accept(agent: Agent, data: Any) -> dict[str, Any]:
    """`offer.accept` {offer_id}: take the work offered."""
    return {"offer": _OFFER.dump(services.accept_offer(_offer_id(data), actor=agent))}


def decline(agent: Agent, data: Any) -> dict[str, Any]:
    """`offer.decline` {offer_id}: turn it down; it goes to the next agent."""
    return {"offer": _OFFER.dump(services.decline_offer(_offer_id(data), actor=agent))}
