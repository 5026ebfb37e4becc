"""``sync`` against a real HTTP server on 127.0.0.1 that answers as Jira, GitHub, a JSON
API and a published sheet do, faults included, and against real commands."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from gitrepo import CONFIG, PEOPLE, Repo
from service import Reply, Service, serve

from goalsrepo.cli import cli

SYNC_AUTHOR = {"name": "goalsrepo sync", "email": "sync@example.com"}
TOKENS = {"JIRA_USER": "jira-user@example.com", "JIRA_TOKEN": "jira-token-s3cr3t",
          "JIRA_PAT": "jira-pat-s3cr3t", "GH_TOKEN": "ghp_githubtokens3cr3t",
          "METRICS_KEY": "metrics-key-s3cr3t"}
PYTHON = sys.executable


def command(code: str) -> list[str]:
    return [PYTHON, "-c", code]


@pytest.fixture
def service() -> Iterator[Service]:
    with serve() as running:
        yield running


def goal_text(goal_id: str, krs: str) -> str:
    return (f"id: {goal_id}\ntitle: Goal {goal_id} reaches every one of its targets\n"
            f"owner: alice\nperiod: 2026-Q4\n# The numbers below come from sources.\n"
            f"key_results:\n{krs}")


def kr(kr_id: str, source: str, current: float | None = 10, start: float = 0,
       target: float = 100) -> str:
    line = f"    current: {current}  # synced\n" if current is not None else ""
    return (f"  - id: {kr_id}\n    title: Measure {kr_id}\n    unit: n\n    start: {start}\n"
            f"    target: {target}\n{line}    source: {source}\n")


def make_repo(root: Path, sources: dict[str, Any], goals: dict[str, str],
              commit: bool = True) -> Repo:
    repo = Repo(root)
    config = {**CONFIG, "sync": {"author": SYNC_AUTHOR}, "sources": sources}
    repo.write_yaml("goalsrepo.yaml", config)
    repo.write_yaml("people.yaml", PEOPLE)
    for goal_id, krs in goals.items():
        repo.write(f"goals/{goal_id}.yaml", goal_text(goal_id, krs))
    if commit:
        repo.commit("Plan the quarter")
    return repo


def sync(root: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["sync", "-C", str(root), *args],
                              env={**TOKENS, **(env or {})}, catch_exceptions=False)


def sync_json(root: Path, *args: str, code: int = 0) -> dict[str, Any]:
    result = sync(root, "--format", "json", *args)
    assert result.exit_code == code, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def by_kr(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['goal']}/{r['kr']}": r for r in data["results"]}


def current(root: Path, goal_id: str) -> dict[str, Any]:
    data = yaml.safe_load((root / f"goals/{goal_id}.yaml").read_text())
    return {k["id"]: k.get("current") for k in data["key_results"]}


def every_kind(service: Service) -> dict[str, Any]:
    """One source of each kind, answering as the services' documentation shows."""
    service.route("/metrics.json", Reply(body={"data": {"signups": 240, "churn": [3.5, 2.25]}}))
    service.route("/sheet.csv", Reply(
        body="\ufeffTeam,Revenue,Deals\nSales,\"1,250,000\",42\nSupport,300,7\n",
        headers={"Content-Type": "text/csv"}))
    service.route("/jira/rest/api/3/search/approximate-count", Reply(body={"count": 17}))
    service.route("/jdc/rest/api/2/search", Reply(body={
        "startAt": 0, "maxResults": 0, "total": 31, "issues": []}))
    service.route("/gh/search/issues", Reply(body={
        "total_count": 4, "incomplete_results": False, "items": [{"number": 1}]}))
    return {
        "metrics": {"kind": "json", "url": f"{service.url}/metrics.json",
                    "headers": {"X-Api-Key": "${METRICS_KEY}"}},
        "sheet": {"kind": "csv", "url": f"{service.url}/sheet.csv"},
        "jira": {"kind": "jira", "url": f"{service.url}/jira", "user_env": "JIRA_USER",
                 "token_env": "JIRA_TOKEN"},
        "jira-dc": {"kind": "jira", "api": "datacenter", "url": f"{service.url}/jdc",
                    "token_env": "JIRA_PAT"},
        "github": {"kind": "github", "api_url": f"{service.url}/gh", "token_env": "GH_TOKEN"},
        "script": {"kind": "command", "run": command(
            "import os; print(len(os.environ['GOALSREPO_QUERY']) + "
            "len(os.environ['GOALSREPO_KR']))")},
    }


