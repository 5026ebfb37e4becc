"""Docs cannot rot (the sqlite-utils habit): every command, option and code is documented."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from goalsrepo.cli import cli
from goalsrepo.diagnostics import CODES

DOCS = Path(__file__).resolve().parent.parent / "docs"
COMMANDS = sorted(cli.commands)


def test_there_are_commands_to_check() -> None:
    assert {"validate", "init", "new", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_and_a_docs_page(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 20, f"`{name}` has no help text"
    page = DOCS / "commands" / f"{name}.md"
    assert page.is_file(), f"docs/commands/{name}.md is missing"
    text = page.read_text("utf-8")
    assert text.startswith(f"# goalsrepo {name}\n")
    for param in command.params:
        if isinstance(param, click.Option):
            longest = max(param.opts, key=len)
            assert longest in text, f"docs/commands/{name}.md does not mention {longest}"
            assert param.help, f"option {longest} of `{name}` has no help"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_linked_from_the_index_and_readme(name: str) -> None:
    link = f"commands/{name}.md"
    assert link in (DOCS / "index.md").read_text("utf-8")
    assert f"docs/{link}" in (DOCS.parent / "README.md").read_text("utf-8")


def test_every_code_is_documented_with_a_fix() -> None:
    text = (DOCS / "codes.md").read_text("utf-8")
    headings = dict(re.findall(r"^### (GR\d{3}) ([a-z0-9-]+)$", text, re.M))
    for code, entry in CODES.items():
        assert headings.get(code) == entry.name, f"{code} {entry.name} is not in docs/codes.md"
        section = text.split(f"### {code} ", 1)[1].split("\n### ", 1)[0]
        assert "Fix:" in section, f"{code} has no fix in docs/codes.md"
    assert set(headings) == set(CODES), "docs/codes.md lists codes the program does not have"
