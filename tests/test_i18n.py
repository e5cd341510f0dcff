"""Languages and time zones: which language a page speaks, the switcher, dates in the viewer's time zone,
customer_locale for mails, and a committed catalog that translates every text the code marks."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import render_template_string
from flask_babel import get_locale, gettext
from flask_login import login_user

from app.i18n import customer_locale, normalize_language, safe_local_path, select_timezone, use_customer
from tests.customer_factories import CustomerFactory
from tests.factories import PASSWORD, AgentFactory
from tests.helpers import sign_in

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
# The keywords `make translations` adds to Babel's defaults.
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}


def compile_catalogs() -> None:
    """What `make catalogs` does, for a test run that did not go through make."""
    for po in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


@pytest.fixture(autouse=True, scope="module")
def _catalogs():
    compile_catalogs()


@contextmanager
def request(app, *, agent=None, **kwargs):
    """A request of its own (a fresh `g`, where the language is cached), optionally signed in."""
    with app.app_context(), app.test_request_context(**kwargs):
        if agent is not None:
            login_user(agent)
        yield


def language(app, **kwargs) -> str:
    customer = kwargs.pop("customer", None)
    with request(app, **kwargs):
        if customer is not None:
            use_customer(customer)
        return str(get_locale())


CHINESE_BROWSER = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH_CUSTOMER = SimpleNamespace(preferred_language="en", timezone=None)
CHINESE_CUSTOMER = SimpleNamespace(preferred_language="zh", timezone="Asia/Shanghai")


# -- which language -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("zh", "zh"),
        ("zh-CN", "zh"),
        ("zh-Hans", "zh"),
        ("zh_Hans_CN", "zh"),
        ("zh-SG", "zh"),
        ("zh-TW", None),
        ("zh-Hant", None),
        ("en-GB", "en"),
        ("EN", "en"),
        ("fr", None),
        ("en\n", None),
        ("", None),
        (None, None),
    ],
)
def test_language_tags_map_to_the_languages_we_speak(tag, code):
    assert normalize_language(tag) == code


def test_nothing_known_means_english(app):
    assert language(app) == "en"


def test_the_browser_decides_when_nothing_else_does(app):
    assert language(app, headers=CHINESE_BROWSER) == "zh"
    assert language(app, headers={"Accept-Language": "fr, zh-Hans;q=0.8"}) == "zh"
    assert language(app, headers={"Accept-Language": "zh-TW, de"}) == "en"


def test_the_customer_of_the_page_beats_the_browser(app):
    assert language(app, headers=CHINESE_BROWSER, customer=ENGLISH_CUSTOMER) == "en"
    assert language(app, customer=CHINESE_CUSTOMER) == "zh"


def test_the_signed_in_agent_beats_the_customer(app):
    agent = AgentFactory(language="en")

    assert language(app, agent=agent, headers=CHINESE_BROWSER, customer=CHINESE_CUSTOMER) == "en"


def test_the_switcher_beats_the_agent(app):
    agent = AgentFactory(language="en")

    assert language(app, agent=agent, headers={"Cookie": "language=zh"}) == "zh"


def test_a_forged_cookie_is_ignored(app):
    assert language(app, headers={"Cookie": "language=xx", **CHINESE_BROWSER}) == "zh"


def test_time_zone_comes_from_the_agent_then_the_customer(app):
    with request(app):
        use_customer(CHINESE_CUSTOMER)
        assert select_timezone() == "Asia/Shanghai"
    with request(app, agent=AgentFactory(timezone="Europe/Berlin")):
        use_customer(CHINESE_CUSTOMER)
        assert select_timezone() == "Europe/Berlin"
    with request(app):
        assert select_timezone() == "UTC"


# -- the switcher ---------------------------------------------------------------------------------------


def test_switcher_remembers_the_choice_and_goes_back(client):
    response = client.get("/language/zh?next=/login?next=/tickets")

    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/tickets"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("language=zh;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page
    assert "<h1>登录</h1>" in page


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/\\/evil.example",
        "javascript:alert(1)",
    ],
)
def test_switcher_never_sends_anyone_off_site(client, target):
    response = client.get("/language/en", query_string={"next": target})

    assert response.status_code == 302
    assert response.headers["Location"] == "/customers"


def test_switcher_refuses_languages_we_do_not_speak(client):
    assert client.get("/language/fr").status_code == 404


def test_safe_local_path_keeps_paths_with_queries():
    assert safe_local_path("/tickets?status=open&page=2") == "/tickets?status=open&page=2"
    assert safe_local_path("/tickets\r\nSet-Cookie: x=1") is None


def test_login_page_offers_the_switcher_with_a_way_back(client):
    page = client.get("/login?next=/tickets").get_data(as_text=True)

    assert 'href="/language/zh?next=/login?next%3D/tickets"' in page
    assert '<span lang="en" aria-current="true">English</span>' in page


# -- agent pages ---------------------------------------------------------------------------------------


def test_agent_pages_speak_the_agents_language(client):
    agent = AgentFactory(language="zh")
    sign_in(client, agent.email, PASSWORD)

    page = client.get("/customers", headers={"Accept-Language": "en"}).get_data(as_text=True)

    assert '<html lang="zh-Hans">' in page
    assert "<h1>客户</h1>" in page
    assert ">工单</a>" in page
    assert "退出登录" in page


def test_form_messages_follow_the_language_wtforms_own_included(client):
    page = client.get("/login", headers=CHINESE_BROWSER).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]

    response = client.post("/login", data={"csrf_token": token}, headers=CHINESE_BROWSER)

    assert "该字段是必填字段。" in response.get_data(as_text=True)


def test_dates_show_in_the_agents_time_zone_and_language(client):
    customer = CustomerFactory(name="Wei Zhang", created_at=datetime(2026, 1, 5, 23, 30, tzinfo=UTC))
    agent = AgentFactory(language="zh", timezone="Asia/Shanghai")
    sign_in(client, agent.email, PASSWORD)

    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)

    # 23:30 UTC on 5 January is already 6 January in Shanghai.
    assert "2026年1月6日" in page


def test_dates_in_english_for_an_english_agent_in_new_york(client):
    customer = CustomerFactory(name="Wei Zhang", created_at=datetime(2026, 1, 6, 3, 30, tzinfo=UTC))
    agent = AgentFactory(language="en", timezone="America/New_York")
    sign_in(client, agent.email, PASSWORD)

    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)

    assert "Jan 5, 2026" in page


# -- outside a request: e-mails ---------------------------------------------------------------------------


MOMENT = datetime(2026, 3, 1, 0, 30, tzinfo=UTC)
TEMPLATE = "{{ _('Tickets') }} · {{ moment|datetime('long') }} · {{ n|number }}"


def test_customer_locale_speaks_the_customers_language_in_their_time_zone(app):
    with app.app_context():
        with customer_locale(CHINESE_CUSTOMER):
            text = render_template_string(TEMPLATE, moment=MOMENT, n=1234567.5)
        after = render_template_string(TEMPLATE, moment=MOMENT, n=1234567.5)

    assert text == "工单 · 2026年3月1日 08:30 UTC+8 · 1,234,567.5"
    assert after == "Tickets · Mar 1, 2026, 00:30 UTC · 1,234,567.5"


def test_customer_locale_takes_a_code_and_a_zone_and_falls_back_when_unknown(app):
    with app.app_context():
        with customer_locale("zh-CN", "America/New_York"):
            assert gettext("Tickets") == "工单"
            assert render_template_string("{{ m|date }}", m=MOMENT) == "2026年2月28日"
        with customer_locale("xx", "Not/A_Zone"):
            assert gettext("Tickets") == "Tickets"
            assert render_template_string("{{ m|time }}", m=MOMENT) == "00:30"


def test_customer_locale_inside_a_request_restores_the_requests_language(app):
    with request(app, headers=CHINESE_BROWSER):
        with customer_locale(ENGLISH_CUSTOMER):
            assert gettext("Tickets") == "Tickets"
        assert gettext("Tickets") == "工单"


def test_filters_leave_nothing_for_none(app):
    with request(app):
        assert (
            render_template_string(
                "[{{ none|moment }}{{ none|datetime }}{{ none|relative }}{{ none|date }}{{ none|number }}]",
                none=None,
            )
            == "[]"
        )


# -- customers' language and time zone -----------------------------------------------------------------


def test_customer_language_is_one_we_speak_and_time_zone_a_real_one(as_agent):
    customer = CustomerFactory()
    url = f"/api/v1/customers/{customer.id}"

    saved = as_agent.patch(url, json={"preferred_language": "zh-CN", "timezone": "Asia/Shanghai"})
    assert saved.status_code == 200, saved.json
    assert (saved.json["preferred_language"], saved.json["timezone"]) == ("zh", "Asia/Shanghai")

    refused = as_agent.patch(url, json={"preferred_language": "fr", "timezone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert set(refused.json["errors"]) >= {"preferred_language"}
    assert as_agent.patch(url, json={"timezone": "Mars/Olympus"}).json["errors"].keys() == {"timezone"}


# -- the catalog -----------------------------------------------------------------------------------------


def _extracted_messages() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT / "app"), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("language_code", ["zh"])
def test_every_text_in_the_code_has_a_translation(language_code):
    with (TRANSLATIONS / language_code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }

    missing = sorted(_extracted_messages() - translated)

    assert not missing, f"untranslated: {missing} (run `make translations`, then translate)"
    assert not [(m.id, errors) for m, errors in catalog.check()], "placeholders differ"
