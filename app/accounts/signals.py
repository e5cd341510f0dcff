"""Signals of the accounts room. Receivers run in the sender's process, after the commit.

- `agent_disabled(agent, actor)`: an agent lost access; live connections of theirs must be closed.
- `agent_role_changed(agent, actor, old_role)`: what the agent may see has changed.
"""

from blinker import Namespace

_signals = Namespace()

agent_disabled = _signals.signal("agent-disabled")
agent_role_changed = _signals.signal("agent-role-changed")
