"""Security headers: every page says what it may run and load and that it must not be framed or stored;
API answers are not sniffed, stored or framed; HSTS is sent once the site is served over HTTPS.

The pages are read from the URL map (`tests/pages.py`), so a new page is checked without being listed.
The browser tests (`tests/browser/test_content_security_policy.py`) show the policy breaks nothing.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app import create_app
from tests.factories import PASSWORD
from tests.helpers import sign_in
from tests.pages import ADMIN, make_page_rows, pages_of

PAGE_DIRECTIVES = {
    "default-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}

URL_ATTRIBUTES = {"href", "src", "action", "formaction"}
NOTHING_TO_RUN_OR_FRAME = "default-src 'none'; frame-ancestors 'none'"


def directives(header: str) -> dict[str, str]:
    policy = {}
    for part in header.split(";"):
        name, _, sources = part.strip().partition(" ")
        if name:
            policy[name] = sources
    return policy


class InlineCode(HTMLParser):
    """What a page's markup would run or style inline, and its script tags' sources and nonces."""

    def __init__(self):
        super().__init__()
        self.inline: list[str] = []
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            self.scripts.append(attributes)
            if not attributes.get("src"):
                self.inline.append(f"<script> without src: {attributes}")
        if tag == "style":
            self.inline.append("<style> element")
        for name, value in attrs:
            javascript_url = name in URL_ATTRIBUTES and (value or "").lower().startswith("javascript:")
            if name.startswith("on") or name == "style" or javascript_url:
                self.inline.append(f"<{tag} {name}={value!r}>")


@pytest.fixture
def walked(app, client):
    """Each page's response, fetched by its visitor (an admin signed in for desk pages)."""
    rows = make_page_rows()
    desk = app.test_client()
    sign_in(desk, rows.admin_email, PASSWORD)
    return [(page, (desk if page.visitor == ADMIN else client).get(page.url)) for page in pages_of(app, rows)]


def test_every_page_sends_a_strict_content_security_policy(walked):
    # The walk reaches desk pages of a record, the customer's private pages and the API docs.
    assert {"/tickets", "/customers", "/track", "/survey", "/api/v1"} <= {
        page.url.rsplit("/", 1)[0] for page, _ in walked
    }
    problems = []
    for page, response in walked:
        assert response.status_code in (200, 302), f"{page.url} answered {response.status_code}"
        policy = directives(response.headers.get("Content-Security-Policy", ""))
        for name, sources in PAGE_DIRECTIVES.items():
            if policy.get(name) != sources:
                problems.append(f"{page.url}: {name} is {policy.get(name)!r}, not {sources!r}")
        if "'unsafe-inline'" in str(policy) or "'unsafe-eval'" in str(policy):
            problems.append(f"{page.url}: allows inline code: {policy}")
        if not policy.get("script-src", "").startswith(("'nonce-", "'none'")):
            problems.append(f"{page.url}: script-src {policy.get('script-src')!r} is not nonce-based")
        if policy.get("style-src") != "'self'":
            problems.append(f"{page.url}: style-src is {policy.get('style-src')!r}")
    assert problems == []


def test_every_page_runs_only_script_files_carrying_its_nonce(walked):
    problems = []
    for page, response in walked:
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        markup = InlineCode()
        markup.feed(response.get_data(as_text=True))
        problems += [f"{page.url}: {found}" for found in markup.inline]
        script_src = directives(response.headers["Content-Security-Policy"])["script-src"]
        for script in markup.scripts:
            if f"'nonce-{script.get('nonce')}'" not in script_src:
                problems.append(f"{page.url}: {script.get('src')} lacks the nonce of {script_src}")
    assert problems == []


def test_every_page_is_neither_stored_framed_nor_sniffed_and_names_a_referrer_policy(walked):
    problems = []
    for page, response in walked:
        headers = response.headers
        if "no-store" not in headers.get("Cache-Control", ""):
            problems.append(f"{page.url} ({page.visitor}): Cache-Control {headers.get('Cache-Control')!r}")
        if headers.get("X-Frame-Options") != "DENY":
            problems.append(f"{page.url}: X-Frame-Options {headers.get('X-Frame-Options')!r}")
        if headers.get("X-Content-Type-Options") != "nosniff":
            problems.append(f"{page.url}: X-Content-Type-Options {headers.get('X-Content-Type-Options')!r}")
        if headers.get("Referrer-Policy") not in {"same-origin", "no-referrer"}:
            problems.append(f"{page.url}: Referrer-Policy {headers.get('Referrer-Policy')!r}")
    assert problems == []


def test_each_response_has_a_nonce_of_its_own(client):
    first, second = (client.get("/api/v1/docs") for _ in range(2))
    nonces = [directives(r.headers["Content-Security-Policy"])["script-src"] for r in (first, second)]
    assert nonces[0] != nonces[1]
    assert all(nonce.startswith("'nonce-") and nonce.endswith("'strict-dynamic'") for nonce in nonces)


def test_a_page_that_writes_no_script_allows_none(client):
    assert directives(client.get("/login").headers["Content-Security-Policy"])["script-src"] == "'none'"


def test_the_api_docs_send_nothing_to_the_online_validator(client):
    html = client.get("/api/v1/docs").get_data(as_text=True)
    assert "data-config='{\"validatorUrl\": null}'" in html


def test_api_answers_are_not_sniffed_stored_or_framed(client, as_agent):
    answers = {
        "list": as_agent.get("/api/v1/tickets"),
        "error": client.get("/api/v1/tickets"),
        "document": client.get("/api/v1/openapi.json"),
    }
    for what, response in answers.items():
        assert response.mimetype == "application/json", what
        assert response.headers["X-Content-Type-Options"] == "nosniff", what
        assert response.headers["Cache-Control"] == "no-store", what
        assert response.headers["Content-Security-Policy"] == NOTHING_TO_RUN_OR_FRAME, what
    assert answers["error"].status_code == 401


def test_only_what_is_built_per_request_is_kept_from_caches(client):
    assert client.get("/login").headers["Cache-Control"] == "no-store"
    static = client.get("/static/js/tickets.js")
    assert static.status_code == 200
    assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_is_sent_only_once_the_session_cookie_is_secure(app_config, client):
    behind_https = create_app({**app_config, "SESSION_COOKIE_SECURE": True, "HSTS_MAX_AGE_SECONDS": 600})
    for url in ("/login", "/api/v1/openapi.json", "/static/js/tickets.js"):
        secure = behind_https.test_client().get(url)
        assert secure.headers["Strict-Transport-Security"] == "max-age=600; includeSubDomains", url
        assert "Strict-Transport-Security" not in client.get(url).headers, url
