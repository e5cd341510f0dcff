"""Settings, read from the environment once when the app is created.

Nothing configured means embedded mode: a SQLite file under `instance/`, an in-process Redis stand-in and
an RQ worker thread. `DATABASE_URL` and `REDIS_URL` switch to real servers.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def database_url(raw: str) -> str:
    """Pin PostgreSQL URLs to the psycopg 3 driver, whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def _kept_secret(name: str, instance_dir: Path) -> str:
    """The secret `name` from the environment, else one generated once and kept in the instance folder
    (`instance/<name in lower case>`, readable by its owner only).

    Keeping it on disk means embedded sessions survive a restart, and the telephony simulator signs what
    the desk checks, without anyone configuring anything.
    """
    if key := os.environ.get(name):
        return key
    path = instance_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Settings counted in whole numbers that the environment may set: seconds, tries, routing capacities.
_COUNTED = ("SECONDS", "ATTEMPTS", "CAPACITY")


def from_environment(instance_dir: Path = INSTANCE_DIR) -> dict[str, Any]:
    redis_url = os.environ.get("REDIS_URL", "")
    db_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'switchboard.db'}"
    return {
        "SECRET_KEY": _kept_secret("SECRET_KEY", instance_dir),
        "SQLALCHEMY_DATABASE_URI": database_url(db_url),
        "REDIS_URL": redis_url,
        # Flask-SocketIO's server runs on plain threads (simple-websocket for the transport): it works
        # under gunicorn's gthread worker and the Werkzeug server alike, needs no monkey patching that
        # would fight psycopg and RQ, and is the mode the benchmarks in bench/ were taken with.
        "SOCKETIO_ASYNC_MODE": os.environ.get("SOCKETIO_ASYNC_MODE", "threading"),
        # The Redis pub/sub channel of Socket.IO messages. Pub/sub ignores Redis database numbers, so
        # two installs (or test runs) on one Redis server keep apart only by their channels.
        "SOCKETIO_CHANNEL": os.environ.get("SOCKETIO_CHANNEL") or "switchboard-socketio",
        # On behind HTTPS; it also turns on HSTS (app/security_headers.py).
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        # Pages and API answers alike; the portal's private pages send `no-referrer` whatever this says.
        "REFERRER_POLICY": os.environ.get("REFERRER_POLICY") or "same-origin",
        # The remember cookie carries the same session key as the session cookie: Secure alike.
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", False),
        # A new ticket's rows and an import's batches written past the unit of work (app/bulk.py); off, the
        # flush writes them: the same rows (tests/test_fast_writes.py), more slowly (bench/RESULTS.md).
        "FAST_WRITES": _flag("FAST_WRITES", True),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        # Limits are shared by every web process through Redis; embedded mode counts in memory. While
        # Redis is out of reach each process counts in its own memory (app/extensions.py, `init_limiter`).
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "DEFAULT_PHONE_REGION": os.environ.get("DEFAULT_PHONE_REGION", "US"),
        "TRUSTED_PROXY_COUNT": int(os.environ.get("TRUSTED_PROXY_COUNT", "0")),
        # Where uploaded files live; several web processes must share it. Default: instance/attachments.
        "ATTACHMENTS_DIR": os.environ.get("ATTACHMENTS_DIR") or None,
        # The address customers reach us at, for links in e-mails (tracking pages): no request to ask.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000"),
        # The public form and tracking pages (README, "Customer portal"): limits per client address,
        # per e-mail address, and on tracking pages; days a tracking link lives after its case closed.
        "PORTAL_RATE_LIMIT": os.environ.get("PORTAL_RATE_LIMIT", "5 per minute;30 per hour"),
        "PORTAL_EMAIL_RATE_LIMIT": os.environ.get("PORTAL_EMAIL_RATE_LIMIT", "3 per minute;10 per day"),
        "TRACKING_RATE_LIMIT": os.environ.get("TRACKING_RATE_LIMIT", "30 per minute;300 per hour"),
        "PORTAL_TRACKING_LINK_DAYS": int(os.environ.get("PORTAL_TRACKING_LINK_DAYS", "90")),
        # Outgoing mail: SMTP when MAIL_SERVER is set, else appended to MAIL_LOG (instance/mail.log).
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT") or 0),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "switchboard@localhost"),
        "MAIL_LOG": os.environ.get("MAIL_LOG") or str(instance_dir / "mail.log"),
        # Telephony (README, "Telephony"): the shared secret a PBX signs `POST /api/v1/callcenter/events`
        # with, Twilio's auth token for its voice webhooks, and the queue Twilio's calls wait in (a
        # queue's name; unset: the webhook's `queue` parameter, else the first queue). Unset secrets
        # refuse every request to their endpoint (401 and 403: nothing can be signed), saying why.
        "TELEPHONY_WEBHOOK_SECRET": _kept_secret("TELEPHONY_WEBHOOK_SECRET", instance_dir),
        "TWILIO_AUTH_TOKEN": os.environ.get("TWILIO_AUTH_TOKEN", ""),
        "TWILIO_QUEUE": os.environ.get("TWILIO_QUEUE", ""),
        # Processes sharing a large `flask tickets import` on PostgreSQL; 0: one per CPU, at most two.
        "TICKET_IMPORT_WORKERS": int(os.environ.get("TICKET_IMPORT_WORKERS") or 0),
        # The supervisors' wallboard (app/callcenter/wallboard): the zone of its day ("today so far"),
        # and its thresholds: a queue's service level (%) below target and its abandonment (%) above the
        # limit show red; waiting items above the warning count amber, above the alert count red.
        "WALLBOARD_TIMEZONE": os.environ.get("WALLBOARD_TIMEZONE") or "UTC",
        **{
            k: int(v)
            for k, v in os.environ.items()
            if k in DEFAULTS and k.startswith("WALLBOARD_") and k.endswith(("_PERCENT", "_COUNT", "_MS"))
        },
        # Settings of DEFAULTS counted in seconds or tries (SLA checks, mail retries), when set here.
        **{k: int(v) for k, v in os.environ.items() if k in DEFAULTS and k.endswith(_COUNTED)},
    }


