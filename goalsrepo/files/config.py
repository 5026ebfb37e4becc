"""goalsrepo.yaml, people.yaml and teams.yaml as typed values with their defaults.

The schemas validate these files; the classes here only read data that passed, so they
hold no checks of their own. Every default of SPEC §1 is written once, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

CONFIG_FILE = "goalsrepo.yaml"
PEOPLE_FILE = "people.yaml"
TEAMS_FILE = "teams.yaml"
SOURCE_TIMEOUT = 10.0  # seconds a source may take to answer, unless it says otherwise


class Period(msgspec.Struct, frozen=True):
    id: str
    start: date
    end: date
    name: str | None = None


class Health(msgspec.Struct, frozen=True):
    """Margins below expected progress (SPEC §3)."""

    at_risk: float = 0.10
    off_track: float = 0.25


class LintSettings(msgspec.Struct, frozen=True):
    ignore: frozenset[str] = frozenset()
    max_key_results: int = 5
    max_owner_goals: int = 5


class Source(msgspec.Struct, frozen=True):
    """One entry of ``sources:`` in goalsrepo.yaml, as the schema allows it."""

    name: str
    kind: str
    url: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    api: str = "cloud"
    user_env: str | None = None
    token_env: str | None = None
    api_url: str | None = None
    run: tuple[str, ...] = ()
    timeout: float = SOURCE_TIMEOUT

    @classmethod
    def from_data(cls, name: str, data: Mapping[str, Any]) -> Source:
        return cls(
            name, data["kind"], data.get("url"), tuple(data.get("headers", {}).items()),
            data.get("api", "cloud"), data.get("user_env"), data.get("token_env"),
            data.get("api_url"), tuple(data.get("run", ())), data.get("timeout", SOURCE_TIMEOUT),
        )


# What a key result must say to read from each kind of source (``source: {from: NAME,
# ...}``): the keys it may give, and those it must.
READS: dict[str, tuple[str, ...]] = {
    "json": ("pointer",), "csv": ("row", "column"), "jira": ("query",),
    "github": ("query",), "command": ("query",),
}
NEEDS: dict[str, tuple[str, ...]] = {
    "json": ("pointer",), "csv": ("row", "column"), "jira": ("query",),
    "github": ("query",), "command": (),
}
# A JSON Pointer (RFC 6901).
POINTER = re.compile(r"(/([^~/]|~[01])*)*\Z")


class Reading(msgspec.Struct, frozen=True):
    """What a key result reads from its source: ``source: NAME`` or the mapping form."""

    source: str
    query: str | None = None
    pointer: str | None = None
    row: str | None = None
    column: str | None = None

    @classmethod
    def from_data(cls, data: str | Mapping[str, Any]) -> Reading:
        if isinstance(data, str):
            return cls(data)
        return cls(data["from"], data.get("query"), data.get("pointer"), data.get("row"),
                   data.get("column"))


def missing(source: Source, reading: Reading) -> list[str]:
    """The keys this kind of source needs that the key result does not give."""
    return [key for key in NEEDS[source.kind] if getattr(reading, key) is None]


class Config(msgspec.Struct, frozen=True):
    title: str = "Goals"
    goals_dir: str = "goals"
    repo_url: str | None = None
    base_url: str | None = None
    default_branch: str = "main"
    forge: str | None = None  # github | gitlab | gitea | bitbucket; else from repo_url's host
    timezone: str = "UTC"
    periods: tuple[Period, ...] = ()
    checkin_days: int = 14
    health: Health = msgspec.field(default_factory=Health)
    lint: LintSettings = msgspec.field(default_factory=LintSettings)
    sources: tuple[Source, ...] = ()
    sync_author: tuple[str, str] | None = None  # (name, e-mail) of `sync --commit`

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Config:
        """Build from a schema-valid goalsrepo.yaml mapping; absent keys take defaults."""
        health = data.get("health", {})
        lint = data.get("lint", {})
        defaults = cls()
        return cls(
            title=data.get("title", defaults.title),
            goals_dir=data.get("goals_dir", defaults.goals_dir).rstrip("/"),
            repo_url=data.get("repo_url"),
            base_url=data.get("base_url"),
            default_branch=data.get("default_branch", defaults.default_branch),
            forge=data.get("forge"),
            timezone=data.get("timezone", defaults.timezone),
            periods=tuple(
                Period(p["id"], date.fromisoformat(p["start"]), date.fromisoformat(p["end"]),
                       p.get("name"))
                for p in data.get("periods", [])
            ),
            checkin_days=data.get("checkin_days", defaults.checkin_days),
            health=Health(
                health.get("at_risk", defaults.health.at_risk),
                health.get("off_track", defaults.health.off_track)
            ),
            lint=LintSettings(
                frozenset(lint.get("ignore", [])),
                lint.get("max_key_results", defaults.lint.max_key_results),
                lint.get("max_owner_goals", defaults.lint.max_owner_goals),
            ),
            sources=tuple(Source.from_data(name, value)
                          for name, value in data.get("sources", {}).items()),
            sync_author=_author(data.get("sync", {}).get("author")),
        )

    @property
    def zone(self) -> ZoneInfo:
        """The time zone dates are compared in; UTC while an unknown one is reported."""
        try:
            return ZoneInfo(self.timezone)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError (GR133)
            return ZoneInfo("UTC")

    def period(self, period_id: str | None) -> Period | None:
        return next((p for p in self.periods if p.id == period_id), None)

    def source(self, name: str) -> Source | None:
        return next((s for s in self.sources if s.name == name), None)


def _author(data: dict[str, str] | None) -> tuple[str, str] | None:
    return (data["name"], data["email"]) if data else None


class Person(msgspec.Struct, frozen=True):
    id: str
    name: str
    emails: tuple[str, ...] = ()
    team: str | None = None
    role: str | None = None
    manager: str | None = None
    partner: str | None = None
    slack: str | None = None  # a Slack member id, mentioned in chat digests
    teams: str | None = None  # the Microsoft Teams sign-in address, mentioned likewise

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Person:
        emails = ([data["email"]] if "email" in data else []) + list(data.get("emails", []))
        return cls(
            data["id"], data["name"], tuple(dict.fromkeys(emails)), data.get("team"),
            data.get("role"), data.get("manager"), data.get("partner"), data.get("slack"),
            data.get("teams"),
        )


class Team(msgspec.Struct, frozen=True):
    id: str
    name: str
    lead: str | None = None
    parent: str | None = None
    mission: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Team:
        return cls(data["id"], data["name"], data.get("lead"), data.get("parent"),
                   data.get("mission"))
