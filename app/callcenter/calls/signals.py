"""Signals of calls, sent after the commit of the change they announce.

- `call_changed(call_id, status, queue_id, agent_id)`: a call was offered, answered, held, resumed,
  transferred, ended, abandoned or wrapped up (sender: the `Call`). The wallboard updates its figures.
- `callback_requested(callback_id, queue_id)`: a callback request was added (sender: the `CallbackRequest`).
"""

from blinker import Namespace

_signals = Namespace()

call_changed = _signals.signal("call-changed")
callback_requested = _signals.signal("callback-requested")
