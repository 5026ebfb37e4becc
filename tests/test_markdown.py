"""Goal descriptions: real Markdown renders, hostile Markdown stays inert text."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from goalsrepo.web.markdown import _CLEANER, _prose_html, markdown_it, plain, render

REL = "nofollow noopener noreferrer"
ALLOWED_TAGS = {"a", "blockquote", "br", "code", "del", "em", "h3", "h4", "h5", "h6", "hr",
                "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td", "th", "thead",
                "tr", "ul"}


class Parsed(HTMLParser):
    """The tags, attributes and visible text of rendered HTML, as a browser would see them."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text = ""
        self.feed(str(markup))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, name, value) for name, value in attrs]

    def handle_data(self, data: str) -> None:
        self.text += data


# Text may say `href="javascript:` (quotes in text are harmless); a tag may not.
JAVASCRIPT_HREF = re.compile(r"<a\s[^>]*href\s*=\s*[\"']?\s*javascript", re.IGNORECASE)


def assert_safe(out: str) -> Parsed:
    assert "<script" not in out.lower() and "<img" not in out.lower()
    assert not JAVASCRIPT_HREF.search(out)
    parsed = Parsed(out)
    assert set(parsed.tags) <= ALLOWED_TAGS
    for tag, name, value in parsed.attrs:
        assert (tag, name) in {("a", "href"), ("a", "rel"), ("ol", "start")}, (tag, name)
        if name == "href":
            assert urlsplit(value or "").scheme in {"http", "https", "mailto"}, value
        if name == "rel":
            assert value == REL
    return parsed


def test_renders_commonmark_with_tables_and_strikethrough() -> None:
    out = render(
        "Some *em*, **strong**, `x < y` and ~~old~~.\n\n"
        "- one\n- two\n\n3. three\n4. four\n\n"
        "```python\nif a < b:\n    pass\n```\n\n"
        "| KR | value |\n|---|--:|\n| deploy | 22 |\n\n> quoted\n\n---\n"
    )
    assert isinstance(out, Markup)
    assert "<em>em</em>" in out and "<strong>strong</strong>" in out
    assert "<code>x &lt; y</code>" in out
    assert "<s>old</s>" in out
    assert "<ul>\n<li>one</li>\n<li>two</li>\n</ul>" in out
    assert '<ol start="3">\n<li>three</li>' in out
    assert "<pre><code>if a &lt; b:\n    pass\n</code></pre>" in out
    assert "<th>KR</th>" in out and "<td>22</td>" in out
    assert "style=" not in out  # table alignment would be an inline style; the CSP forbids it
    assert "<blockquote>\n<p>quoted</p>\n</blockquote>" in out and "<hr>" in out
    assert_safe(out)


def test_headings_move_two_levels_down() -> None:
    out = render("# One\n\n## Two\n\n### Three\n\n#### Four\n\n###### Six\n\nSetext\n===\n")
    assert "<h3>One</h3>" in out and "<h4>Two</h4>" in out and "<h5>Three</h5>" in out
    assert "<h6>Four</h6>" in out and "<h6>Six</h6>" in out and "<h3>Setext</h3>" in out
    assert "<h1" not in out and "<h2" not in out


def test_links_get_rel_and_only_web_and_mail_schemes() -> None:
    out = render("[a](https://x.example/a?b=1&c=2) [m](mailto:me@x.example) <HTTP://y.example>")
    assert out.count(f'rel="{REL}"') == 3
    assert 'href="https://x.example/a?b=1&amp;c=2"' in out
    assert 'href="mailto:me@x.example"' in out
    parsed = assert_safe(out)
    assert parsed.text.strip() == "a m HTTP://y.example"


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "<javascript:alert(1)>",
        "{{ 7*7 }} {% raw %}{{ x }}{% endraw %}",
        "\"'><\"'><",
        "RTL \u202eevil\u202c and zero\u200bwidth\ufeff",
        "]]> <!-- c --> <![CDATA[x]]>",
    ],
)
def test_hostile_text_is_shown_literally(source: str) -> None:
    parsed = assert_safe(render(source))
    assert parsed.tags == ["p"]
    assert parsed.text.strip() == source


@pytest.mark.parametrize(
    "source",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](java&#09;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](<java\tscript:alert(1)>)",
        "[x](\x01javascript:alert(1))",
        "[x]( javascript:alert(1) )",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[x](file:///etc/passwd)",
        "[x](/relative) [y](../up) [z](//evil.example/x)",
        "[x]()",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "<data:text/html,x>",
        "![i](javascript:alert(1))",
        "![i](data:image/png;base64,iVBORw0KGgo=)",
    ],
)
def test_unsafe_links_are_not_links(source: str) -> None:
    parsed = assert_safe(render(source))
    assert "a" not in parsed.tags
    assert "x" in parsed.text or "i" in parsed.text