EVERY_KIND_KRS = (
    kr("signups", "{from: metrics, pointer: /data/signups}")
    + kr("churn", "{from: metrics, pointer: /data/churn/1}", current=3, start=5, target=1)
    + kr("revenue", "{from: sheet, row: Sales, column: Revenue}", target=2000000)
    + kr("deals", "{from: sheet, row: Sales, column: Deals}")
    + kr("won", '{from: jira, query: "project = SALES AND status = Won"}')
    + kr("won-dc", '{from: jira-dc, query: "project = SALES AND status = Won"}')
    + kr("p1", '{from: github, query: "repo:acme/app is:issue is:open label:P1"}',
         current=9, start=12, target=0)
    + kr("script", "{from: script, query: abc}")
)


def test_every_kind_of_source_updates_its_key_results(tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {"pipeline": EVERY_KIND_KRS})
    before = (repo.root / "goals/pipeline.yaml").read_text()
    data = sync_json(repo.root)
    assert {k: (r["old"], r["new"], r["status"]) for k, r in by_kr(data).items()} == {
        "pipeline/signups": (10, 240, "updated"),
        "pipeline/churn": (3, 2.25, "updated"),
        "pipeline/revenue": (10, 1250000, "updated"),
        "pipeline/deals": (10, 42, "updated"),
        "pipeline/won": (10, 17, "updated"),
        "pipeline/won-dc": (10, 31, "updated"),
        "pipeline/p1": (9, 4, "updated"),
        "pipeline/script": (10, 9, "updated"),  # len("abc") + len("script")
    }
    assert current(repo.root, "pipeline") == {
        "signups": 240, "churn": 2.25, "revenue": 1250000, "deals": 42, "won": 17,
        "won-dc": 31, "p1": 4, "script": 9}
    after = (repo.root / "goals/pipeline.yaml").read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True)
               if a != b]
    # Only the current lines moved; their comments stayed.
    assert len(changed) == 8
    assert all(a.startswith("    current: ") and b.endswith("  # synced") for a, b in changed)

    # The requests are the documented ones.
    (cloud,) = service.requests_to("/jira/rest/api/3/search/approximate-count")
    assert cloud.method == "POST"
    assert json.loads(cloud.body) == {"jql": "project = SALES AND status = Won"}
    assert cloud.headers["authorization"].startswith("Basic ")
    assert cloud.headers["content-type"] == "application/json"
    (datacenter,) = service.requests_to("/jdc/rest/api/2/search")
    assert datacenter.method == "GET"
    assert datacenter.query["jql"] == ["project = SALES AND status = Won"]
    assert datacenter.query["maxResults"] == ["0"]
    assert datacenter.headers["authorization"] == "Bearer jira-pat-s3cr3t"
    (github,) = service.requests_to("/gh/search/issues")
    assert github.query["q"] == ["repo:acme/app is:issue is:open label:P1"]
    assert github.headers["authorization"] == "Bearer ghp_githubtokens3cr3t"
    assert github.headers["accept"] == "application/vnd.github+json"
    assert github.headers["x-github-api-version"] == "2022-11-28"
    (metrics,) = service.requests_to("/metrics.json")  # two pointers, one request
    assert metrics.headers["x-api-key"] == "metrics-key-s3cr3t"
    assert len(service.requests_to("/sheet.csv")) == 1  # two cells, one request


def test_a_second_run_finds_nothing_to_change(tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {"pipeline": EVERY_KIND_KRS})
    sync_json(repo.root)
    again = sync_json(repo.root)
    assert {r["status"] for r in again["results"]} == {"unchanged"}


def test_one_request_per_distinct_query_however_many_key_results_share_it(
        tmp_path: Path, service: Service) -> None:
    sources = every_kind(service)
    query = '{from: jira, query: "project = SALES"}'
    goals = {f"g{i}": kr("a", query) + kr("b", '{from: jira, query: "project = OPS"}')
             for i in range(6)}
    repo = make_repo(tmp_path / "r", sources, goals)
    data = sync_json(repo.root)
    assert len(data["results"]) == 12
    sent = service.requests_to("/jira/rest/api/3/search/approximate-count")
    assert sorted(json.loads(s.body)["jql"] for s in sent) == ["project = OPS", "project = SALES"]


