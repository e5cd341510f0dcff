"""Signals of the notifications room.

- `mail_values_requested(row, ticket, customer, agent)`: a mail is being rendered for delivery; rooms
  above answer with a dict of template values of their own (the links to the customers' pages), which
  they may mint now: rows they add to the session commit with the delivery.
- `mail_recipient_requested(row)`: a mail written to an address alone (`notify_address`: the portal's
  lost links) is about to be delivered; the room that wrote it answers with whom it goes to,
  `{"customer": Customer, "context": {...}}` (the context joins the row's), or None for nobody. Asked at
  delivery, so the request that wrote the row did the same work whoever owns the address.
"""

from blinker import Namespace

_signals = Namespace()

mail_values_requested = _signals.signal("mail-values-requested")
mail_recipient_requested = _signals.signal("mail-recipient-requested")
