"""How telephony systems prove who they are.

The generic webhook (`POST /api/v1/callcenter/events`) is signed with a shared secret
(`TELEPHONY_WEBHOOK_SECRET`), as Stripe and Slack sign theirs:

    X-Switchboard-Timestamp: <unix seconds>
    X-Switchboard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the secret>

The timestamp is inside the signed text, so a recorded request cannot be sent again later: one more than
`TELEPHONY_MAX_SKEW_SECONDS` (five minutes) away from our clock is refused, and a repeat within them is
answered as a duplicate by the event's id. Twilio signs its own way (`X-Twilio-Signature`), checked by
the `twilio` package's validator with `TWILIO_AUTH_TOKEN` against the URL Twilio called.

The simulator and the benchmark sign with `signed_headers`.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request
from twilio.request_validator import RequestValidator

TIMESTAMP_HEADER = "X-Switchboard-Timestamp"
SIGNATURE_HEADER = "X-Switchboard-Signature"
TWILIO_SIGNATURE_HEADER = "X-Twilio-Signature"
_PREFIX = "sha256="


def signature(secret: str, timestamp: str | int, body: bytes) -> str:
    """The `X-Switchboard-Signature` value of `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    """The two headers of a signed request carrying `body`."""
    timestamp = str(int(time.time() if now is None else now))
    return {
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
        "Content-Type": "application/json",
    }


def signature_problem(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> str | None:
    """Why a request is not signed with `secret` (None when it is): the message of the 401."""
    timestamp, sent = headers.get(TIMESTAMP_HEADER, ""), headers.get(SIGNATURE_HEADER, "")
    if not timestamp or not sent:
        return f"Sign the request: {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required."
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        return f"{TIMESTAMP_HEADER} must be a Unix time in whole seconds."
    skew = int(current_app.config["TELEPHONY_MAX_SKEW_SECONDS"])
    if abs((time.time() if now is None else now) - int(timestamp)) > skew:
        return f"{TIMESTAMP_HEADER} is more than {skew} seconds away from our clock: not accepted (replay)."
    # Compared as bytes of equal meaning in constant time; a non-ASCII header cannot match anyway.
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), sent.encode("utf-8", "replace")):
        return "The signature does not match the body and timestamp."
    return None


def twilio_signed(token: str, params: Any) -> bool:
    """Whether Twilio signed this request with `token`: `X-Twilio-Signature` over the URL it called and
    the form's parameters. That URL is ours as the outside world sees it: on `PUBLIC_BASE_URL`, or as
    the request says (behind trusted proxies, `X-Forwarded-*`)."""
    sent = request.headers.get(TWILIO_SIGNATURE_HEADER, "")
    if not sent:
        return False
    validator = RequestValidator(token)
    return any(validator.validate(url, params, sent) for url in twilio_urls())


def twilio_urls() -> list[str]:
    """The addresses Twilio may have signed for this request."""
    public = urlsplit(current_app.config.get("PUBLIC_BASE_URL") or "")
    urls = []
    if public.scheme and public.netloc:
        query = request.query_string.decode("latin-1")
        urls.append(
            f"{public.scheme}://{public.netloc}{public.path.rstrip('/')}{request.path}"
            + (f"?{query}" if query else "")
        )
    urls.append(request.url)
    return urls