FAULTS: dict[str, tuple[Reply, str]] = {
    "401": (Reply(401, {"errorMessages": ["You are not authorized."], "errors": {}}),
            "the credentials were refused (HTTP 401): check the token: You are not authorized."),
    "403": (Reply(403, {"message": "Resource not accessible by integration",
                        "documentation_url": "https://docs.github.com/rest"}),
            "access denied (HTTP 403)"),
    "404": (Reply(404, {"message": "Not Found"}), "not found (HTTP 404)"),
    "429-long": (Reply(429, {"message": "slow down"}, {"Retry-After": "3600"}),
                 "rate limited (HTTP 429); retry after 3600 s"),
    "429-no-wait": (Reply(429, {"message": "slow down"}), "rate limited (HTTP 429): slow down"),
    "500": (Reply(500, b"<html>oops</html>", {"Content-Type": "text/html"}),
            "the server failed (HTTP 500)"),
    "too-large": (Reply(body=b'{"value": 1, "pad": "' + b"x" * (1 << 20) + b'"}'),
                  "the answer is larger than 1 MiB"),
    "invalid-json": (Reply(body=b'{"value": 1'), "the answer is not valid JSON"),
    "missing-pointer": (Reply(body={"other": 1}), "nothing at /value in the document"),
    "string": (Reply(body={"value": "12"}), "the value at /value is text, not a number"),
    "nan": (Reply(body=b'{"value": NaN}'), "the value at /value is nan, not a finite number"),
    "infinity": (Reply(body=b'{"value": Infinity}'), "is inf, not a finite number"),
    "boolean": (Reply(body={"value": True}), "the value at /value is a boolean, not a number"),
    "null": (Reply(body={"value": None}), "the value at /value is null, not a number"),
    "timeout": (Reply(body={"value": 5}, delay=2), "no answer within 0.5 s"),
    "too-deep": (Reply(body=b'{"value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
                 "nested too deeply"),
    "too-big": (Reply(body=b'{"value": 1' + b"0" * 400 + b"}"), "not a finite number"),
}


def fault_repo(root: Path, service: Service, url: str) -> Repo:
    sources = {"api": {"kind": "json", "url": url, "timeout": 0.5},
               "ok": {"kind": "command", "run": command("print(7)")}}
    return make_repo(root, sources, {
        "faulty": kr("value", "{from: api, pointer: /value}"),
        "healthy": kr("value", "ok"),
    })


@pytest.mark.parametrize("fault", FAULTS)
def test_a_failing_source_changes_nothing_of_its_key_results(
        tmp_path: Path, service: Service, fault: str) -> None:
    reply, reason = FAULTS[fault]
    repo = fault_repo(tmp_path / "r", service, service.route("/doc", reply))
    before = (repo.root / "goals/faulty.yaml").read_bytes()
    data = sync_json(repo.root, code=1)
    results = by_kr(data)
    assert results["faulty/value"]["status"] == "failed"
    assert results["faulty/value"]["source"] == "api"
    assert reason in results["faulty/value"]["error"]
    assert results["faulty/value"]["new"] is None
    assert (repo.root / "goals/faulty.yaml").read_bytes() == before
    assert results["healthy/value"]["status"] == "updated"
    assert current(repo.root, "healthy") == {"value": 7}


def test_a_redirect_to_another_host_is_not_followed(tmp_path: Path, service: Service) -> None:
    port = service.url.rsplit(":", 1)[1]
    service.route("/elsewhere", Reply(body={"value": 99}))
    url = service.route("/doc", Reply(302, b"", {"Location": f"http://localhost:{port}/elsewhere"}))
    repo = fault_repo(tmp_path / "r", service, url)
    data = sync_json(repo.root, code=1)
    assert "redirected to another host" in by_kr(data)["faulty/value"]["error"]
    assert service.requests_to("/elsewhere") == []


def test_a_redirect_on_the_same_host_is_followed(tmp_path: Path, service: Service) -> None:
    service.route("/moved", Reply(body={"value": 99}))
    url = service.route("/doc", Reply(301, b"", {"Location": "/moved"}))
    repo = fault_repo(tmp_path / "r", service, url)
    sync_json(repo.root)
    assert current(repo.root, "faulty") == {"value": 99}


def test_a_refused_connection_fails_the_source(tmp_path: Path, service: Service) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    repo = fault_repo(tmp_path / "r", service, f"http://127.0.0.1:{port}/doc")
    data = sync_json(repo.root, code=1)
    assert "could not connect (connection refused)" in by_kr(data)["faulty/value"]["error"]


def test_a_short_retry_after_is_waited_for_once(tmp_path: Path, service: Service) -> None:
    url = service.route("/doc", [Reply(429, {"message": "wait"}, {"Retry-After": "0"}),
                                 Reply(body={"value": 55})])
    repo = fault_repo(tmp_path / "r", service, url)
    sync_json(repo.root)
    assert current(repo.root, "faulty") == {"value": 55}
    assert len(service.requests_to("/doc")) == 2


def test_a_second_429_fails_without_a_third_request(tmp_path: Path, service: Service) -> None:
    url = service.route("/doc", Reply(429, {"message": "wait"}, {"Retry-After": "0"}))
    repo = fault_repo(tmp_path / "r", service, url)
    data = sync_json(repo.root, code=1)
    assert "rate limited (HTTP 429)" in by_kr(data)["faulty/value"]["error"]
    assert len(service.requests_to("/doc")) == 2


def test_github_rate_limit_and_incomplete_results_fail(tmp_path: Path, service: Service) -> None:
    service.route("/gh/search/issues", lambda sent: (
        Reply(403, {"message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/rate-limit"},
              {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "9999999999"})
        if "slow" in sent.query["q"][0] else
        Reply(body={"total_count": 3, "incomplete_results": True, "items": []})))
    sources = {"github": {"kind": "github", "api_url": f"{service.url}/gh"}}
    repo = make_repo(tmp_path / "r", sources, {"bugs": (
        kr("limited", '{from: github, query: "slow is:issue"}')
        + kr("partial", '{from: github, query: "is:issue label:P1"}'))})
    results = by_kr(sync_json(repo.root, code=1))
    assert results["bugs/limited"]["error"].startswith("rate limited (HTTP 403); retry after")
    assert "API rate limit exceeded" in results["bugs/limited"]["error"]
    assert "incomplete_results" in results["bugs/partial"]["error"]
    (sent, *_) = service.requests_to("/gh/search/issues")
    assert "authorization" not in sent.headers  # no token_env: an anonymous search


def test_jira_error_bodies_are_quoted_on_one_line(tmp_path: Path, service: Service) -> None:
    sources = every_kind(service)
    service.route("/jira/rest/api/3/search/approximate-count", Reply(400, {
        "errorMessages": ["Field 'sttus' does not exist\nor you do not have permission."],
        "errors": {}}))
    repo = make_repo(tmp_path / "r", sources,
                     {"sales": kr("won", '{from: jira, query: "sttus = Won"}')})
    error = by_kr(sync_json(repo.root, code=1))["sales/won"]["error"]
    assert error == ("the request was refused (HTTP 400): Field 'sttus' does not exist or you do "
                     "not have permission.")


CSV_FAULTS = {
    "empty": ("", "the CSV is empty"),
    "no-row": ("Team,Deals\nSupport,7\n", "the CSV has no row `Sales`"),
    "no-column": ("Team,Revenue\nSales,7\n", "the CSV has no column `Deals`"),
    "short-row": ("Team,Revenue,Deals\nSales,7\n", "row `Sales` has no cell under `Deals`"),
    "text": ("Team,Deals\nSales,lots\n", "is `lots`, not a number"),
}


@pytest.mark.parametrize("fault", CSV_FAULTS)
def test_csv_faults(tmp_path: Path, service: Service, fault: str) -> None:
    body, reason = CSV_FAULTS[fault]
    url = service.route("/sheet.csv", Reply(body=body, headers={"Content-Type": "text/csv"}))
    repo = make_repo(tmp_path / "r", {"sheet": {"kind": "csv", "url": url}}, {
        "sales": kr("deals", "{from: sheet, row: Sales, column: Deals}")})
    error = by_kr(sync_json(repo.root, code=1))["sales/deals"]["error"]
    assert reason in error
    assert current(repo.root, "sales") == {"deals": 10}


COMMAND_FAULTS = {
    "exit": ("import sys; print('oops', file=sys.stderr); sys.exit(3)",
             "the command exited with status 3: oops"),
    "nothing": ("pass", "the command printed nothing"),
    "text": ("print('about twelve')", "the command's output is `about twelve`, not a number"),
    "lines": ("print(1); print(2)", "printed more than one line"),
    "slow": ("import time; time.sleep(30)", "did not finish within 0.5 s"),
}


@pytest.mark.parametrize("fault", COMMAND_FAULTS)
def test_command_faults(tmp_path: Path, fault: str) -> None:
    code, reason = COMMAND_FAULTS[fault]
    sources = {"script": {"kind": "command", "run": command(code), "timeout": 0.5},
               "ok": {"kind": "command", "run": command("print('  12.5 ')")}}
    repo = make_repo(tmp_path / "r", sources, {
        "scripted": kr("value", "script") + kr("fine", "ok")})
    results = by_kr(sync_json(repo.root, code=1))
    assert reason in results["scripted/value"]["error"]
    assert results["scripted/fine"]["new"] == 12.5
    assert current(repo.root, "scripted") == {"value": 10, "fine": 12.5}


def test_a_command_that_does_not_exist_fails(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"script": {"kind": "command", "run": ["./no-such-tool"]}},
                     {"scripted": kr("value", "script")})
    error = by_kr(sync_json(repo.root, code=1))["scripted/value"]["error"]
    assert error == "cannot run `./no-such-tool`: no such file or directory"


