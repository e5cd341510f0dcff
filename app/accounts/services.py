"""Use cases of the accounts room: people, teams, skills, sign-in, API tokens, and the settings trail.

Every public function is one use case with at most one commit; signals go out after it. The settings
trail records every change of a named setting, this room's teams and the other rooms' queues, macros,
calendars, SLA policies and custom fields alike (`record_setting_change`, in their transactions).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, case, delete, func, literal, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.exc import StaleDataError

from app import versions
from app.accounts import passwords
from app.accounts.models import (
    Agent,
    AgentSkill,
    ApiToken,
    Role,
    SettingChange,
    SettingKind,
    SignInSession,
    SignInThrottle,
    Skill,
    Team,
)
from app.accounts.signals import account_lockout_staged, agent_disabled, agent_role_changed, sessions_ended
from app.dbtypes import utcnow
from app.errors import AppError, Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import LANGUAGES, valid_timezone
from app.named_settings import Action, NamedSettings
from app.process_cache import cached, watch
from app.records import get_or_404, is_storable_id
from app.unit_of_work import unit_of_work

TOKEN_PREFIX = "sb_"
# `agents.name` is a String(120).
NAME_MAX = 120
# Writing `last_used_at` on every request would turn each API read into a write.
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

watch(Agent, ApiToken)  # for agent_for_token's cache


def normalize_email(email: str, field: str = "email") -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise Invalid(_l("The e-mail address is not valid."), {field: [str(exc)]}) from exc


def _check_password(password: str) -> None:
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise Invalid(
            _l("The password is too short or too long."),
            {
                "password": [
                    _l(
                        "Use %(min_length)s to %(max_length)s characters.",
                        min_length=passwords.MIN_LENGTH,
                        max_length=passwords.MAX_LENGTH,
                    )
                ]
            },
        )


def _check_role(role: str) -> str:
    if role not in set(Role):
        raise Invalid(
            _l("Unknown role."), {"role": [_l("Must be one of: %(choices)s.", choices=", ".join(Role))]}
        )
    return role


def _check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise Invalid(
            _l("Invalid name."), {"name": [_l("Give a name of 1 to %(max)s characters.", max=NAME_MAX)]}
        )
    return name


def _check_language(language: str) -> str:
    if language not in LANGUAGES:
        codes = ", ".join(LANGUAGES)
        raise Invalid(_l("Unknown language."), {"language": [_l("Must be one of: %(codes)s.", codes=codes)]})
    return language


def _check_timezone(timezone: str) -> str:
    # Dates on pages and in mails are shown in this zone: a name the tz database does not know would
    # fail every page the person opens.
    if not valid_timezone(timezone):
        raise Invalid(
            _l("Unknown time zone."),
            {"timezone": [_l("Give a time zone name such as Europe/Berlin or Asia/Shanghai.")]},
        )
    return timezone


# -- people ------------------------------------------------------------------------------------------


def get_agent(agent_id: int) -> Agent:
    return get_or_404(Agent, agent_id, what=_l("Agent"))


def find_agent_by_email(email: str) -> Agent | None:
    return db.session.scalar(select(Agent).where(Agent.email == email.strip().lower()))


def list_agents(*, role: str | None = None, team_id: int | None = None, active: bool | None = None):
    query = select(Agent).order_by(Agent.name, Agent.id)
    if role:
        query = query.where(Agent.role == role)
    if active is not None:
        query = query.where(Agent.active.is_(active))
    if team_id:
        query = query.where(Agent.teams.any(Team.id == team_id))
    return query


def all_agents() -> list[Agent]:
    return list(db.session.scalars(list_agents()))


@unit_of_work
def create_agent(
    *,
    email: str,
    password: str,
    name: str,
    role: str = Role.AGENT,
    language: str = "en",
    timezone: str = "UTC",
    team_ids: Iterable[int] = (),
    skills: Iterable[dict[str, Any]] = (),
) -> Agent:
    """Create a person who can sign in."""
    email = normalize_email(email)
    _check_password(password)
    if find_agent_by_email(email):
        raise Conflict(_l("An account with this e-mail already exists."), {"email": [_l("Already in use.")]})
    agent = Agent(
        email=email,
        name=_check_name(name),
        role=_check_role(role),
        password_hash=passwords.hash_password(password),
        language=_check_language(language),
        timezone=_check_timezone(timezone),
        skills=_agent_skills(skills),
    )
    _set_teams(agent, _teams(team_ids))
    db.session.add(agent)
    _commit_with_teams()
    return agent


@unit_of_work
def update_agent(agent_id: int, changes: dict[str, Any], *, actor: Agent) -> Agent:
    """Change a person's profile, role, teams, skills, password or active flag."""
    agent = get_agent(agent_id)
    old_role, was_active = agent.role, agent.active
    if "email" in changes:
        email = normalize_email(changes["email"])
        other = find_agent_by_email(email)
        if other is not None and other.id != agent.id:
            raise Conflict(
                _l("An account with this e-mail already exists."), {"email": [_l("Already in use.")]}
            )
        agent.email = email
    if "role" in changes:
        if agent.id == actor.id and changes["role"] != agent.role:
            raise Conflict(_l("You cannot change your own role."), {"role": [_l("Ask another admin.")]})
        agent.role = _check_role(changes["role"])
    if "active" in changes:
        if agent.id == actor.id and not changes["active"]:
            raise Conflict(_l("You cannot disable your own account."), {"active": [_l("Ask another admin.")]})
        agent.active = changes["active"]
    if "password" in changes:
        _check_password(changes["password"])
        agent.password_hash = passwords.hash_password(changes["password"])
    if "name" in changes:
        agent.name = _check_name(changes["name"])
    if "language" in changes:
        agent.language = _check_language(changes["language"])
    if "timezone" in changes:
        agent.timezone = _check_timezone(changes["timezone"])
    if "team_ids" in changes:
        _set_teams(agent, _teams(changes["team_ids"]))
    if "skills" in changes:
        agent.skills = _agent_skills(changes["skills"])
    if not agent.active or "password" in changes:
        _end_sessions_and_tokens(agent)
    _commit_with_teams()
    if was_active and not agent.active:
        agent_disabled.send(agent, actor=actor)
    elif "password" in changes:
        sessions_ended.send(agent, actor=actor, session_key=None)
    if agent.role != old_role:
        agent_role_changed.send(agent, actor=actor, old_role=old_role)
    return agent


