"""The rich-text sanitizer: known XSS payloads come out harmless, allowed formatting survives."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from app.sanitize import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_TAGS,
    clean_html,
    html_to_text,
    linked_text,
    mentioned_agent_ids,
    text_to_html,
)
from tests.tickets.xss_payloads import XSS_PAYLOADS

FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "svg",
    "math",
    "style",
    "img",
    "meta",
    "base",
    "form",
    "link",
    "input",
    "button",
    "textarea",
    "template",
    "noscript",
    "body",
    "video",
    "audio",
    "source",
    "picture",
}
FORBIDDEN_ATTRIBUTES = {
    "style",
    "srcdoc",
    "formaction",
    "src",
    "srcset",
    "action",
    "background",
    "id",
    "target",
}
_SAFE_URL = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)
# What a browser ignores inside a URL scheme: whitespace and control characters.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


class _Markup(HTMLParser):
    """Every element, attribute and comment of an HTML fragment, as a browser-like tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.declarations: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.comments.append(data)

    def handle_decl(self, decl):
        self.declarations.append(decl)

    def unknown_decl(self, data):
        self.declarations.append(data)

    def handle_pi(self, data):
        self.declarations.append(data)


def _parse(fragment: str) -> _Markup:
    markup = _Markup()
    markup.feed(fragment)
    markup.close()
    return markup


def assert_harmless(output: str, *, text_may_quote_markup: bool = False) -> None:
    """No element, attribute or URL that could run script or load anything; `text_may_quote_markup`
    for plain text that was escaped on purpose (its text shows `style=` and the like as words)."""
    markup = _parse(output)
    assert not markup.comments and not markup.declarations
    for tag, attributes in markup.elements:
        assert tag in ALLOWED_TAGS and tag not in FORBIDDEN_TAGS, tag
        allowed = ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
        for name, value in attributes.items():
            assert not name.startswith("on"), name
            assert name not in FORBIDDEN_ATTRIBUTES, name
            assert name in allowed, (tag, name)
            if name == "href":
                assert value is not None and _SAFE_URL.match(value), value
                scheme = _IGNORED_IN_SCHEME.sub("", value).lower()
                assert not scheme.startswith(("javascript:", "vbscript:", "data:", "livescript:")), value
            if name == "rel":
                assert value == "noopener noreferrer nofollow"
    if text_may_quote_markup:
        return
    lowered = output.lower()
    for tag in FORBIDDEN_TAGS:
        assert f"<{tag}" not in lowered, tag
    for word in ("srcdoc", "formaction", "style="):
        assert word not in lowered, word


def test_there_are_enough_payloads():
    assert len(XSS_PAYLOADS) >= 40
    assert len(set(XSS_PAYLOADS)) == len(XSS_PAYLOADS)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_comes_out_harmless(payload):
    output = clean_html(payload)

    assert_harmless(output)


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_cleaning_is_idempotent(payload):
    once = clean_html(payload)

    assert clean_html(once) == once


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_payload_inside_formatting_comes_out_harmless(payload):
    output = clean_html(f"<p>Hello <strong>there</strong></p>{payload}<p>bye</p>")

    assert_harmless(output)
    assert "<strong>there</strong>" in output
    assert clean_html(output) == output


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_plain_text_form_is_harmless_too(payload):
    output = text_to_html(payload)

    assert_harmless(output, text_may_quote_markup=True)
    assert {tag for tag, _ in _parse(output).elements} <= {"p", "br"}


def test_allowed_formatting_survives():
    body = (
        "<h2>Summary</h2><p><strong>Bold</strong>, <b>b</b>, <em>em</em>, <i>i</i>, <u>u</u>, <s>s</s>, "
        "<code>x = 1</code>, H<sub>2</sub>O, x<sup>2</sup></p><pre>  indented\n    code</pre>"
        "<blockquote><p>quoted</p></blockquote><ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>"
        "<hr><table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>"
    )

    assert clean_html(body) == body


def test_links_get_rel_and_keep_href_and_title():
    output = clean_html(
        '<a href="https://example.com/a?b=1&amp;c=2" title="Docs" target="_blank" rel="opener">docs</a>'
    )

    assert output == (
        '<a href="https://example.com/a?b=1&amp;c=2" title="Docs" rel="noopener noreferrer nofollow">docs</a>'
    )


@pytest.mark.parametrize(
    "href", ["mailto:help@example.com", "http://example.com", "HTTPS://EXAMPLE.COM/Path"]
)
def test_absolute_http_and_mailto_links_are_kept(href):
    output = clean_html(f'<a href="{href}">x</a>')

    assert f'href="{href}"' in output


@pytest.mark.parametrize(
    "href", ["/api/v1/tickets", "tickets/1", "//evil.example/x", "#top", "ftp://files.example/x", "tel:+1555"]
)
def test_relative_and_other_scheme_links_lose_their_href(href):
    output = clean_html(f'<a href="{href}">x</a>')

    assert output == '<a rel="noopener noreferrer nofollow">x</a>'


