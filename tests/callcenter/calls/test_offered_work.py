"""Work routing offered and an agent accepted becomes theirs: a callback is done by them, and leaves
them free for the next piece of work."""

from __future__ import annotations

from app.callcenter.calls import services as calls
from app.callcenter.calls.models import CallbackRequest
from app.callcenter.routing import services as routing
from app.dbtypes import utcnow
from app.extensions import db
from tests.callcenter.routing.helpers import offers, pending, queue_for, ready_agent


def request(queue, phone):
    return calls.request_callback(phone=phone, requested_for=utcnow(), queue_id=queue.id, actor=None)


def test_a_callback_the_agent_took_leaves_them_free_for_the_next_one(app):
    """Accepting a callback's offer makes it done, by that agent: it no longer counts against their
    call capacity, so routing offers them the next callback waiting in the queue."""
    agent = ready_agent()
    queue = queue_for(agent)
    first = request(queue, "+12015550101")
    second = request(queue, "+12015550102")
    assert pending() == [(agent.id, "callback", first.id)]

    routing.accept_offer(offers()[0].id, actor=agent)

    done = db.session.get(CallbackRequest, first.id)
    assert (done.status, done.agent_id) == ("done", agent.id)
    assert pending() == [(agent.id, "callback", second.id)]