def change_own_password(agent_id: int, *, current_password: str, new_password: str) -> Agent:
    agent = get_agent(agent_id)
    if not passwords.verify_password(agent.password_hash, current_password):
        raise Invalid(_l("The current password is wrong."), {"current_password": [_l("Wrong password.")]})
    _check_password(new_password)
    agent.password_hash = passwords.hash_password(new_password)
    # Other browsers and tokens go; the caller signs in again with the new password.
    _end_sessions_and_tokens(agent)
    db.session.commit()
    sessions_ended.send(agent, actor=agent, session_key=None)
    return agent


def _end_sessions_and_tokens(agent: Agent) -> SignedOut:
    """End the agent's open sessions and revoke their tokens, in the caller's transaction (ORM updates,
    which the per-process token cache sees)."""
    now = utcnow()
    sessions = db.session.execute(
        update(SignInSession)
        .where(SignInSession.agent_id == agent.id, SignInSession.ended_at.is_(None))
        .values(ended_at=now)
    ).rowcount
    tokens = db.session.execute(
        update(ApiToken)
        .where(ApiToken.agent_id == agent.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return SignedOut(sessions, tokens)


def open_access(agent_id: int) -> SignedOut:
    """What disabling the agent would end now: their open sign-in sessions and their API tokens still
    in force (what `update_agent` ends when it disables them), for the confirmation a page asks for."""
    agent = get_agent(agent_id)
    now = utcnow()
    idle_since = now - current_app.config["REMEMBER_COOKIE_DURATION"]
    sessions = db.session.scalar(
        select(func.count())
        .select_from(SignInSession)
        .where(
            SignInSession.agent_id == agent.id,
            SignInSession.ended_at.is_(None),
            SignInSession.last_seen_at > idle_since,
        )
    )
    tokens = db.session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.agent_id == agent.id,
            ApiToken.revoked_at.is_(None),
            or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),
        )
    )
    return SignedOut(sessions or 0, tokens or 0)


def _teams(team_ids: Iterable[int]) -> list[Team]:
    ids = sorted(set(team_ids))
    teams = list(db.session.scalars(select(Team).where(Team.id.in_(ids)))) if ids else []
    if missing := set(ids) - {team.id for team in teams}:
        raise Invalid(
            _l("Unknown team."), {"team_ids": [_l("No team with id %(missing)s.", missing=sorted(missing))]}
        )
    return teams


