"""Signals of the accounts room. Receivers run in the sender's process, after the commit, except for the
staged ones (`..._staged`), sent inside a use case before its commit so that a room above adds its rows
to the same transaction (and does nothing else).

- `agent_disabled(agent, actor)`: an agent lost access; live connections of theirs must be closed.
- `agent_role_changed(agent, actor, old_role)`: what the agent may see has changed.
- `sessions_ended(agent, actor, session_key)`: the agent was signed out: of the sign-in session with
  `session_key` (signing out in one browser), or, with `session_key` None, of every session and API
  token (signing out everywhere, a new password); live connections opened with them must be closed.
  Disabling an agent sends `agent_disabled` instead.
- `setting_names_requested(None, values)`: a question. `values` maps each field of the settings trail
  a page shows to the stored values it records (ids, words); a room answers with
  `{field: {value: name}}` for the settings it owns (a queue's id, a priority), read-only.
- `account_lockout_staged(agent, locked_until)`: failed sign-ins at the agent's e-mail address have
  locked it until `locked_until` (sent once per lockout, and only when an account has the address);
  the outbox tells its owner.
"""

from blinker import Namespace

_signals = Namespace()

agent_disabled = _signals.signal("agent-disabled")
agent_role_changed = _signals.signal("agent-role-changed")
sessions_ended = _signals.signal("sessions-ended")
account_lockout_staged = _signals.signal("account-lockout-staged")
setting_names_requested = _signals.signal("setting-names-requested")