def test_missing_secrets_and_unknown_sources_fail_by_name(tmp_path: Path, service: Service,
                                                          ) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {"sales": (
        kr("won", '{from: jira, query: "project = SALES"}') + kr("lost", "nowhere"))})
    result = CliRunner().invoke(cli, ["sync", "-C", str(repo.root), "--format", "json"],
                                env={"JIRA_USER": "", "JIRA_TOKEN": ""})
    assert result.exit_code == 1
    results = by_kr(json.loads(result.stdout))
    assert results["sales/won"]["error"] == (
        "the environment variable JIRA_TOKEN (token_env) is not set")
    assert results["sales/lost"]["error"] == "no source `nowhere` in goalsrepo.yaml"


def test_secrets_and_query_strings_never_show(tmp_path: Path, service: Service) -> None:
    """Tokens, header values and URL query strings appear in no output, error or commit,
    even when the service echoes them back in its error message."""
    echo = lambda sent: Reply(401, {"errorMessages": [  # noqa: E731
        f"bad credentials {sent.headers.get('authorization')} {sent.headers.get('x-api-key')}"],
        "errors": {}})
    sources = every_kind(service)
    service.route("/jira/rest/api/3/search/approximate-count", echo)
    service.route("/metrics.json", echo)
    sources["metrics"]["url"] += "?apikey=querystring-s3cr3t"
    goals = {"sales": kr("won", '{from: jira, query: "project = SALES"}')
             + kr("signups", "{from: metrics, pointer: /a}")
             + kr("p1", '{from: github, query: "x"}')}
    repo = make_repo(tmp_path / "r", sources, goals)
    outputs = [sync(repo.root, "--commit"), sync(repo.root, "--format", "json"),
               sync(repo.root, "--dry-run")]
    shown = "".join(r.stdout + r.stderr for r in outputs)
    assert "retry" not in shown and "bad credentials" in shown  # the message, masked
    log = repo.git("log", "--format=%B")
    site = tmp_path / "site"
    built = CliRunner().invoke(cli, ["build", "-C", str(repo.root), "-o", str(site)])
    assert built.exit_code in (0, 1), built.output
    pages = "".join(p.read_text("utf-8", "replace") for p in site.rglob("*") if p.is_file())
    import base64

    basic = base64.b64encode(b"jira-user@example.com:jira-token-s3cr3t").decode()
    for secret in [*TOKENS.values(), basic, "querystring-s3cr3t", "apikey="]:
        if secret == TOKENS["JIRA_USER"]:
            continue  # an e-mail address, not a secret on its own
        assert secret not in shown
        assert secret not in log
        assert secret not in pages