def _set_teams(agent: Agent, teams: list[Team]) -> None:
    """Put the agent in these teams. A team's members are a setting of the team: each team joined or
    left gets its next version, so that a supervisor's change of its members, read before, is refused
    (409) instead of undoing this one."""
    for team in set(agent.teams).symmetric_difference(teams):
        versions.bump(team, team.version)
    agent.teams = teams


def _commit_with_teams() -> None:
    """Commit a change of an agent; if a team joined or left was changed by someone else meanwhile, the
    write of its version loses the race: refused, nothing written."""
    try:
        db.session.commit()
    except StaleDataError as lost_race:
        raise Conflict(
            _l("A team was changed by someone else meanwhile; nothing was changed. Try again."),
            {"team_ids": [_l("A team changed meanwhile.")]},
        ) from lost_race


SKILL_NAME_MAX = 60  # `skills.name` is a String(60)
SKILL_LEVELS = range(1, 6)


def _agent_skills(skills: Iterable[dict[str, Any]]) -> list[AgentSkill]:
    """Skills by name with a level 1-5; unknown skill names are created, as admins type them."""
    levels = {entry["name"].strip().lower(): entry.get("level", 3) for entry in skills}
    if any(not 1 <= len(name) <= SKILL_NAME_MAX for name in levels):
        raise Invalid(
            _l("Invalid skill."),
            {"skills": [_l("Name each skill with 1 to %(max)s characters.", max=SKILL_NAME_MAX)]},
        )
    if any(level not in SKILL_LEVELS for level in levels.values()):
        raise Invalid(_l("Invalid skill level."), {"skills": [_l("Give each skill a level from 1 to 5.")]})
    return [AgentSkill(skill=skill, level=levels[skill.name]) for skill in skills_named(levels)]


def skills_named(names: Iterable[str]) -> list[Skill]:
    """The skills with these names (trimmed, lower case), new ones added to the caller's transaction.

    Other rooms (queues need skills) go through here: skills are this room's table.
    """
    wanted = sorted({name.strip().lower() for name in names})
    found = (
        {s.name: s for s in db.session.scalars(select(Skill).where(Skill.name.in_(wanted)))} if wanted else {}
    )
    return [found.get(name) or Skill(name=name) for name in wanted]


# -- sign-in -----------------------------------------------------------------------------------------

# Writing `last_seen_at` on every request would turn each page view into a write.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
USER_AGENT_MAX = 255


class InvalidCredentials(Invalid):
    status = 401

    def __init__(self):
        super().__init__(_l("Wrong e-mail or password, or the account is disabled."))


class SignInLocked(AppError):
    """Too many failed sign-ins at one e-mail address: every sign-in there is refused for a while, the
    right password's too. Said alike whether or not an account has the address."""

    status = 429

    def __init__(self, retry_after: int):
        super().__init__(_l("Too many failed sign-ins with this e-mail address; try again later."))
        self.retry_after = retry_after


def sign_in_email(email: str) -> str:
    """The form of an e-mail address that sign-in looks an account up by and counts failures under:
    every spelling that reaches an account counts against it."""
    try:
        return normalize_email(email)
    except Invalid:
        return email.strip().lower()[:254]


def authenticate(email: str, password: str) -> Agent | None:
    """The agent with this e-mail and password, if active; otherwise None, in about the same time.

    A failure counts toward the address's lockout; `SignInLocked` while it is locked."""
    agent = _verified_agent(email, password)
    if agent is not None:
        db.session.commit()
    return agent


def sign_in(email: str, password: str, *, user_agent: str = "", remember: bool = False) -> Agent | None:
    """Open a sign-in session for the agent with this e-mail and password (see `authenticate`); the
    agent comes back carrying the session's key (`Agent.session_key`, what Flask-Login keeps in the
    cookies). Only a hash of the key is stored."""
    agent = _verified_agent(email, password)
    if agent is None:
        return None
    # Sessions that ended or went unused are kept only until their owner signs in again.
    db.session.execute(
        delete(SignInSession).where(
            SignInSession.agent_id == agent.id,
            or_(
                SignInSession.ended_at.is_not(None),
                SignInSession.last_seen_at
                <= agent.last_login_at - current_app.config["REMEMBER_COOKIE_DURATION"],
            ),
        )
    )
    key = secrets.token_urlsafe(32)
    db.session.add(
        SignInSession(
            agent_id=agent.id,
            key_hash=_digest(key),
            user_agent=user_agent[:USER_AGENT_MAX],
            remembered=remember,
            created_at=agent.last_login_at,
            last_seen_at=agent.last_login_at,
        )
    )
    db.session.commit()
    agent.session_key = key
    return agent


