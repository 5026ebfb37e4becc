"""The check-in issue form: the body a forge renders for it, read back into a check-in.

GitHub renders a submitted issue form as Markdown: for each field, ``### <label>``, a blank
line, then the value, or ``_No response_`` when it was left empty. The labels come from
the form itself (``templates/repo/checkin-form.yml``, which ``init`` writes), so the two
cannot drift. The body is untrusted text: anything that is not exactly the form is refused.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from goalsrepo.errors import GoalsrepoError

FORM_TEMPLATE = "checkin-form.yml"
MAX_BODY = 65_536  # GitHub's limit on an issue body, in characters
NO_RESPONSE = "_No response_"
_LINE = re.compile(r"(?:[-*] )?(?P<target>.+?)\s*:\s*(?P<value>[^:]*?)\s*")


class FormError(GoalsrepoError):
    """The text is not a check-in form, or a line of it cannot be read."""


@dataclass(frozen=True)
class Form:
    goal: str
    values: tuple[tuple[str, str], ...]  # (key result id or milestone, value) in order
    comment: str | None


@functools.cache
def labels() -> dict[str, str]:
    """The form's field ids -> their labels, in the form's order."""
    text = (resources.files("goalsrepo.templates") / "repo" / FORM_TEMPLATE).read_text("utf-8")
    return {f["id"]: f["attributes"]["label"] for f in yaml.safe_load(text)["body"]
            if "id" in f}


def parse(body: str) -> Form:
    """The goal, the ``target: value`` lines and the comment of a rendered form."""
    if len(body) > MAX_BODY:
        raise FormError(f"the text is {len(body):,} characters; a check-in form has at "
                        f"most {MAX_BODY:,}")
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    fields = _sections(text)
    goal = fields["goal"].strip()
    if "\n" in goal or not goal:
        raise FormError("the Goal field must hold one goal id")
    values = []
    for number, line in enumerate(fields["values"].split("\n"), 1):
        if not line.strip():
            continue
        found = _LINE.fullmatch(line.strip())
        if found is None or not found["value"]:
            raise FormError(f"Values, line {number}: `{_short(line)}` is not "
                            "`key-result: value`")
        values.append((found["target"], found["value"]))
    if not values:
        raise FormError("the Values field gives no value")
    comment = fields["comment"].strip() or None
    return Form(goal, tuple(values), comment)


def _sections(text: str) -> dict[str, str]:
    """Each field's text: the body must be exactly the form's headings, in order, each
    followed by a blank line. Searching for the next heading from where the previous one
    ended keeps a ``### `` line typed into a field from posing as a later field."""
    wanted = labels()
    out: dict[str, str] = {}
    position = 0
    ids = list(wanted)
    for i, field in enumerate(ids):
        heading = f"### {wanted[field]}\n\n"
        if i == 0:
            if not text.startswith(heading):
                raise FormError(f"not a check-in form: it must start with `### "
                                f"{wanted[field]}` (the form .github/ISSUE_TEMPLATE/"
                                "checkin.yml)")
            position = len(heading)
            continue
        found = text.find(f"\n\n{heading}", position)
        if found < 0:
            raise FormError(f"not a check-in form: no `### {wanted[field]}` field")
        out[ids[i - 1]] = text[position:found]
        position = found + 2 + len(heading)
    out[ids[-1]] = text[position:]
    return {k: "" if v.strip() == NO_RESPONSE else v for k, v in out.items()}


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= 60 else text[:59] + "…"
