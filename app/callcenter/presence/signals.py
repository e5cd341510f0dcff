"""Signals of agent presence, sent after the commit of the change they announce.

- `presence_changed(agent_id, state, previous, reason_id, actor_id)`: an agent's state changed (sender: the
  `AgentPresence` row). Routing offers work to an agent who became available; the wallboard updates.
"""

from blinker import Namespace

_signals = Namespace()

presence_changed = _signals.signal("presence-changed")