def test_dry_run_writes_nothing(tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {"pipeline": EVERY_KIND_KRS})
    before = (repo.root / "goals/pipeline.yaml").read_bytes()
    result = sync(repo.root, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "updated    pipeline/won: 10 -> 17 (jira)" in result.stdout
    assert "dry run, nothing written" in result.stdout
    assert (repo.root / "goals/pipeline.yaml").read_bytes() == before
    assert repo.git("status", "--porcelain") == ""
    assert [p.name for p in (repo.root / "goals").iterdir()] == ["pipeline.yaml"]


def test_dry_run_and_commit_together_is_a_usage_error(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {}, {})
    assert sync(repo.root, "--dry-run", "--commit").exit_code == 2


def test_json_output_has_the_shape_of_spec_section_8(tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "pipeline": kr("won", '{from: jira, query: "x"}') + kr("lost", "nowhere")})
    data = sync_json(repo.root, code=1)
    assert list(data) == ["version", "as_of", "commit", "results"]
    assert data["version"] == 1 and data["commit"] is None
    assert data["as_of"][:2] == "20" and len(data["as_of"]) == 10
    assert data["results"] == [
        {"goal": "pipeline", "kr": "won", "source": "jira", "old": 10, "new": 17,
         "status": "updated", "error": None},
        {"goal": "pipeline", "kr": "lost", "source": "nowhere", "old": 10, "new": None,
         "status": "failed", "error": "no source `nowhere` in goalsrepo.yaml"},
    ]


