"""Signals of the tickets room, sent after the commit of the change they announce.

Every signal's sender is the `Ticket` (fresh from the database); keyword arguments:

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
"""

from blinker import Namespace

_signals = Namespace()

ticket_opened = _signals.signal("ticket-opened")
ticket_updated = _signals.signal("ticket-updated")
ticket_assigned = _signals.signal("ticket-assigned")
ticket_commented = _signals.signal("ticket-commented")
ticket_solved = _signals.signal("ticket-solved")
ticket_reopened = _signals.signal("ticket-reopened")
sla_warning = _signals.signal("sla-warning")
sla_breached = _signals.signal("sla-breached")