def test_images_are_dropped_even_from_safe_urls():
    assert clean_html('<p>a<img src="https://example.com/logo.png" alt="logo">b</p>') == "<p>ab</p>"


def test_comments_are_stripped():
    assert clean_html("<p>a<!-- internal -->b</p>") == "<p>ab</p>"


def test_dangerous_containers_lose_their_content_too():
    body = "<p>x</p><style>p{color:red}</style><script>var a</script><svg><text>t</text></svg>"

    assert clean_html(body) == "<p>x</p>"


def test_mentions_keep_only_their_class_and_numeric_agent_id():
    output = clean_html(
        '<p>Hi <span class="mention big" data-agent-id="7" data-x="1">@Ann</span>, '
        '<span class="other" data-agent-id="x7">@Bob</span></p>'
    )

    assert output == '<p>Hi <span class="mention" data-agent-id="7">@Ann</span>, <span>@Bob</span></p>'


def test_mentioned_agent_ids_in_order_each_once():
    body = clean_html(
        '<p><span class="mention" data-agent-id="9">@A</span> <span class="mention" data-agent-id="3">@B'
        '</span> <span class="mention" data-agent-id="9">@A</span> <span data-agent-id="4">@C</span></p>'
    )

    assert mentioned_agent_ids(body) == [9, 3]


def test_plain_text_is_escaped_and_keeps_line_breaks():
    output = clean_html("Hello,\r\nthe printer <3 & I are friends.\n\n\nBye\n")

    assert output == "<p>Hello,<br>the printer &lt;3 &amp; I are friends.</p><p>Bye</p>"
    assert clean_html(output) == output


def test_a_lone_angle_bracket_keeps_text_as_text():
    assert clean_html("if a<b then c") == "<p>if a&lt;b then c</p>"


def test_text_to_html_never_reads_tags():
    assert text_to_html("<b>x</b>\ny") == "<p>&lt;b&gt;x&lt;/b&gt;<br>y</p>"


@pytest.mark.parametrize("raw", ["", "   ", "\n\n", "<script>x</script>"])
def test_empty_input_gives_empty_output(raw):
    assert clean_html(raw) == ""


def test_nul_characters_are_removed():
    assert clean_html("a\x00b") == "<p>ab</p>"


def test_html_to_text_decodes_entities_and_collapses_whitespace():
    text = html_to_text("<p>Tom&nbsp;&amp;   Jerry\n   are &lt;friends&gt;</p>")

    assert text == "Tom & Jerry are <friends>"


def test_html_to_text_keeps_structure():
    html = (
        "<h2>Title</h2><p>First line<br>second line</p><ul><li>one</li><li><p>two</p></li></ul>"
        "<pre>  keep\n    this</pre><table><tr><th>a</th><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>"
    )

    assert html_to_text(html) == (
        "Title\n\nFirst line\nsecond line\n\n- one\n\n- two\n\n  keep\n    this\n\na b\nc d"
    )


def test_html_to_text_shows_link_targets_once():
    html = clean_html(
        '<p><a href="https://example.com/help">help</a>, <a href="https://example.com">https://example.com</a>'
        ', <a href="mailto:desk@example.com">desk@example.com</a>, <a href="/relative">rel</a></p>'
    )

    assert html_to_text(html) == "help (https://example.com/help), https://example.com, desk@example.com, rel"


def test_html_to_text_drops_script_and_style_content():
    assert html_to_text("<style>p{}</style><p>a</p><script>alert(1)</script>") == "a"


def test_html_to_text_of_plain_text_conversion_round_trips():
    text = "Hello,\nsecond line\n\nBye <3"

    assert html_to_text(clean_html(text)) == text


# -- web addresses in plain text (the mail log) -------------------------------------------------------


def test_web_addresses_in_plain_text_become_links_and_the_rest_stays_text():
    text = "Track it at https://help.example.com/track/a?b=1&c=2.\nOr write <b>to us</b>."

    assert linked_text(text) == (
        'Track it at <a href="https://help.example.com/track/a?b=1&amp;c=2" rel="noopener noreferrer">'
        "https://help.example.com/track/a?b=1&amp;c=2</a>.\nOr write &lt;b&gt;to us&lt;/b&gt;."
    )


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@example.com",
        "ftp://files.example.com/x",
        "https:///no-host",
        "//example.com/relative",
    ],
)
def test_only_absolute_web_addresses_become_links(text):
    assert "<a " not in linked_text(text)
    assert "<script" not in linked_text(text)


def test_an_address_cannot_break_out_of_its_link():
    linked = linked_text('https://example.com/"onmouseover="alert(1)')

    assert linked.startswith('<a href="https://example.com/" rel="noopener noreferrer">')
    assert '"onmouseover' not in linked
