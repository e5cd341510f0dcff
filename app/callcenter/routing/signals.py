"""Signals of routing, sent after the commit of the change they announce.

- `work_changed(queue_id, work_item_id, status)`: work entered, left or moved in a queue's line, or an
  offer was made or ended. Sent once per queue after each commit that changed its line (sender: None;
  `work_item_id` and `status` are None), so the wallboard updates its figures once per change.
- `offer_made(offer_id, agent_id, work_item_id)` / `offer_ended(offer_id, agent_id, work_item_id,
  outcome)`: an offer to an agent began or ended (sender: the `Offer`).
"""

from blinker import Namespace

_signals = Namespace()

work_changed = _signals.signal("work-changed")
offer_made = _signals.signal("offer-made")
offer_ended = _signals.signal("offer-ended")

# A question, answered with a read-only query: the rooms above (calls) add what they know of a piece of
# work to its offer (`offer.new`): `offer_details_requested(item, kind, subject_id)` -> a dict (a
# `title`, the caller's number...) or None.
offer_details_requested = _signals.signal("offer-details-requested")