def test_commit_makes_one_check_in_credited_to_sync_naming_the_source(
        tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "pipeline": kr("won", '{from: jira, query: "x"}') + kr("signups", "{from: metrics, "
                                                                "pointer: /data/signups}"),
        "support": kr("tickets", '{from: github, query: "y"}', current=None),
    })
    repo.write("notes.txt", "not part of the sync\n")
    repo.git("add", "notes.txt")
    data = sync_json(repo.root, "--commit")
    assert data["commit"] == repo.head()
    assert repo.git("rev-list", "--count", "HEAD").strip() == "2"
    assert repo.git("log", "-1", "--format=%an <%ae>|%cn <%ce>").strip() == (
        "goalsrepo sync <sync@example.com>|goalsrepo sync <sync@example.com>")
    message = repo.git("log", "-1", "--format=%B")
    assert message.splitlines()[:5] == [
        "sync: 3 key results from github, jira, metrics", "",
        "pipeline/won: 10 -> 17 (jira)", "pipeline/signups: 10 -> 240 (metrics)",
        "support/tickets: none -> 4 (github)"]
    # The staged file that sync did not write stays staged, out of the commit.
    assert repo.git("diff", "--cached", "--name-only").strip() == "notes.txt"
    assert repo.git("show", "--name-only", "--format=", "HEAD").split() == [
        "goals/pipeline.yaml", "goals/support.yaml"]

    history = json.loads(CliRunner().invoke(
        cli, ["history", "pipeline", "-C", str(repo.root), "--format", "json"]).stdout)
    last = history["events"][-1]
    assert last["kind"] == "checkin"
    assert last["author"] == {"name": "goalsrepo sync", "email": "sync@example.com",
                              "person": None}
    assert {(c["kr"], c["old"], c["new"]) for c in last["changes"]} == {
        ("won", 10, 17), ("signups", 10, 240)}


def test_the_site_names_the_source_of_a_synced_check_in(tmp_path: Path, service: Service,
                                                        ) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "pipeline": kr("won", '{from: jira, query: "x"}')})
    sync_json(repo.root, "--commit")
    site = tmp_path / "site"
    result = CliRunner().invoke(cli, ["build", "-C", str(repo.root), "-o", str(site)])
    assert result.exit_code == 0, result.output
    page = (site / "goals/pipeline.html").read_text()
    assert "goalsrepo sync" in page
    assert "synced from jira" in page


def test_without_sync_author_commit_is_refused_before_any_request(
        tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service),
                     {"p": kr("won", '{from: jira, query: "x"}')})
    config = yaml.safe_load((repo.root / "goalsrepo.yaml").read_text())
    del config["sync"]
    repo.write_yaml("goalsrepo.yaml", config)
    result = sync(repo.root, "--commit")
    assert result.exit_code == 1
    assert "--commit needs `sync: {author: {name, email}}`" in result.stderr
    assert service.sent == []


