"""A live server on a random port and Debian's Chromium driven by Playwright.

The server runs the real app (SQLite file, embedded queue) in a thread of the test process; the browser
talks to it over loopback like any user. No browser is downloaded: Playwright launches /usr/bin/chromium.
Every page a test opens is watched for Content-Security-Policy violations: a test that met one fails.
"""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from tests import backends
from tests.conftest import BASE_CONFIG
from tests.factories import bind_factories

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        backends.unavailable("Debian's chromium is not installed (make test installs it when run as root)")
    return path


@pytest.fixture
def live_app(tmp_path):
    app = create_app(
        {
            **BASE_CONFIG,
            "SERVER_NAME": None,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'live.db'}",
            "RQ_ASYNC": False,
        }
    )
    with app.app_context():
        db.create_all()
        bind_factories()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# Runs in every document before its own scripts; the browser fires the event for each thing the
# policy blocked (a script, a style, an image, a connection, eval), also where nothing else shows it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => window.reportCspViolation(
  `${location.pathname}: ${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
  + (event.sample ? ` (${event.sample})` : "") + ` at ${event.sourceFile}:${event.lineNumber}`));
"""


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context per test; requests leaving this machine are recorded and refused, and
    policy violations are collected in `page.csp_violations` (left there, they fail the test)."""
    context = browser.new_context(base_url=live_server)
    outside: list[str] = []
    violations: list[str] = []
    context.expose_binding("reportCspViolation", lambda _source, violation: violations.append(violation))
    context.add_init_script(REPORT_VIOLATIONS)

    def guard(route):
        url = route.request.url
        if url.startswith(live_server) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    page = context.new_page()

    def console(message):
        # The browser also logs each violation; this catches one the event missed (a worker's, say).
        if "Content Security Policy" in message.text:
            violations.append(f"console: {message.text}")

    page.on("console", console)
    page.outside_requests = outside
    page.csp_violations = violations
    yield page
    context.close()
    if violations:
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(violations))


@pytest.fixture
def watched(page):
    """The page, with every dialog recorded (and dismissed, so nothing waits on it)."""
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.dialogs = dialogs
    return page