def test_images_never_load() -> None:
    out = render("![a chart](https://evil.example/x.png) ![](https://evil.example/y.png)")
    parsed = assert_safe(out)
    assert "img" not in parsed.tags and "src=" not in out
    assert [v for _, n, v in parsed.attrs if n == "href"] == [
        "https://evil.example/x.png",
        "https://evil.example/y.png",
    ]
    assert parsed.text.strip() == "a chart https://evil.example/y.png"


def test_an_image_inside_a_link_is_its_alt_text() -> None:
    parsed = assert_safe(render("[![logo](https://evil.example/x.png)](https://ok.example)"))
    assert parsed.tags == ["p", "a"] and parsed.text.strip() == "logo"


def test_empty_and_blank_text_render_nothing() -> None:
    assert render("") == Markup("") and render(" \n\t\n") == Markup("")


def test_rendering_is_deterministic() -> None:
    source = "# T\n\nSee [a](https://a.example) and ![b](https://b.example/b.png).\n"
    assert render(source) == render(source)


fragments = st.sampled_from(
    ["<script>", "</script>", "<img src=x onerror=alert(1)>", "javascript:", "JaVaScRiPt:",
     "java\tscript:", "&#09;", "&#106;", "data:text/html,", "vbscript:", "[", "]", "(", ")",
     "<", ">", "!", "\"", "'", "`", "*", "_", "~~", "#", "- ", "1. ", "> ", "|", "---", "\n",
     "\n\n", "    ", "\\", "&", ";", "https://a.example", "mailto:a@b", "//x", " onclick=",
     "<a href=\"", "\x00", "\u202e", "\u200b", "{{", "}}", "{%", "%}", "[r]: ", "![x]("]
)
hostile = st.one_of(st.text(), st.lists(st.one_of(fragments, st.text(max_size=5))).map("".join))


@settings(max_examples=400, deadline=None)
@given(hostile)
def test_no_text_renders_a_script_handler_or_unsafe_link(source: str) -> None:
    assert_safe(render(source))


# Lines that the fast path for plain prose accepts, and ones near them that it must not.
line = st.sampled_from(
    ["", "", "Plain text.", "More words, 45 min!", 'Say "hi"; it\'s 100%', "- an item",
     "- two words", "## Heading", "# One", "###### Six", "####### seven", "#tag", "## a #",
     "##  b", "## #c", "-x", "- - x", "- # x", "- 1. x", "---", "===", "=", "+ plus",
     "1. one", "1.2 million", "2) two", "  indented", "trailing ", "\u00a0nbsp", "{{ x }}",
     "https://a.example", "\u202e rtl", "\x01"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(line, min_size=1, max_size=8).map("\n".join))
def test_the_prose_fast_path_renders_what_markdown_it_renders(source: str) -> None:
    prose = _prose_html(source)
    if prose is not None:
        assert _CLEANER.clean(prose) == _CLEANER.clean(markdown_it().render(source))


def test_typical_descriptions_take_the_fast_path() -> None:
    source = "Why this matters.\nIt unblocks three teams.\n\nOut of scope:\n\n- Pricing.\n"
    assert _prose_html(source) is not None
    assert render(source) == (
        "<p>Why this matters.\nIt unblocks three teams.</p>\n<p>Out of scope:</p>\n"
        "<ul>\n<li>Pricing.</li>\n</ul>\n"
    )


def test_plain_strips_markdown_and_collapses_whitespace() -> None:
    source = (
        "## Why\n\nThis **matters**: see [the runbook](https://x.example) and\n"
        "<https://y.example>, `code` and _emphasis_ in snake_case.\n\n"
        "- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```\nx = 1\n```\n"
        "![alt text](https://z.example/i.png) &amp; ~~old~~\n"
    )
    assert plain(source) == (
        "Why This matters: see the runbook and https://y.example, code and emphasis in "
        "snake_case. one two a b 1 2 x = 1 alt text & old"
    )


def test_plain_cuts_at_a_word_boundary() -> None:
    source = "Ship any change to production within one hour, every day of the week."
    assert plain(source, 30) == "Ship any change to production…"
    assert plain(source, 29) == "Ship any change to…"
    assert plain(source, len(source)) == source
    assert plain("x" * 50, 10) == "x" * 9 + "…"
    assert plain("  \n ") == ""


@given(st.text(), st.integers(1, 300))
def test_plain_is_one_line_within_the_limit(source: str, limit: int) -> None:
    out = plain(source, limit)
    assert len(out) <= limit
    assert "\n" not in out and out == out.strip()
