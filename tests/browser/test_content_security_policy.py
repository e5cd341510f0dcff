"""Every page works under its Content-Security-Policy in a real Chromium: nothing is blocked.

The pages come from the URL map (`tests/pages.py`): public ones opened anonymously, the customer's by
the links we mail, then the desk's signed in as an admin. The conftest's `page` collects violations.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_sign_in import sign_in
from tests.pages import ADMIN, ANONYMOUS, make_page_rows, pages_of

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect
# Only scripts our templates tagged with the response's nonce, or none at all.
STRICT_SCRIPTS = re.compile(r"script-src ('nonce-[\w-]+' 'strict-dynamic'|'none')(;|$)")


def open_page(page, url: str) -> None:
    """Open `url`, a page under the policy, and wait until it has done all it does on loading."""
    response = page.goto(url)
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    assert response.headers["content-type"].startswith("text/html"), url
    policy = response.headers.get("content-security-policy", "")
    assert STRICT_SCRIPTS.search(policy) and "unsafe-inline" not in policy, f"{url}: policy {policy!r}"
    # Scripts, styles, images and the requests scripts make have run by then.
    page.wait_for_load_state("networkidle")


def test_every_page_loads_without_a_policy_violation(page, live_app):
    rows = make_page_rows()
    pages = pages_of(live_app, rows)
    seen = []
    for visitor in (ANONYMOUS, ADMIN):
        if visitor == ADMIN:
            sign_in(page, rows.admin_email)
        for each in pages:
            if each.visitor == visitor:
                open_page(page, each.url)
                seen.append(each.url)
    violations, page.csp_violations[:] = list(page.csp_violations), []
    assert violations == [], f"{len(violations)} violations on {len(seen)} pages"
    assert f"/tickets/{rows.ticket_id}" in seen


def test_the_api_docs_render_every_operation_and_try_one_under_the_policy(page, live_app):
    document = page.request.get("/api/v1/openapi.json").json()
    operations = sum(
        method in {"get", "post", "put", "patch", "delete"}
        for path in document["paths"].values()
        for method in path
    )

    open_page(page, "/api/v1/docs")
    expect(page.locator(".opblock")).to_have_count(operations)
    me = page.locator(".opblock-get").filter(has=page.locator("[data-path='/api/v1/auth/me']"))
    me.locator(".opblock-summary").click()
    me.get_by_role("button", name="Try it out").click()
    me.get_by_role("button", name="Execute").click()
    # Swagger UI called the API from the page (nobody is signed in: 401) and shows the answer.
    expect(me.locator(".live-responses-table tbody .response-col_status")).to_have_text("401")
    assert page.csp_violations == []


def test_the_watch_catches_an_inline_script(page, live_app):
    """The watch works: a page given an inline script (as a template might one day) is caught."""

    def add_inline_script(route):
        answer = route.fetch()
        body = answer.text().replace("</body>", "<script>document.title = 'ran'</script></body>")
        route.fulfill(response=answer, body=body)

    page.route("**/login", add_inline_script)
    open_page(page, "/login")
    assert page.title() != "ran"
    violations, page.csp_violations[:] = list(page.csp_violations), []
    assert any("/login: script-src" in violation for violation in violations), violations
