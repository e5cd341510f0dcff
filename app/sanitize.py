"""Rich text of tickets and comments: sanitized HTML in, safe HTML (and plain text) out.

Every body a person writes (a reply, an internal note, a ticket description, a complaint from the public
form or an e-mail) goes through `clean_html` before it is stored, and templates then render the stored
HTML as is. So this module is the one line of defence against stored XSS in the agent console, and it
is built as an allowlist: a handful of formatting tags, links and agent mentions; everything else is
dropped. In particular:

- no scripts, styles, frames, objects, forms, SVG or MathML: the tags go, and for the dangerous ones
  their content goes too (it is markup or code, not text anyone wrote for a human);
- no event handlers, no `style` (CSS can hide, overlay and exfiltrate), no `id` (DOM clobbering);
- links only to absolute `http:`, `https:` and `mailto:` URLs, always with
  `rel="noopener noreferrer nofollow"`; relative URLs are dropped too, so a message cannot link into
  the app itself on the agent's behalf;
- no images at all: an `<img>` would load a remote URL when an agent opens the ticket (a tracking pixel
  that tells the sender who read it and from where). Pictures travel as attachments.

Plain text (input without a single complete tag, as from an e-mail's text part or an API client) is
escaped, and its line breaks are kept: blank lines separate paragraphs, single newlines become `<br>`.
Input with a tag is taken as HTML, and its whitespace means what it means in HTML. `text_to_html` is the
explicit form for callers that know they hold plain text (then even `<b>` stays literal text).

`clean_html` is idempotent: cleaning its output again changes nothing, so re-saving a body is safe.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import nh3

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "hr",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "s",
        "del",
        "ins",
        "sub",
        "sup",
        "blockquote",
        "code",
        "pre",
        "ul",
        "ol",
        "li",
        "a",
        "h1",
        "h2",
        "h3",
        "h4",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "span",
    }
)
ALLOWED_ATTRIBUTES = {
    # Spelled out, or nh3 would allow its default generic attributes (`lang`, `title`) on every tag.
    "*": set(),
    "a": {"href", "title"},
    # An agent mention, as the console's editor writes it: <span class="mention" data-agent-id="7">.
    "span": {"class", "data-agent-id"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"
MENTION_CLASS = "mention"
# Their content is dropped with the tag: it is code or foreign markup, never text meant for a reader,
# and keeping it as text would show raw payloads (or CSS) in the conversation.
DROP_WITH_CONTENT = frozenset(
    {
        "script",
        "style",
        "template",
        "noscript",
        "noembed",
        "noframes",
        "xmp",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "svg",
        "math",
        "title",
        "textarea",
        "select",
        "head",
        "meta",
        "link",
        "base",
    }
)

_ABSOLUTE_URL = re.compile(r"^(?:https?://[^\s/]|mailto:\S)", re.IGNORECASE)
_AGENT_ID = re.compile(r"^[1-9][0-9]{0,9}$")
# What makes input count as HTML: a complete tag or end tag, a comment, a doctype or a processing
# instruction. A lone "<" ("a<b then") keeps text as text instead of swallowing what follows it.
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<[!?]")
_BLANK_LINES = re.compile(r"\n[ \t]*\n\s*")


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Second check on what nh3's allowlist let through (values arrive entity-decoded)."""
    if attribute == "href":
        # nh3 already refuses other schemes; this also refuses relative and scheme-less URLs.
        value = value.strip()
        return value if _ABSOLUTE_URL.match(value) else None
    if tag == "span" and attribute == "class":
        return MENTION_CLASS if MENTION_CLASS in value.split() else None
    if tag == "span" and attribute == "data-agent-id":
        value = value.strip()
        return value if _AGENT_ID.match(value) else None
    return value


def clean_html(raw: str) -> str:
    """Safe HTML for a body someone wrote: HTML is reduced to the allowlist, plain text is escaped.

    Input without any tag is plain text (see `text_to_html`). The result is stripped of surrounding
    whitespace, and cleaning it again returns it unchanged.
    """
    if raw is None:
        return ""
    raw = raw.replace("\x00", "")
    if not _MARKUP.search(raw):
        return text_to_html(raw)
    cleaned = nh3.clean(
        raw,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    ).strip()
    if cleaned and not _MARKUP.search(cleaned):
        # Every tag was dropped: as it stands the text would read as plain text next time (and its
        # entities be escaped again), so it keeps a paragraph to stay HTML.
        cleaned = f"<p>{cleaned}</p>"
    return cleaned


def text_to_html(text: str) -> str:
    """Plain text as safe HTML: escaped, blank lines separating `<p>` paragraphs, newlines as `<br>`."""
    text = text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [part.strip() for part in _BLANK_LINES.split(text)]
    return "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in part.split("\n")) + "</p>"
        for part in paragraphs
        if part
    )


# A web address in plain text: up to the first space or character that cannot be in a URL unquoted.
_TEXT_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence more often than a URL ("see https://x.test/a.").
_URL_TAIL = ".,;:!?)]}"


