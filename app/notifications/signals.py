"""Signals of the notifications room.

- `mail_values_requested(row, ticket, customer, agent)`: a mail is being rendered for delivery; rooms
  above answer with a dict of template values of their own (the links to the customers' pages), which
  they may mint now: rows they add to the session commit with the delivery.
"""

from blinker import Namespace

_signals = Namespace()

mail_values_requested = _signals.signal("mail-values-requested")