DEFAULTS: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    # How long "keep me signed in" lasts, and how long a session may go unused before the server ends it.
    "REMEMBER_COOKIE_DURATION": timedelta(days=14),
    # Per e-mail address, on the login page and the token endpoint together (whether or not an account
    # has the address): this many failures within the window lock the address for SIGN_IN_LOCKOUT_SECONDS,
    # the right password refused too, and the account's owner is mailed once per lockout.
    "SIGN_IN_LOCKOUT_ATTEMPTS": 10,
    "SIGN_IN_LOCKOUT_WINDOW_SECONDS": 15 * 60,
    "SIGN_IN_LOCKOUT_SECONDS": 15 * 60,
    # When the database cannot be reached (a restart, a failover): the seconds a 503 asks clients to
    # wait before sending again, and how long opening a PostgreSQL connection may take before giving up.
    "DATABASE_RETRY_AFTER_SECONDS": 3,
    "DATABASE_CONNECT_TIMEOUT_SECONDS": 5,
    # How long a request waits for Redis before it goes on without it (job queue, rate limits, the
    # cache stamp): connecting, and any one command. A Redis that is down refuses at once; these bound a
    # Redis that does not answer at all (a lost host, a full network queue).
    "REDIS_CONNECT_TIMEOUT_SECONDS": 2,
    "REDIS_SOCKET_TIMEOUT_SECONDS": 5,
    # Jobs run on a worker; tests switch this off to run them inline.
    "RQ_ASYNC": True,
    "RATELIMIT_HEADERS_ENABLED": True,
    "LOGIN_RATE_LIMIT": "10 per minute",
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "CUSTOMER_IMPORT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENT_MAX_BYTES": 10 * 1024 * 1024,
    "ATTACHMENTS_MAX_PER_TICKET": 20,
    "ATTACHMENT_MAX_FILES_PER_UPLOAD": 10,
    # The public form: a smaller body than the app allows, fewer files, and little text per field.
    "PORTAL_MAX_BODY_BYTES": 12 * 1024 * 1024,
    "PORTAL_MAX_FORM_MEMORY": 128 * 1024,
    "PORTAL_MAX_FILES": 5,
    "SLA_WARNING_SECONDS": 3600,
    # The wallboard's figures (docs: shared KPI definitions): a call answered within this many seconds
    # counts toward the service level; one abandoned within the short-abandon seconds counts nowhere.
    "WALLBOARD_TIMEZONE": "UTC",
    "WALLBOARD_SERVICE_LEVEL_SECONDS": 20,
    "WALLBOARD_SHORT_ABANDON_SECONDS": 5,
    "WALLBOARD_SERVICE_LEVEL_TARGET_PERCENT": 80,
    "WALLBOARD_ABANDONMENT_LIMIT_PERCENT": 5,
    "WALLBOARD_WAITING_WARN_COUNT": 3,
    "WALLBOARD_WAITING_ALERT_COUNT": 6,
    "WALLBOARD_WAIT_WARN_SECONDS": 60,
    "WALLBOARD_WAIT_ALERT_SECONDS": 180,
    # At most one recomputation of a queue's figures per this many milliseconds (then one trailing one).
    "WALLBOARD_COALESCE_MS": 250,
    "SLA_CHECK_INTERVAL_SECONDS": 60,
    "SLA_BREACHING_SOON_SECONDS": 2 * 3600,
    # Routing (app/callcenter/routing): how much work an agent holds at once unless their presence row
    # says otherwise (calls being handled or offered; open tickets assigned), how long an offer waits
    # for an answer unless the queue's rules say otherwise, and how often the sweep times out overdue
    # offers, overflows queues and routes what waits (the safety net for lost jobs).
    "ROUTING_CALL_CAPACITY": 1,
    "ROUTING_TICKET_CAPACITY": 5,
    "ROUTING_OFFER_TIMEOUT_SECONDS": 20,
    "ROUTING_SWEEP_SECONDS": 15,
    "TICKET_IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    # What pages may load (app/security_headers.py): these directives, and `script-src` made per response
    # from its nonce. No `'unsafe-inline'` anywhere: pages carry no inline script or style (e-mails do,
    # for mail clients, where no policy applies). `data:` images are Swagger UI's icons.
    "CONTENT_SECURITY_POLICY": {
        "default-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    },
    # How long browsers keep to HTTPS once told (sent while SESSION_COOKIE_SECURE is on): a year.
    "HSTS_MAX_AGE_SECONDS": 365 * 24 * 3600,
    "API_TITLE": "Switchboard API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Served from our own static files (built from the npm package by the setup): no CDN, works offline.
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
    # Swagger UI would send the document's address to an online validator and show its badge, an image
    # from another site: nothing leaves the desk, and the page policy allows no other site.
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None},
    "API_SPEC_OPTIONS": {
        "info": {
            "description": (
                "Switchboard REST API. Authenticate with `POST /api/v1/auth/token` and send "
                "`Authorization: Bearer <token>`. A request authenticates by one means: with an "
                "`Authorization` header, by its token alone (cookies ignored; an invalid token is a 401); "
                "without one, by the browser's session, whose changes must send the CSRF token in "
                "`X-CSRFToken`. Errors are JSON `{code, message, errors}`; list "
                "endpoints are paginated with `page` and `page_size` (at most 100) and report totals "
                "in the `X-Pagination` header."
            )
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "sessionCookie": {"type": "apiKey", "in": "cookie", "name": "session"},
            }
        },
        "security": [{"bearerAuth": []}, {"sessionCookie": []}],
    },
    "PAGINATION_MAX_PAGE_SIZE": 100,
    # Notification delivery: tries before a row is marked failed, backoff base (doubling), sweep period.
    "NOTIFICATION_MAX_ATTEMPTS": 5,
    "NOTIFICATION_RETRY_BASE_SECONDS": 60,
    "NOTIFICATION_SWEEP_INTERVAL_SECONDS": 60,
    # A pending row this long past due has lost its job (Redis was down, a worker died): the sweep
    # hands it to a worker again. Longer than a delivery normally waits in the queue.
    "NOTIFICATION_SWEEP_GRACE_SECONDS": 120,
    # How long a worker may take to hand one mail to the SMTP server before its row counts as abandoned
    # and the sweep hands it to another worker (README, "A worker dies").
    "NOTIFICATION_LEASE_SECONDS": 300,
    # Workers (README, "A worker dies"): a running job's worker says it is alive every
    # WORKER_HEARTBEAT_SECONDS; three missed beats make the job abandoned, found at the next maintenance
    # pass (every WORKER_MAINTENANCE_INTERVAL_SECONDS) and retried. A job that fails (or is abandoned)
    # is retried JOB_RETRY_ATTEMPTS times, after JOB_RETRY_BASE_SECONDS, then 4x and 16x that; then it
    # stays in the failed-job registry (/admin/jobs/failed).
    "WORKER_HEARTBEAT_SECONDS": 10,
    "WORKER_MAINTENANCE_INTERVAL_SECONDS": 30,
    "JOB_RETRY_ATTEMPTS": 3,
    "JOB_RETRY_BASE_SECONDS": 15,
    # Background imports: a running import's record is stamped alive every IMPORT_HEARTBEAT_SECONDS;
    # one silent for six beats (its worker died) or queued that long (its job was lost) is handed to a
    # worker again by the import sweep (every IMPORT_SWEEP_INTERVAL_SECONDS), at most
    # IMPORT_MAX_ATTEMPTS runs in all.
    "IMPORT_HEARTBEAT_SECONDS": 10,
    "IMPORT_SWEEP_INTERVAL_SECONDS": 60,
    "IMPORT_MAX_ATTEMPTS": 3,
    # Agent presence (README, "Agent presence"): wrap-up ends by itself after WRAP_UP_MAX_SECONDS; an
    # agent whose last console closed goes offline after PRESENCE_GRACE_SECONDS unless one reconnects.
    # Each web process holding consoles says it is alive every PRESENCE_HEARTBEAT_SECONDS (three missed
    # beats: its consoles count as gone); the presence sweep runs every PRESENCE_SWEEP_INTERVAL_SECONDS.
    "WRAP_UP_MAX_SECONDS": 120,
    "PRESENCE_GRACE_SECONDS": 30,
    "PRESENCE_HEARTBEAT_SECONDS": 10,
    "PRESENCE_SWEEP_INTERVAL_SECONDS": 30,
    # A signed telephony event whose timestamp is further off than this is refused as a replay.
    "TELEPHONY_MAX_SKEW_SECONDS": 300,
    # How far ahead a customer (or an agent) may ask for a callback.
    "CALLBACK_MAX_DAYS_AHEAD": 14,
    # Languages and time zones: see app/i18n.py. WTForms' own messages follow the page's language.
    "BABEL_DEFAULT_LOCALE": "en",
    "BABEL_DEFAULT_TIMEZONE": "UTC",
    "WTF_I18N_ENABLED": True,
}
