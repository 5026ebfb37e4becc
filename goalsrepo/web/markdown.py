"""Goal descriptions: Markdown rendered safely, and a plain-text summary of it.

A description is text from a goal file, so it is untrusted: raw HTML is shown as text,
only ``http``/``https``/``mailto`` URLs become links, and images never load (the site makes
no external requests). nh3 then sanitises the result against an allow-list, so a bug in
the Markdown step cannot become a script on the page.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import nh3
from markupsafe import Markup

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.rules_core import StateCore
    from markdown_it.token import Token

_SAFE_URL = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_WEB_URL = re.compile(r"https?:", re.IGNORECASE)
_REL = "nofollow noopener noreferrer"

# The tags CommonMark, tables and strikethrough produce, minus img (images become links).
_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr", "li",
    "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip

_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    # nh3 refuses `rel` as an allowed attribute; it sets it itself through link_rel.
    attributes={"a": {"href"}, "ol": {"start"}},
    url_schemes={"http", "https", "mailto"},
    url_relative="deny",
    link_rel=_REL,
)


@functools.cache
def markdown_it() -> MarkdownIt:
    """The CommonMark renderer, loaded on first use: most descriptions are plain prose
    (:func:`_prose_html`), and loading markdown-it costs a rebuild after one check-in, which
    draws a goal page or two, a tenth of a second."""
    from markdown_it import MarkdownIt

    class SafeMarkdown(MarkdownIt):
        """Accept only web and mail URLs, so that links, autolinks and reference
        definitions to any other scheme (or relative ones) stay visible as the text that
        was written."""

        def validateLink(self, url: str) -> bool:
            return _SAFE_URL.match(url) is not None

    md = SafeMarkdown("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.core.ruler.push("secure_links", _secure_links)
    return md


def _secure_links(state: StateCore) -> None:
    """Demote headings, unlink empty links and turn images into links or text."""
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = _demoted(int(token.tag[1]))
        elif token.type == "inline" and token.children:
            token.children = _inline(token.children)


def _demoted(level: int) -> str:
    return f"h{min(level + 2, 6)}"


def _inline(children: Sequence[Token]) -> list[Token]:
    from markdown_it.token import Token

    out: list[Token] = []
    # One entry per open link: its href when it was kept, and where it starts in ``out``.
    kept: list[tuple[str | None, int]] = []
    for token in children:
        if token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            safe = _SAFE_URL.match(href) is not None
            kept.append((href if safe else None, len(out)))
            if safe:
                token.attrs = {"href": href}
                out.append(token)
        elif token.type == "link_close":
            target, start = kept.pop()
            if target is not None:
                if not any(t.content.strip() for t in out[start + 1:]):
                    # `[](url)`: a link needs a name; the address is the honest one.
                    out.append(Token("text", "", 0, content=target))
                out.append(token)
        elif token.type == "image":
            out.extend(_image(token, inside_link=any(h is not None for h, _ in kept)))
        else:
            out.append(token)
    return out


def _image(token: Token, *, inside_link: bool) -> list[Token]:
    """An image as a link to it (so nothing loads until the reader asks), else its alt."""
    from markdown_it.token import Token

    src = str(token.attrs.get("src", ""))
    alt = "".join(t.content for t in token.children or () if t.type in ("text", "code_inline"))
    text = Token("text", "", 0, content=alt)
    if inside_link or _WEB_URL.match(src) is None:
        return [text] if alt else []
    if not alt:
        text.content = src
    return [Token("link_open", "a", 1, attrs={"href": src}), text, Token("link_close", "a", -1)]


# Prose that _prose_html may render: no inline syntax, HTML, entities or escapes, and no
# whitespace but plain spaces and newlines, none at the start or end of a line.
_NOT_PROSE = re.compile(r"[`*_\[\]<>&\\|~\x00]|[^\S \n]|^ | $", re.MULTILINE)
_HEADING = re.compile(r"(#{1,6}) ([^ #]|[^ ].*[^#])")
_BLOCK_START = re.compile(r"[-#>+=]|\d{1,9}[.)]")


def _prose_html(text: str) -> str | None:
    """What markdown-it renders for paragraphs, ATX headings and tight one-line bullet
    lists of plain text, or None for anything else.

    markdown-it-py costs 100-500 µs for a short description, most of the site's budget
    for a page; most descriptions are this simple, and tests check both paths agree.
    """
    if _NOT_PROSE.search(text):
        return None
    out: list[str] = []
    paragraph: list[str] = []
    in_list = blank = False
    for line in text.split("\n"):
        if not line:
            blank = True
            continue
        item = line[2:] if line.startswith("- ") else None
        if in_list and (blank == (item is not None)):
            return None  # a loose list or a lazy continuation line
        if paragraph and (blank or item is not None or line.startswith("#")):
            out.append("<p>" + "\n".join(paragraph) + "</p>\n")
            paragraph = []
        if in_list and item is None:
            out.append("</ul>\n")
            in_list = False
        heading = _HEADING.fullmatch(line)
        if item is not None:
            if _BLOCK_START.match(item):
                return None
            out.append("<li>" + item + "</li>\n" if in_list else "<ul>\n<li>" + item + "</li>\n")
            in_list = True
        elif heading:
            tag = _demoted(len(heading[1]))
            out.append(f"<{tag}>{heading[2]}</{tag}>\n")
        elif _BLOCK_START.match(line):
            return None
        else:
            paragraph.append(line)
        blank = False
    if paragraph:
        out.append("<p>" + "\n".join(paragraph) + "</p>\n")
    if in_list:
        out.append("</ul>\n")
    return "".join(out)


def render(text: str) -> Markup:
    """Render a goal's Markdown description to safe HTML.

    Headings move down two levels (``#`` -> h3 ... ``####`` and deeper -> h6) so that a
    description's own outline sits under the goal page's h2 sections and keeps its shape.
    """
    if not text.strip():
        return Markup("")
    prose = _prose_html(text)
    return Markup(_CLEANER.clean(markdown_it().render(text) if prose is None else prose))


# Markdown syntax that plain() drops: links and images keep their text, the rest goes.
_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:.*$", re.MULTILINE)
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")
_AUTOLINK = re.compile(r"<((?:https?|mailto):[^>\s]*)>", re.IGNORECASE)
_MARKER_LINE = re.compile(r"^ {0,3}(?:(?:[-*_=] *){3,}|`{3,}.*|~{3,}.*|[-|: ]*-{3}[-|: ]*)$", re.M)
_LINE_START = re.compile(r"^ {0,3}(?:#{1,6} |> ?|[-*+] +|\d{1,9}[.)] +)", re.MULTILINE)
_UNDERSCORES = re.compile(r"(?<!\w)_+|_+(?!\w)")
_DROPPED = str.maketrans("", "", "*`|")


def plain(text: str, limit: int = 200) -> str:
    """The description as one line of plain text, at most ``limit`` characters, for
    search snippets and feed summaries where markup would show as noise."""
    if "[" in text:
        text = _LINK.sub(r"\1", _LINK_DEFINITION.sub("", text))
    if "<" in text:
        text = _AUTOLINK.sub(r"\1", text)
    text = _LINE_START.sub("", _MARKER_LINE.sub("", text)).translate(_DROPPED)
    if "_" in text:
        text = _UNDERSCORES.sub("", text)
    text = " ".join(html.unescape(text.replace("~~", "")).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"