def _verified_agent(email: str, password: str) -> Agent | None:
    """The active agent with this e-mail and password, its failure count cleared and its sign-in noted
    (uncommitted: the caller commits with what it opens); else None, the failure counted and committed.

    Whether an account has the address changes neither the answer nor the count nor, much, the time: a
    miss is checked against a dummy hash, and a locked address is refused before any hash is checked."""
    email = sign_in_email(email)
    now = utcnow()
    locked_until = db.session.scalar(select(SignInThrottle.locked_until).where(SignInThrottle.email == email))
    if locked_until is not None and locked_until > now:
        raise SignInLocked(retry_after=math.ceil((locked_until - now).total_seconds()))
    agent = find_agent_by_email(email)
    right_password = passwords.verify_password(agent.password_hash if agent else None, password)
    if not right_password or agent is None or not agent.active:
        _count_failure(email, agent, now)
        return None
    if passwords.needs_rehash(agent.password_hash):
        agent.password_hash = passwords.hash_password(password)
    agent.last_login_at = now
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.email == email))
    return agent


_INSERT_IF_MISSING = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def _count_failure(email: str, agent: Agent | None, now: datetime) -> None:
    """Count a failed sign-in at `email`; the one that reaches `SIGN_IN_LOCKOUT_ATTEMPTS` within
    `SIGN_IN_LOCKOUT_WINDOW_SECONDS` locks the address for `SIGN_IN_LOCKOUT_SECONDS`.

    Conditional UPDATEs, so that failures racing in several web processes are each counted and exactly
    one of them locks (and tells the owner, through `account_lockout_staged`, in this transaction)."""
    config = current_app.config
    window_start = now - timedelta(seconds=config["SIGN_IN_LOCKOUT_WINDOW_SECONDS"])
    locked_until = now + timedelta(seconds=config["SIGN_IN_LOCKOUT_SECONDS"])
    insert = _INSERT_IF_MISSING[db.session.get_bind().dialect.name]
    db.session.execute(
        insert(SignInThrottle)
        .values(email=email, failures=0, window_started_at=now)
        .on_conflict_do_nothing(index_elements=[SignInThrottle.email])
    )
    this_address = (
        SignInThrottle.email == email,
        or_(SignInThrottle.locked_until.is_(None), SignInThrottle.locked_until <= now),
    )
    in_window = SignInThrottle.window_started_at > window_start
    db.session.execute(
        update(SignInThrottle)
        .where(*this_address)
        .values(
            failures=case((in_window, SignInThrottle.failures + 1), else_=1),
            window_started_at=case(
                (in_window, SignInThrottle.window_started_at),
                else_=literal(now, SignInThrottle.window_started_at.type),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    locked = db.session.execute(
        update(SignInThrottle)
        .where(*this_address, SignInThrottle.failures >= config["SIGN_IN_LOCKOUT_ATTEMPTS"])
        .values(locked_until=locked_until, failures=0)
        .execution_options(synchronize_session=False)
    ).rowcount
    if locked and agent is not None:
        account_lockout_staged.send(agent, locked_until=locked_until)
    db.session.commit()


# Every request signed in by session runs this: built once, it costs only its execution.
_SESSION_BY_HASH = (
    select(SignInSession)
    .options(joinedload(SignInSession.agent))
    .where(SignInSession.key_hash == bindparam("key_hash"))
)


def agent_for_session(session_key: str) -> Agent | None:
    """Flask-Login's user loader: the active agent whose open session has this key (from the session
    cookie or the remember cookie), carrying the key; None when the session has ended, its agent is
    disabled, or it went unused longer than the remember cookie lives (`REMEMBER_COOKIE_DURATION`)."""
    record = db.session.scalar(_SESSION_BY_HASH, {"key_hash": _digest(session_key)})
    if record is None or record.ended_at is not None or not record.agent.active:
        return None
    now = utcnow()
    if now - record.last_seen_at > current_app.config["REMEMBER_COOKIE_DURATION"]:
        return None
    if now - record.last_seen_at > SESSION_TOUCH_INTERVAL:
        record.last_seen_at = now
        db.session.commit()
    record.agent.session_key = session_key
    return record.agent


def list_sign_in_sessions(*, actor: Agent):
    """The actor's open sessions, the most recently used first (a `select()`)."""
    idle_since = utcnow() - current_app.config["REMEMBER_COOKIE_DURATION"]
    return (
        select(SignInSession)
        .where(
            SignInSession.agent_id == actor.id,
            SignInSession.ended_at.is_(None),
            SignInSession.last_seen_at > idle_since,
        )
        .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
    )


def is_current_session(record: SignInSession, agent: Agent) -> bool:
    """Whether `record` is the session `agent` was loaded for in this request."""
    key = agent.session_key
    return key is not None and secrets.compare_digest(record.key_hash, _digest(key))


def end_session(session_key: str | None) -> None:
    """Sign out: the session with this key ends on the server, so neither its session cookie nor its
    remember cookie opens anything any more. Ending an ended session (or none) does nothing."""
    if session_key is None:
        return
    this_session = (SignInSession.key_hash == _digest(session_key), SignInSession.ended_at.is_(None))
    agent = db.session.scalar(select(Agent).join(SignInSession).where(*this_session))
    db.session.execute(update(SignInSession).where(*this_session).values(ended_at=utcnow()))
    db.session.commit()
    if agent is not None:
        sessions_ended.send(agent, actor=agent, session_key=session_key)


class SignedOut(NamedTuple):
    sessions_ended: int
    tokens_revoked: int


def sign_out_everywhere(*, actor: Agent) -> SignedOut:
    """End every session of the actor's, in every browser, and revoke every API token of theirs."""
    signed_out = _end_sessions_and_tokens(actor)
    db.session.commit()
    sessions_ended.send(actor, actor=actor, session_key=None)
    return signed_out


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_token(
    *, email: str, password: str, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """Trade an e-mail and password for a bearer token. The raw token is returned once, never stored.

    Failures count toward the address's lockout, as on the login page (`authenticate`)."""
    agent = _verified_agent(email, password)
    if agent is None:
        raise InvalidCredentials()
    return _new_token(agent, name=name, expires_in_days=expires_in_days)


def create_api_token(
    agent_id: int, *, name: str = "", expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new bearer token for an active agent (the CLI's way in, for scripts and integrations)."""
    agent = get_agent(agent_id)
    if not agent.active:
        raise Conflict(_l("The account is disabled."))
    return _new_token(agent, name=name, expires_in_days=expires_in_days)


def _new_token(agent: Agent, *, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(agent_id=agent.id, name=name, token_hash=_digest(raw))
    if expires_in_days:
        token.expires_at = utcnow() + timedelta(days=expires_in_days)
    db.session.add(token)
    db.session.commit()
    return token, raw


# Every API request runs this unless its token is cached: built once, it costs only its execution.
_TOKEN_BY_HASH = (
    select(ApiToken).options(joinedload(ApiToken.agent)).where(ApiToken.token_hash == bindparam("token_hash"))
)


class _ValidToken(NamedTuple):
    """What answering a request needs of a token that was valid when read, cached per process."""

    expires_at: datetime | None
    last_used_at: datetime | None
    agent: Agent  # detached, never used itself: each request merges it into its own session


def agent_for_token(raw_token: str) -> Agent | None:
    """The active agent behind a valid, unrevoked, unexpired token.

    Every API request asks, so the answer is kept per process (`app.process_cache`): revoking the
    token or changing the agent is a commit to a watched table, after which every process reads again.
    """
    if not raw_token.startswith(TOKEN_PREFIX):
        return None
    digest = _digest(raw_token)
    valid = cached("accounts.token", digest, lambda: _valid_token(digest))
    now = utcnow()
    if valid is None or (valid.expires_at and valid.expires_at <= now):
        return None
    if valid.last_used_at is None or now - valid.last_used_at > TOKEN_TOUCH_INTERVAL:
        return _touched_token_agent(digest, now)
    # Loads nothing: the cached row's values become this session's agent.
    return db.session.merge(valid.agent, load=False)


def _unrevoked_token(digest: str) -> ApiToken | None:
    """The stored token, unless revoked or its agent disabled (expiry is the caller's check)."""
    token = db.session.scalar(_TOKEN_BY_HASH, {"token_hash": digest})
    if token is None or token.revoked_at is not None or not token.agent.active:
        return None
    return token


def _valid_token(digest: str) -> _ValidToken | None:
    token = _unrevoked_token(digest)
    if token is None:
        return None
    columns = {attr.key: getattr(token.agent, attr.key) for attr in sa_inspect(Agent).column_attrs}
    agent = Agent(**columns)
    make_transient_to_detached(agent)
    return _ValidToken(token.expires_at, token.last_used_at, agent)


def _touched_token_agent(digest: str, now: datetime) -> Agent | None:
    """Note that the token is in use (`last_used_at`, at most every `TOKEN_TOUCH_INTERVAL`); its agent."""
    token = _unrevoked_token(digest)
    if token is None:
        return None
    token.last_used_at = now
    db.session.commit()
    return token.agent


def list_tokens(*, actor: Agent):
    return select(ApiToken).where(ApiToken.agent_id == actor.id).order_by(ApiToken.id.desc())


def revoke_token(token_id: int, *, actor: Agent) -> ApiToken:
    """Revoke one of the actor's own tokens (admins may revoke anyone's). Revoking twice is harmless."""
    token = db.session.get(ApiToken, token_id) if is_storable_id(token_id) else None
    if token is None or (token.agent_id != actor.id and actor.role != Role.ADMIN):
        raise NotFound(_l("Token %(token_id)s not found.", token_id=token_id))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


# -- the settings trail -----------------------------------------------------------------------------


def record_setting_change(
    kind: str,
    setting_id: int,
    name: str,
    action: Action,
    changes: dict[str, list[Any]],
    *,
    actor: Agent | None,
) -> SettingChange:
    """Add a record to the settings trail, in the caller's transaction: it commits with the change it
    records, or rolls back with it. `changes` is `{field: [old, new]}`; `actor` None is the command
    line or the demo loader. A step of other rooms' use cases: the trail is this room's table."""
    change = SettingChange(
        kind=kind,
        setting_id=setting_id,
        name=name,
        action=action,
        changes=changes,
        actor_id=actor.id if actor is not None else None,
        at=utcnow(),
    )
    db.session.add(change)
    return change


def list_setting_changes(
    *, kind: str | None = None, setting_id: int | None = None, actor_id: int | None = None
):
    """The settings trail, newest first (a `select()` for paging), each change with its agent."""
    query = select(SettingChange).options(selectinload(SettingChange.actor)).order_by(SettingChange.id.desc())
    if kind:
        query = query.where(SettingChange.kind == kind)
    if setting_id is not None:
        query = query.where(SettingChange.setting_id == setting_id)
    if actor_id is not None:
        query = query.where(SettingChange.actor_id == actor_id)
    return query


# -- teams and skills --------------------------------------------------------------------------------


def _apply_team(team: Team, values: Mapping[str, Any]) -> None:
    if "description" in values:
        team.description = values["description"]
    if "member_ids" in values:
        team.members = _agents(values["member_ids"])


def _team_values(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "description": team.description,
        "member_ids": sorted(member.id for member in team.members),
    }


def _agents(agent_ids: Iterable[int]) -> list[Agent]:
    ids = sorted(set(agent_ids))
    agents = list(db.session.scalars(select(Agent).where(Agent.id.in_(ids)))) if ids else []
    if missing := set(ids) - {agent.id for agent in agents}:
        raise Invalid(
            _l("Unknown agent."),
            {"member_ids": [_l("No agent with id %(missing)s.", missing=sorted(missing))]},
        )
    return agents


TEAMS = NamedSettings(
    SettingKind.TEAM, Team, "a team", apply=_apply_team, values=_team_values, record=record_setting_change
)


def get_team(team_id: int) -> Team:
    return TEAMS.get(team_id)


def list_teams():
    return select(Team).order_by(Team.name)


def create_team(*, name: str, description: str = "", member_ids: Iterable[int] = (), actor: Agent) -> Team:
    """Create a team, recorded in the settings trail."""
    return TEAMS.create({"name": name, "description": description, "member_ids": member_ids}, actor=actor)


def update_team(
    team_id: int, changes: dict[str, Any], *, actor: Agent, expected_version: int | None = None
) -> Team:
    """Rename the version of a team the caller read, change its description or replace its members;
    recorded in the settings trail."""
    return TEAMS.update(team_id, changes, actor=actor, expected_version=expected_version)


def delete_team(team_id: int, *, actor: Agent, expected_version: int | None = None) -> None:
    """Delete the version of a team the caller read (its queues stay, served by no team); recorded in the
    settings trail."""
    TEAMS.delete(team_id, actor=actor, expected_version=expected_version)


def list_skills():
    return select(Skill).order_by(Skill.name)
