"""Signals of the tickets room.

Announcements, sent after the commit of the change they announce. Every sender is the `Ticket`
(fresh from the database); keyword arguments:

- `ticket_opened(ticket, actor)`: a new ticket exists (any channel, not imports).
- `ticket_updated(ticket, actor, changes)`: fields changed; `changes` is `{field: (old, new)}`.
- `ticket_assigned(ticket, actor, previous_assignee_id)`: the assignee changed (claim, assign, macro, bulk).
- `ticket_commented(ticket, actor, comment)`: a public reply or internal note was added; `actor` is None
  when the customer wrote it.
- `ticket_solved(ticket, actor)`: the ticket reached `solved`.
- `ticket_reopened(ticket, actor)`: `solved -> open` (by an agent, or by the customer's reply).
- `sla_warning(ticket, target)`: an SLA target comes due within its policy's warning window.
- `sla_breached(ticket, target)`: an SLA target passed its due time unmet.

`actor` is an `Agent` or None (the customer, a job, an import).

Staged changes, sent inside a use case (or an import's batch) before its commit, so that a room above
can add its own rows to the same transaction: they commit with the change, or roll back with it.
Receivers add rows to the session and do nothing else (no commit, no emit, no enqueue). `actor_kind`
and `at` say whether the change is news or a replay of history (imports, times long past). Sender: the
`Ticket`, as staged (its id may not be drawn yet).

- `ticket_open_staged(ticket, customer, actor_kind, at)`: a new ticket (the outbox confirms receipt).
- `ticket_solve_staged(ticket, actor_kind, at)`: the ticket becomes solved (the survey, the solve mail).
- `public_reply_staged(ticket, comment, solved, actor_kind, at)`: an agent's public reply; `solved`
  when the same change solves the ticket.
- `sla_breach_staged(ticket, target, at)`: a breach recorded by the SLA check.

Questions, whose receivers answer with a read-only query:

- `ticket_sections_requested(ticket)`: the agent's ticket page asks rooms above for sections of their
  own; each receiver answers with a list of `Section`s (or nothing).
- `ticket_claim_requested(ticket, actor)`: an agent is about to claim the ticket by hand; a receiver
  answers with a reason to refuse (a lazy text: the call center's routing, where a queue's work is
  only offered) or None. Any reason refuses the claim with 403.
"""

from typing import NamedTuple

from blinker import Namespace
from markupsafe import Markup

_signals = Namespace()

ticket_opened = _signals.signal("ticket-opened")
ticket_updated = _signals.signal("ticket-updated")
ticket_assigned = _signals.signal("ticket-assigned")
ticket_commented = _signals.signal("ticket-commented")
ticket_solved = _signals.signal("ticket-solved")
ticket_reopened = _signals.signal("ticket-reopened")
sla_warning = _signals.signal("sla-warning")
sla_breached = _signals.signal("sla-breached")

ticket_open_staged = _signals.signal("ticket-open-staged")
ticket_solve_staged = _signals.signal("ticket-solve-staged")
public_reply_staged = _signals.signal("public-reply-staged")
sla_breach_staged = _signals.signal("sla-breach-staged")

ticket_sections_requested = _signals.signal("ticket-sections-requested")
ticket_claim_requested = _signals.signal("ticket-claim-requested")

# Where on the agent's ticket page a section goes.
ABOVE_DESCRIPTION = "above-description"
BELOW_SLA = "below-sla"


class Section(NamedTuple):
    """A piece of the agent's ticket page rendered by another room: where, in which order, what."""

    place: str
    rank: int
    html: Markup