def linked_text(text: str) -> str:
    """Plain text as safe HTML with its `http(s)` addresses as links, line breaks left as they are (for a
    `<pre>`): everything is escaped, and only absolute web addresses become links, which open without
    telling the target who sent the visitor (`rel="noopener noreferrer"`)."""
    parts: list[str] = []
    position = 0
    for match in _TEXT_URL.finditer(text or ""):
        url = match.group().rstrip(_URL_TAIL)
        if not _ABSOLUTE_URL.match(url):
            continue
        parts.append(html.escape(text[position : match.start()]))
        escaped = html.escape(url)
        parts.append(f'<a href="{escaped}" rel="noopener noreferrer">{escaped}</a>')
        position = match.start() + len(url)
    parts.append(html.escape((text or "")[position:]))
    return "".join(parts)


def mentioned_agent_ids(clean: str) -> list[int]:
    """The agent ids of the mentions in cleaned HTML, in order of first appearance, each once."""
    finder = _MentionFinder()
    finder.feed(clean)
    finder.close()
    return finder.ids


class _MentionFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag != "span" or MENTION_CLASS not in (values.get("class") or "").split():
            return
        agent_id = (values.get("data-agent-id") or "").strip()
        if _AGENT_ID.match(agent_id) and int(agent_id) not in self.ids:
            self.ids.append(int(agent_id))


# -- HTML to plain text --------------------------------------------------------------------------------

# Elements that end a line of text (their content starts and ends on a line of its own).
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "table",
        "caption",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "hr",
        "section",
        "article",
        "header",
        "footer",
        "address",
        "dl",
        "dt",
        "dd",
        "figure",
        "figcaption",
    }
)
_PARAGRAPHS = frozenset({"p", "blockquote", "pre", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6"})
_INVISIBLE = frozenset({"script", "style", "template", "head", "title", "noscript", "svg", "math"})
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


class _TextExtractor(HTMLParser):
    """Collects text with line structure; `\n` marks a line end, `\n\n` a paragraph end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._bullet = False
        self._links: list[str | None] = []
        self._link_text: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self._hidden += 1
            return
        if tag == "br":
            self._emit("\n")
        elif tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)
            if tag == "li":
                # Written with the item's first text, so a <p> inside the item cannot split them.
                self._bullet = True
            elif tag == "hr":
                self._emit("----")
                self._break(1)
        elif tag in {"td", "th"} and not self._at_line_start():
            self._emit(" ")
        if tag == "pre":
            self._pre += 1
        if tag == "a":
            self._links.append(dict(attrs).get("href"))
            self._link_text.append([])

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in {"br", "hr"}:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self._hidden = max(0, self._hidden - 1)
            return
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag == "li":
            self._bullet = False
        if tag == "a" and self._links:
            href = self._links.pop()
            text = "".join(self._link_text.pop()).strip()
            # Keep the address where a reader of the plain text could not otherwise see it.
            if href and _ABSOLUTE_URL.match(href.strip()):
                target = href.strip()
                shown = target[len("mailto:") :] if target.lower().startswith("mailto:") else target
                if shown != text:
                    self._emit(f" ({target})" if text else target)
        if tag in _BLOCKS:
            self._break(2 if tag in _PARAGRAPHS else 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data.replace("\r", " ").replace("\n", " "))
            if self._at_line_start():
                data = data.lstrip(" ")
        if data:
            if self._bullet:
                self._bullet = False
                self._emit("- ")
            self._emit(data, text=True)

    def _trailing_newlines(self) -> int:
        """How many newlines end the text so far (the start of the text counts as a paragraph end)."""
        count = 0
        for part in reversed(self.parts):
            stripped = part.rstrip("\n")
            count += len(part) - len(stripped)
            if stripped:
                return count
        return 2

    def _at_line_start(self) -> bool:
        return self._trailing_newlines() > 0

    def _break(self, newlines: int) -> None:
        """End the line (1) or the paragraph (2), unless the text already ends so: blocks nest."""
        missing = newlines - self._trailing_newlines()
        if missing > 0:
            self._emit("\n" * missing)

    def _emit(self, chunk: str, *, text: bool = False) -> None:
        self.parts.append(chunk)
        if text:
            for collected in self._link_text:
                collected.append(chunk)


def html_to_text(markup: str) -> str:
    """Plain text of (cleaned) HTML, for search indexing and the plain part of e-mails.

    Tags go, entities are decoded, runs of spaces collapse to one, block elements end lines, paragraphs
    are separated by one blank line, list items start with "- ", and a link's address follows its text
    in parentheses when the text does not already show it. `<pre>` keeps its whitespace.
    """
    if not markup:
        return ""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    # Only trailing spaces go here: leading ones were dropped as text arrived, except inside <pre>.
    text = "\n".join(line.rstrip() for line in "".join(extractor.parts).split("\n"))
    return _MANY_NEWLINES.sub("\n\n", text).strip()
