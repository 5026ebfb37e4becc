"""The Jinja2 floor: one template renders PAGES pages of about SIZE bytes into OUT, each with
a Markdown description through markdown-it (raw HTML off, as the site renders it).

    python benchmarks/floor_jinja.py PAGES SIZE OUT

``run.py`` times it as a whole process and compares builds with it in pages per second.
"""

import sys
from pathlib import Path

import jinja2
import markdown_it
import markupsafe

pages, size, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
md = markdown_it.MarkdownIt("commonmark", {"html": False})
page = jinja2.Environment(autoescape=True).from_string(
    "<!doctype html><html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1>"
    "{{ body }}<ul>{% for r in rows %}<li><a href=\"{{ r }}.html\">{{ r }}</a> {{ r }} "
    "{{ r }}</li>{% endfor %}</ul></body></html>"
)
text = "Why this matters, with **emphasis** and a [link](https://example.org).\n\n" * 3
rows = [f"goal-{i:05d}-title" for i in range(max(1, (size - 600) // 60))]
for i in range(pages):
    body = markupsafe.Markup(md.render(text))
    (out / f"{i}.html").write_text(page.render(title=f"Page {i}", body=body, rows=rows))
print(f"Built {pages} pages ({pages} rendered) in 0 s (0.00 s reading history)")
