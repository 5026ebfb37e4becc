"""Validation of sources (goalsrepo.yaml) and of the key results that name them (SPEC §10).

Lines and columns are counted by hand in each text (1-based).
"""

from __future__ import annotations

from pathlib import Path

from helpers import CONFIG_TEXT, RepoFactory, diagnostics, found

SOURCES = CONFIG_TEXT + """\
sources:
  jira:
    kind: jira
    url: https://acme.atlassian.net
    user_env: JIRA_USER
    token_env: JIRA_TOKEN
  metrics:
    kind: json
    url: https://metrics.example.com/okr.json
    headers:
      X-Api-Key: ${METRICS_KEY}
  sheet:
    kind: csv
    url: https://docs.google.com/spreadsheets/d/e/2PACX-1vABC/pub?output=csv&gid=0
  script:
    kind: command
    run: [scripts/count.sh]
sync:
  author: {name: goalsrepo sync, email: sync@example.com}
"""


def goal(*krs: str) -> str:
    """A lint-clean organisation goal; each KR text starts at line 7."""
    return ("id: company\ntitle: Delight every customer who signs up\nlevel: organization\n"
            "owner: alice\nperiod: 2026-Q4\nkey_results:\n" + "".join(krs))


def numeric(source: str, kr_id: str = "nps") -> str:
    return (f"  - id: {kr_id}\n    title: NPS\n    unit: points\n    start: 20\n"
            f"    target: 40\n    source: {source}\n")


def codes(root: Path) -> list[tuple[str | None, int | None, int | None, str]]:
    return [f for f in found(root) if f[3] not in ("GR203", "GR208")]


def test_sources_and_key_results_that_name_them_validate(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal(
        numeric('{from: jira, query: "project = SALES AND status = Won"}'),
        numeric("{from: metrics, pointer: /data/0/count}", "a"),
        numeric("{from: sheet, row: Sales, column: Deals}", "b"),
        numeric("script", "c"),
        "  - {id: d, title: Keep churn low, unit: '%', keep: below, target: 5, source: script}\n",
    )}, config=SOURCES)
    assert codes(root) == []


def test_an_unknown_source_is_an_error_at_its_name(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal(
        numeric("jiraa"), numeric("{from: nowhere, query: x}", "b"))}, config=SOURCES)
    assert codes(root) == [("goals/company.yaml", 12, 13, "GR140"),
                           ("goals/company.yaml", 18, 20, "GR140")]
    (first, _) = diagnostics(root)
    assert first.message == ("source `jiraa` is not defined (known: jira, metrics, script, "
                             "sheet)")


def test_a_source_on_a_milestone_is_an_error(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal(
        "  - id: launch\n    title: Launch it\n    done: false\n    source: script\n")},
        config=SOURCES)
    assert codes(root) == [("goals/company.yaml", 10, 5, "GR101")]


def test_a_pointer_that_is_not_rfc_6901_is_an_error(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal(
        numeric("{from: metrics, pointer: data/0}"),
        numeric("{from: metrics, pointer: /a~2b}", "b"),
        numeric('{from: metrics, pointer: ""}', "c"),  # the whole document: allowed
    )}, config=SOURCES)
    assert codes(root) == [("goals/company.yaml", 12, 38, "GR141"),
                           ("goals/company.yaml", 18, 38, "GR141")]


def test_what_a_kind_needs_and_does_not_read(goals_repo: RepoFactory) -> None:
    root = goals_repo({"goals/company.yaml": goal(
        numeric("jira"),                                  # a jira source needs a query
        numeric("{from: sheet, row: Sales}", "b"),        # csv needs a column
        numeric("{from: jira, query: x, pointer: /a}", "c"),  # jira reads no pointer
    )}, config=SOURCES)
    assert codes(root) == [("goals/company.yaml", 12, 13, "GR142"),
                           ("goals/company.yaml", 18, 13, "GR142"),
                           ("goals/company.yaml", 24, 36, "GR142")]
    assert [d.message for d in diagnostics(root) if d.code == "GR142"][:2] == [
        "a `jira` source needs `query` here (`source: {from: jira, query: ...}`)",
        "a `csv` source needs `column` here (`source: {from: sheet, column: ...}`)"]


def test_a_source_kinds_missing_and_foreign_keys(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + (
        "sources:\n"
        "  jira:\n"            # line 7
        "    kind: jira\n"
        "    url: https://acme.atlassian.net\n"
        "  doc:\n"             # line 10
        "    kind: json\n"
        "    run: [x]\n"       # line 12: not a json key
        "  odd:\n"
        "    kind: rss\n"      # line 14
    )
    root = goals_repo({}, config=config)
    assert sorted(codes(root)) == [
        ("goalsrepo.yaml", 7, 3, "GR102"),   # jira needs token_env
        ("goalsrepo.yaml", 10, 3, "GR102"),  # json needs url
        ("goalsrepo.yaml", 12, 5, "GR101"),  # run belongs to command
        ("goalsrepo.yaml", 14, 11, "GR104"),
    ]


def test_sync_author_needs_a_name_and_an_email(goals_repo: RepoFactory) -> None:
    root = goals_repo({}, config=CONFIG_TEXT + "sync:\n  author: {name: bot}\n")
    assert codes(root) == [("goalsrepo.yaml", 7, 3, "GR102")]


def test_a_literal_secret_is_a_warning(goals_repo: RepoFactory) -> None:
    config = CONFIG_TEXT + (
        "sources:\n"
        "  api:\n"
        "    kind: json\n"
        "    url: https://metrics.example.com/okr.json?api_key=abc123\n"   # line 9
        "    headers:\n"
        "      Authorization: Bearer abc123\n"                              # line 11
        "      X-Trace: visible\n"
        "  fine:\n"
        "    kind: json\n"
        "    url: https://user:pass@metrics.example.com/okr.json\n"        # line 15
        "    headers: {Authorization: 'Bearer ${TOKEN}'}\n"
    )
    root = goals_repo({}, config=config)
    assert codes(root) == [("goalsrepo.yaml", 9, 10, "GR143"),
                           ("goalsrepo.yaml", 11, 22, "GR143"),
                           ("goalsrepo.yaml", 15, 10, "GR143")]
    assert all(d.severity.value == "warning" for d in diagnostics(root))
    assert "abc123" not in "".join(d.message for d in diagnostics(root))
