"""Signals of routing, sent after the commit of the change they announce.

- `work_changed(queue_id, work_item_id, status)`: work entered, left or moved in a queue's line, or an
  offer was made or ended (sender: the `WorkItem`). The wallboard updates its figures.
- `offer_made(offer_id, agent_id, work_item_id)` / `offer_ended(offer_id, agent_id, work_item_id,
  outcome)`: an offer to an agent began or ended (sender: the `Offer`).
"""

from blinker import Namespace

_signals = Namespace()

work_changed = _signals.signal("work-changed")
offer_made = _signals.signal("offer-made")
offer_ended = _signals.signal("offer-ended")