def test_goal_arguments_restrict_the_run(tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "one": kr("won", '{from: jira, query: "x"}'),
        "two": kr("p1", '{from: github, query: "y"}')})
    data = sync_json(repo.root, "two")
    assert [(r["goal"], r["kr"]) for r in data["results"]] == [("two", "p1")]
    assert service.requests_to("/jira/rest/api/3/search/approximate-count") == []
    assert current(repo.root, "one") == {"won": 10}
    result = sync(repo.root, "three")
    assert result.exit_code == 1
    assert "no key result of goal `three` names a source" in result.stderr


def test_a_goal_file_that_does_not_validate_is_reported_and_skipped(
        tmp_path: Path, service: Service) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "good": kr("won", '{from: jira, query: "x"}')})
    repo.write("goals/bad.yaml", goal_text("bad", kr("won", '{from: jira, query: "x"}'))
               + "  - id: extra\n    title: Broken\n    unit: n\n    start: 1\n    target: 1\n"
               + "    colour: red\n")
    result = sync(repo.root)
    assert result.exit_code == 1
    assert "goals/bad.yaml:" in result.stderr and "GR101" in result.stderr
    assert current(repo.root, "good") == {"won": 17}


def test_a_kill_mid_run_leaves_each_file_old_or_new(tmp_path: Path) -> None:
    """SIGKILL while files are being written: each one is whole, old or new, and parses.
    (The hidden temporary files a kill can leave are never read as goals.)"""
    count = 60
    pad = "  " + "Why this matters, at length. " * 4000 + "\n"  # ~120 KB per file
    root = tmp_path / "r"
    sources = {"script": {"kind": "command", "run": command("print(77)")}}
    goals = {f"g{i:02d}": kr("value", "script") for i in range(count)}
    make_repo(root, sources, goals, commit=False)
    for goal_id in goals:
        path = root / f"goals/{goal_id}.yaml"
        path.write_text(path.read_text().replace("# The numbers", "description: |\n" + pad
                                                  + "# The numbers"))
    old = {p.name: p.read_bytes() for p in (root / "goals").iterdir()}
    first = root / "goals/g00.yaml"
    # A hook makes each rename wait a little, so that the kill surely lands between the
    # first file written and the last.
    slow = ("import os, sys, time\nfrom goalsrepo.cli import main\nreplace = os.replace\n"
            "def slow(*args):\n    replace(*args)\n    time.sleep(0.05)\n"
            "os.replace = slow\nsys.argv[0] = 'goalsrepo'\nmain()\n")
    proc = subprocess.Popen([PYTHON, "-c", slow, "sync", "-C", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while first.read_bytes() == old["g00.yaml"]:
            assert proc.poll() is None, "sync finished before the first file changed"
        proc.kill()  # SIGKILL, as soon as the first file is written
    finally:
        proc.wait(timeout=60)
    new_files = 0
    for path in (root / "goals").glob("*.yaml"):
        text = path.read_bytes()
        expected_new = old[path.name].replace(b"current: 10  # synced", b"current: 77  # synced")
        assert text in (old[path.name], expected_new), f"{path.name} is half written"
        new_files += text == expected_new
        yaml.safe_load(text)
    assert 1 <= new_files < count  # killed mid-run: some files written, some not
    check = CliRunner().invoke(cli, ["validate", "-C", str(root), "--format", "json"])
    assert json.loads(check.stdout)["errors"] == 0


def test_a_header_that_http_cannot_carry_fails_the_source(tmp_path: Path, service: Service,
                                                          ) -> None:
    repo = make_repo(tmp_path / "r", every_kind(service), {
        "growth": kr("signups", "{from: metrics, pointer: /data/signups}")})
    result = sync(repo.root, "--format", "json", env={"METRICS_KEY": "line\nbreak"})
    assert result.exit_code == 1
    assert by_kr(json.loads(result.stdout))["growth/signups"]["error"] == (
        "the request cannot be sent: a header or the URL holds characters HTTP does not allow")
    assert service.requests_to("/metrics.json") == []
