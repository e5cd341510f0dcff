"""Security headers on every response: what a page may run and load, who may frame it, what the browser
sends on and what it keeps.

- **Pages** (`text/html`) get the Content-Security-Policy of `CONTENT_SECURITY_POLICY`. No page has an
  inline script, event handler or style: scripts are static files, each `<script>` tag carrying this
  response's nonce (`csp_nonce()` in templates), so `script-src` is `'nonce-…' 'strict-dynamic'`: only
  tags our templates wrote run (and what they load), never a same-origin file someone got us to serve,
  and a page that wrote no script gets `script-src 'none'`.
- **Everything else** (the API's JSON, files) gets `default-src 'none'; frame-ancestors 'none'`: opened
  on its own it runs and loads nothing and cannot be framed. A view that sets its own policy (attachments
  add `sandbox`) keeps it.
- **Nothing built per request is stored** (`Cache-Control: no-store`, unless the view said otherwise):
  every page is either a signed-in person's, a customer's private link, or a form holding a CSRF token
  of its visitor's session, and a nonce must not be served twice. Static files keep Flask's caching.
- **HSTS** follows `SESSION_COOKIE_SECURE`: whoever marks the session cookie secure serves the site over
  HTTPS, and then browsers should never try plain HTTP again. Nothing here redirects to HTTPS: that is the
  TLS-terminating proxy's job, and plain HTTP stays usable for embedded mode and development.

A hook of our own rather than flask-talisman: its last release is from 2023, it redirects to HTTPS by
default, rewrites the session cookie's settings (owned by the sign-in code), decides HSTS from an
unchecked `X-Forwarded-Proto`, sends one policy to pages and JSON alike and knows nothing of caching;
what it would spare us is the few lines below.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, request
from werkzeug.wrappers import Response

# Kept in the request's WSGI environment, which lives exactly as long as the request: `g` lives as long
# as the app context, which several requests may share (a test client inside an open context).
NONCE_KEY = "switchboard.csp_nonce"
# Stricter than any page needs; a response without HTML never runs or loads anything.
NON_PAGE_POLICY = "default-src 'none'; frame-ancestors 'none'"


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.after_request(add_security_headers)


def csp_nonce() -> str:
    """This response's script nonce, made on first use; a template puts it on every `<script>` it writes."""
    return request.environ.setdefault(NONCE_KEY, secrets.token_urlsafe(18))


def page_policy(directives: dict[str, str], nonce: str | None) -> str:
    """The page policy: `directives` with the response's nonce as its only script source."""
    scripts = f"'nonce-{nonce}' 'strict-dynamic'" if nonce else "'none'"
    return "; ".join(f"{name} {sources}" for name, sources in {**directives, "script-src": scripts}.items())


def add_security_headers(response: Response) -> Response:
    config = current_app.config
    headers = response.headers
    if response.mimetype == "text/html":
        policy = page_policy(config["CONTENT_SECURITY_POLICY"], request.environ.get(NONCE_KEY))
    else:
        policy = NON_PAGE_POLICY
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # For browsers that predate `frame-ancestors`.
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", config["REFERRER_POLICY"])
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    if config["SESSION_COOKIE_SECURE"]:
        hsts = f"max-age={config['HSTS_MAX_AGE_SECONDS']}; includeSubDomains"
        headers.setdefault("Strict-Transport-Security", hsts)
    return response
