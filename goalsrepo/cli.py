"""The ``goalsrepo`` command: Click only. Each command parses options, calls one library
function, renders its result and picks the exit code (0 ok, 1 problems, 2 usage)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from goalsrepo import __version__
from goalsrepo.errors import EXIT_FAILURE, GoalsrepoError
from goalsrepo.integrations.importers import FORMATS as IMPORT_FORMATS

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def repo_option(func: F) -> F:
    """``-C/--repo DIR``, taken by every command (SPEC §2)."""
    return click.option(
        "-C", "--repo", "repo",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        default=Path("."),
        show_default=True,
        help="The goals repository to work on.",
    )(func)


def use_color(stream: Any) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


class GoalsrepoGroup(click.Group):
    """Turns :class:`GoalsrepoError` into a one-line message and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GoalsrepoError as exc:
            click.echo(f"goalsrepo: error: {exc}", err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=GoalsrepoGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="goalsrepo")
def cli() -> None:
    """goalsrepo: your organisation's goals as YAML files in git.

    Goals and key results are plain text, changed through pull requests and validated in
    CI; progress and check-ins come from the commit history. See `goalsrepo COMMAND -h`.
    """


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@repo_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "gitlab"]),
              default="text", show_default=True,
              help="text for people, json for tools, github for Actions annotations, "
                   "gitlab for a Code Quality report.")
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
def validate(paths: tuple[Path, ...], repo: Path, fmt: str, strict: bool) -> None:
    """Check goal files: schema, references, cycles and the SMART lint.

    Every file is read (so references resolve); PATHS only restrict which files are
    reported, which suits pre-commit. Exit 1 on errors (or warnings with --strict).

    \b
    Example:
        goalsrepo validate --format github --strict
    """
    from goalsrepo import report, workspace
    from goalsrepo.validate import validate as run_validate

    ws = workspace.open(repo)
    result = run_validate(ws, [_relative(ws.root, p) for p in paths])
    click.echo(report.RENDERERS[fmt](result, strict=strict, color=use_color(sys.stdout)),
               nl=False)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary_file:
        with open(summary_file, "a", encoding="utf-8") as fh:
            fh.write(report.render_markdown(result, strict=strict))
    sys.exit(0 if result.ok(strict) else EXIT_FAILURE)


def _relative(root: Path, path: Path) -> str:
    """A PATH argument as a ``/`` path from the repository root (it may be cwd-relative)."""
    candidate = path if path.is_absolute() else Path.cwd() / path
    if not candidate.exists():
        candidate = root / path
    if not candidate.exists():
        raise click.BadParameter(f"{path} does not exist", param_hint="PATHS")
    try:
        return candidate.resolve().relative_to(root).as_posix()
    except ValueError:
        raise click.BadParameter(f"{path} is outside the repository {root}",
                                 param_hint="PATHS") from None


@cli.command("schema")
@click.argument("kind", type=click.Choice(["goal", "config", "people", "teams"]), default="goal")
@repo_option
@click.option("--draft", type=click.Choice(["2020", "7"]), default="2020", show_default=True,
              help="JSON Schema draft: 2020 (2020-12) or 7 for yaml-language-server.")
def schema_command(kind: str, repo: Path, draft: str) -> None:
    """Print the JSON Schema of a file kind, for editors and other tools.

    \b
    Example:
        goalsrepo schema goal --draft 7 > goal.schema.json
    """
    from goalsrepo.files import schema

    click.echo(json.dumps(schema.printable(kind, draft=int(draft)), indent=2))


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), required=False)
@repo_option
@click.option("--demo", is_flag=True,
              help="Also write a quarter of back-dated check-in commits, so history shows.")
@click.option("--ci", type=click.Choice(["github", "gitlab"]), default="github",
              show_default=True,
              help="The forge to write CI for: GitHub Actions workflows, or .gitlab-ci.yml.")
def init(directory: Path | None, repo: Path, demo: bool, ci: str) -> None:
    """Scaffold a goals repository: config, people, teams, example goals, editor wiring.

    DIRECTORY defaults to the repository given with -C (the current directory). Runs
    `git init` when it is not inside a repository. Never overwrites a file.

    \b
    Example:
        goalsrepo init acme-goals --demo
        goalsrepo init acme-goals --ci gitlab
    """
    from goalsrepo import scaffold

    result = scaffold.init(directory or repo, demo=demo, ci=ci)
    click.echo(f"Wrote {len(result.written)} files to {result.root}")
    if result.created_repository:
        click.echo("Initialised a git repository (branch main).")
    if result.demo_commits:
        click.echo(f"Wrote {result.demo_commits} back-dated demo commits.")
    click.echo("Next: `goalsrepo build` (or `goalsrepo serve`) to see the site; edit the "
               "goals, then run `goalsrepo validate`.")


def _prompt_missing(value: str | None, label: str, required: bool) -> str | None:
    if value is not None:
        return value
    if not sys.stdin.isatty():
        if required:
            raise click.UsageError(f"--{label} is required when not run in a terminal")
        return None
    answer = click.prompt(label.replace("-", " ").capitalize(),
                          default="" if not required else None, show_default=False)
    return answer.strip() or None


@cli.command()
@repo_option
@click.option("--id", "goal_id", help="The goal id: lowercase letters, digits, hyphens.")
@click.option("--title", help="The objective, as one specific sentence.")
@click.option("--owner", help="The accountable person's id.")
@click.option("--team", help="The team's id (also the folder under goals/).")
@click.option("--period", help="The period id, e.g. 2026-Q4 (also a folder).")
@click.option("--aligns-to", "aligns_to", multiple=True,
              help="A parent goal id; repeat for several parents.")
@click.option("--level", type=click.Choice(["organization", "team", "individual"]),
              default="team", show_default=True, help="Where the goal sits.")
def new(repo: Path, goal_id: str | None, title: str | None, owner: str | None,
        team: str | None, period: str | None, aligns_to: tuple[str, ...], level: str) -> None:
    """Create a goal file at goals/<team>/<period>/<id>.yaml from flags.

    On a terminal it asks for what is missing; elsewhere --id, --title and --owner are
    required. Refuses an id that exists.

    \b
    Example:
        goalsrepo new --id faster-deploys --title "Ship any change within one hour" \\
            --owner alice --team platform --period 2026-Q4 --aligns-to delight-customers
    """
    from goalsrepo import scaffold

    goal = scaffold.NewGoal(
        id=_prompt_missing(goal_id, "id", True) or "",
        title=_prompt_missing(title, "title", True) or "",
        owner=_prompt_missing(owner, "owner", True) or "",
        team=_prompt_missing(team, "team", False),
        period=_prompt_missing(period, "period", False),
        level=level,
        aligns_to=tuple(aligns_to),
    )
    path = scaffold.new_goal(repo.resolve(), goal)
    click.echo(f"Wrote {path.relative_to(repo.resolve()).as_posix()}")


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
        help="Time travel: the goals as of the last main-line commit on or before this "
             "date (YYYY-MM-DD), measured at that date.",
    )(func)


def shallow_option(func: F) -> F:
    return click.option(
        "--allow-shallow", is_flag=True,
        help="Go on in a shallow clone, although its history is incomplete.",
    )(func)


def _state(repo: Path, as_of: Any, allow_shallow: bool) -> Any:
    """The goals' state, with its notes said on stderr; the workspace it was read from
    stays with it for :func:`_numbers`."""
    from goalsrepo import workspace
    from goalsrepo.numbers.state import load_state

    ws = workspace.open(repo)
    state = load_state(ws, as_of.date() if as_of else None,
                       allow_shallow=allow_shallow, progress=_progress_reporter())
    from goalsrepo import report

    for note in state.notes:
        click.echo(report.diagnostic_line(note), err=True)
    return ws, state


def _numbers(repo: Path, as_of: Any, allow_shallow: bool) -> tuple[Any, list[Any]]:
    """The goals' state and every goal's numbers, those a commit did not change as the
    last run left them (memory.recall)."""
    from goalsrepo import workspace
    from goalsrepo.web import memory

    ws, state = _state(repo, as_of, allow_shallow)
    numbers = memory.recall(state, None if as_of else ws.status_cache)
    workspace.keep(state, numbers)
    return state, numbers


def _filters(func: F) -> F:
    options = [
        click.option("--team", multiple=True, help="Only goals of this team (repeatable)."),
        click.option("--owner", multiple=True, help="Only goals of this owner (repeatable)."),
        click.option("--period", multiple=True, help="Only goals of this period (repeatable)."),
        click.option("--level", multiple=True,
                     type=click.Choice(["organization", "team", "individual"]),
                     help="Only goals at this level (repeatable)."),
        click.option("--health", multiple=True,
                     type=click.Choice(["done", "on_track", "at_risk", "off_track", "achieved",
                                        "missed", "dropped", "draft"]),
                     help="Only goals with this health (repeatable)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _select(statuses: list[Any], filters: dict[str, tuple[str, ...]]) -> list[Any]:
    wanted = {name: values for name, values in filters.items() if values}

    def keep(s: Any) -> bool:
        values = {"team": s.goal.team, "owner": s.goal.owner, "period": s.goal.period,
                  "level": s.goal.level, "health": s.health}
        return all(values[name] in allowed for name, allowed in wanted.items())

    return [s for s in statuses if keep(s)] if wanted else statuses


@cli.command()
@repo_option
@_filters
@as_of_option
@shallow_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: a table; json: SPEC §8 for tools.")
def status(repo: Path, team: tuple[str, ...], owner: tuple[str, ...], period: tuple[str, ...],
           level: tuple[str, ...], health: tuple[str, ...], as_of: Any, allow_shallow: bool,
           fmt: str) -> None:
    """Show every goal's progress, expected progress, health and staleness.

    Goals needing attention come first (off track, at risk, then by due date). Numbers
    are measured at the author date of HEAD, or at --as-of.

    \b
    Example:
        goalsrepo status --team platform --health at_risk --health off_track
    """
    from goalsrepo import report

    state, numbers = _numbers(repo, as_of, allow_shallow)
    filters = {"team": team, "owner": owner, "period": period, "level": level,
               "health": health}
    statuses = report.sort_statuses(_select(numbers, filters))
    if fmt == "json":
        click.echo(report.goals_json(statuses, state.as_of, state.commit), nl=False)
    else:
        click.echo(report.status_text(statuses, state.as_of, state.commit,
                                      color=use_color(sys.stdout)),
                   nl=False)


@cli.command()
@repo_option
@as_of_option
@shallow_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text: an indented tree; json: SPEC §8 for tools.")
def tree(repo: Path, as_of: Any, allow_shallow: bool, fmt: str) -> None:
    """Show the alignment graph with roll-up progress, and goals aligned to nothing.

    A goal aligned to several parents shows under each of them.

    \b
    Example:
        goalsrepo tree --format json
    """
    from goalsrepo import report

    state, statuses = _numbers(repo, as_of, allow_shallow)
    render = report.tree_json if fmt == "json" else report.tree_text
    click.echo(render(statuses, state.as_of), nl=False)


@cli.command()
@click.argument("goal")
@repo_option
@shallow_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json: SPEC §8 for tools.")
def history(goal: str, repo: Path, allow_shallow: bool, fmt: str) -> None:
    """Show every event of GOAL from git: check-ins, adjustments, status changes, moves.

    Each line has the date, the commit, who (mapped to people.yaml by e-mail), what
    changed from old to new, and the commit's message. A goal that continues one of an
    earlier period (`continues`) lists that goal's events after its own.

    \b
    Example:
        goalsrepo history faster-deploys
    """
    from goalsrepo import report
    from goalsrepo.numbers import alignment

    _, state = _state(repo, None, allow_shallow)
    events = state.history.of(goal)
    if not events and goal not in {g.id for g in state.repo.goals}:
        raise GoalsrepoError(f"no goal `{goal}` in the files or the history")
    people = state.repo.people_by_email()
    before, _ = alignment.continuation(goal, {g.id: g.continues for g in state.repo.goals})
    earlier = [(gid, state.history.of(gid)) for gid in reversed(before)]
    if fmt == "json":
        click.echo(report.history_json(goal, events, people, earlier), nl=False)
    else:
        click.echo(report.history_text(goal, events, people, state.repo.names(), earlier),
                   nl=False)


@cli.command()
@repo_option
@_filters
@as_of_option
@shallow_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv", "okr-csv"]), default="json",
              show_default=True,
              help="json (SPEC §8); csv, one row per goal; okr-csv, one row per key result, "
                   "milestone and link with every field, which `import goalsrepo-csv` reads.")
def export(repo: Path, team: tuple[str, ...], owner: tuple[str, ...], period: tuple[str, ...],
           level: tuple[str, ...], health: tuple[str, ...], as_of: Any, allow_shallow: bool,
           fmt: str) -> None:
    """Export every goal with its computed progress and health, for other tools.

    CSV has one row per goal; list fields are joined with `;`. See the docs for how the
    columns map to Jira, Asana and Trello imports. okr-csv holds every field of the goal
    files, one row per key result, milestone and link: `import goalsrepo-csv` reads it back.

    \b
    Example:
        goalsrepo export --format csv > goals.csv
    """
    from goalsrepo import report
    from goalsrepo.integrations.importers import goalsrepo_csv

    state, numbers = _numbers(repo, as_of, allow_shallow)
    filters = {"team": team, "owner": owner, "period": period, "level": level,
               "health": health}
    statuses = sorted(_select(numbers, filters), key=lambda s: s.goal.id)
    if fmt == "okr-csv":
        click.echo(goalsrepo_csv.write(s.goal for s in statuses), nl=False)
    elif fmt == "csv":
        click.echo(report.goals_csv(statuses), nl=False)
    else:
        click.echo(report.goals_json(statuses, state.as_of, state.commit), nl=False)


@cli.command("checkin")
@click.argument("goal", required=False)
@click.argument("kr", required=False)
@click.argument("value", required=False)
@repo_option
@click.option("-m", "--message", help="Why the value moved; the commit's body.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit the goal file alone, as your git identity (or --author).")
@click.option("--from-form", "form", type=click.File("r", encoding="utf-8", errors="replace"),
              default=None, metavar="FILE",
              help="Apply a check-in submitted through the issue form: FILE holds the "
                   "issue's body as the forge renders it (- reads stdin).")
@click.option("--author", default=None, metavar="'NAME <EMAIL>'",
              help="With --commit: the commit's author, e.g. the issue's author.")
def checkin_command(goal: str | None, kr: str | None, value: str | None, repo: Path,
                    message: str | None, do_commit: bool, form: Any, author: str | None,
                    ) -> None:
    """Set a key result's current value (or mark a milestone done) in its goal file.

    KR is a key result's id, or a milestone's number (from 1) or title. VALUE is a number,
    or `done` / `not-done` for milestones. The file is edited in place: comments,
    order, quoting and blank lines stay as they are, and exactly one line changes.

    With --from-form, GOAL, KR and VALUE come from a check-in issue form instead: every
    value in it is applied as one check-in (all or none), and its comment is the message.

    \b
    Examples:
        goalsrepo checkin faster-deploys deploy-time 18 -m "cache landed" --commit
        goalsrepo checkin --from-form issue.md --commit --author "Ann <ann@acme.com>"
    """
    from goalsrepo.checkin import apply
    from goalsrepo.integrations.issueform import parse

    if form is not None:
        if goal or kr or value:
            raise click.UsageError("give either GOAL KR VALUE or --from-form, not both")
        found = parse(form.read())
        goal, values, message = found.goal, list(found.values), message or found.comment
    elif goal and kr and value is not None:
        values = [(kr, value)]
    else:
        raise click.UsageError("give GOAL KR VALUE, or --from-form FILE")
    if author is not None and not do_commit:
        raise click.UsageError("--author sets the commit's author: use it with --commit")
    results = apply(repo.resolve(), goal, values, message=message, commit=do_commit,
                    author=author, skip_unchanged=form is not None)
    for result in results:
        click.echo(f"{result.path}: {result.message}")
    if results[0].commit:
        click.echo(f"Committed {results[0].commit[:10]}")


@cli.command("diff")
@click.argument("base")
@click.argument("head", default="HEAD")
@repo_option
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="markdown for a pull-request comment; json (SPEC §8).")
def diff_command(base: str, head: str, repo: Path, fmt: str) -> None:
    """Show what a change does to the goals, for a pull-request comment.

    Compares HEAD with the merge base of BASE and HEAD, as a forge does: new and removed
    goals, check-ins, adjustments (targets, starts, due dates and periods that moved,
    flagged first), status changes and other edits, then the validation of HEAD.

    \b
    Example:
        goalsrepo diff origin/main >> "$GITHUB_STEP_SUMMARY"
    """
    from goalsrepo import report
    from goalsrepo.diff import diff_revisions

    result = diff_revisions(repo.resolve(), base, head)
    render = report.diff_json if fmt == "json" else report.diff_markdown
    click.echo(render(result), nl=False)


@cli.command("digest")
@repo_option
@click.option("--since", "since_days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="How many days back from the as-of date the digest covers.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json", "slack", "teams"]),
              default="markdown", show_default=True,
              help="markdown or json, or a Slack or Microsoft Teams webhook payload.")
@click.option("--post", "post_url", default=None, envvar="GOALSREPO_WEBHOOK_URL",
              show_envvar=True, metavar="URL",
              help="Send the slack or teams payload to this incoming webhook (a secret: "
                   "prefer the environment variable).")
@click.option("--person", default=None, metavar="ID",
              help="One person's agenda for a one-to-one: the goals they own or contribute "
                   "to, due in the next 14 days, and the check-ins they made.")
@click.option("--team", default=None, metavar="ID",
              help="One team's agenda: its goals and its sub-teams'.")
@click.option("--period", "period_id", metavar="ID", default=None,
              help="The end-of-period retrospective of this period instead: scores, "
                   "achieved and missed, drift, what rolls over.")
@shallow_option
def digest_command(repo: Path, since_days: int, fmt: str, post_url: str | None,
                   person: str | None, team: str | None, period_id: str | None,
                   allow_shallow: bool) -> None:
    """The agenda of a goals review: progress moved, wins, at-risk, stale and due goals.

    Covers the --since days that end on the author date of HEAD, both ends included. At
    most one of --person and --team narrows it. Slack and Teams payloads mention the
    owners of at-risk, stale and due goals (people.yaml's `slack` / `teams`). With --post
    (or GOALSREPO_WEBHOOK_URL set), the payload is sent to the webhook instead of
    printed; the URL is never printed.

    \b
    Examples:
        GOALSREPO_WEBHOOK_URL=... goalsrepo digest --since 14 --format slack
        goalsrepo digest --person alice --since 14
    """
    from goalsrepo import report
    from goalsrepo.digest import Scope, build_digest
    from goalsrepo.integrations import chat

    if post_url and fmt not in ("slack", "teams"):
        raise click.UsageError("--post sends a chat payload: use --format slack or teams")
    if period_id is not None:
        _retrospective(repo, period_id, fmt, post_url, allow_shallow)
        return
    chosen = [(kind, value) for kind, value in (("person", person), ("team", team))
              if value is not None]
    if len(chosen) > 1:
        raise click.UsageError("--person and --team are exclusive: choose one")
    scope = Scope(*chosen[0]) if chosen else Scope()
    found = build_digest(repo.resolve(), since_days, scope=scope, allow_shallow=allow_shallow)
    if fmt in ("slack", "teams"):
        payload = chat.slack_payload(found) if fmt == "slack" else chat.teams_payload(found)
        if post_url:
            status = chat.post(post_url, payload)
            click.echo(f"Posted the digest ({fmt}): HTTP {status}")
            return
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    elif fmt == "json":
        click.echo(report.digest_json(found), nl=False)
    else:
        click.echo(report.digest_markdown(found), nl=False)


@cli.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(IMPORT_FORMATS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@repo_option
@click.option("--period", help="The period (an id of goalsrepo.yaml) of goals whose data "
                               "names none.")
@click.option("--team", help="The team id of goals whose data names none.")
@click.option("--owner", help="The owner (a person id) of goals whose data names none.")
@click.option("--map", "mappings", multiple=True, metavar="HEADER=FIELD",
              help="okr-csv: read column HEADER as FIELD (objective, key_result, owner, team, "
                   "period, start, target, current, unit, due, aligns_to, description, "
                   "weight, level, status, or ignore); repeatable.")
@click.option("--goal-type", help="jira: the issue type that makes a goal (default: Epic).")
@click.option("--no-new-people", is_flag=True,
              help="Refuse people who are not in people.yaml instead of adding them.")
@click.option("--update", is_flag=True,
              help="Rewrite goals that are already in the repository (same id).")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit the new files and people.yaml/teams.yaml in one commit.")
@click.option("--format", "out", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (SPEC §8) for tools.")
def import_command(fmt: str, file: Path, repo: Path, period: str | None, team: str | None,
                   owner: str | None, mappings: tuple[str, ...], goal_type: str | None,
                   no_new_people: bool, update: bool, dry_run: bool, do_commit: bool,
                   out: str) -> None:
    """Bring goals in from a spreadsheet, Jira, Asana or Trello export.

    FORMAT is okr-csv (a spreadsheet, .csv or .xlsx, one row per key result),
    goalsrepo-csv (export --format okr-csv), jira (Jira's CSV export), asana (Asana's
    project CSV export) or trello (a board's JSON export). Ids are slugs of the titles,
    so importing the same file again skips the goals already there. Every file written
    validates; when any row cannot be read nothing is written. See docs/import.md.

    \b
    Example:
        goalsrepo import okr-csv okrs.xlsx --period 2026-Q4 --dry-run
    """
    from goalsrepo import report
    from goalsrepo.integrations.importers import okr_csv
    from goalsrepo.integrations.importers.pipeline import import_file
    from goalsrepo.integrations.importers.plan import Options
    from goalsrepo.integrations.importers.records import ReadError

    if mappings and fmt != "okr-csv":
        raise click.UsageError("--map is for okr-csv")
    if goal_type and fmt != "jira":
        raise click.UsageError("--goal-type is for jira")
    if dry_run and do_commit:
        raise click.UsageError("--dry-run writes nothing to commit")
    try:
        mapping = okr_csv.parse_map(mappings)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    options = Options(period=period, team=team, owner=owner, update=update,
                      new_people=not no_new_people)
    try:
        imported = import_file(repo.resolve(), fmt, file, options, mapping=mapping,
                               goal_type=goal_type, dry_run=dry_run, commit=do_commit)
    except ReadError as exc:
        for where, message in exc.problems:
            click.echo(report.diagnostic_line(where.diagnostic(message)), err=True)
        click.echo(f"goalsrepo: error: {_plural_problems(len(exc.problems))} in {file.name}; "
                   "nothing was written", err=True)
        sys.exit(EXIT_FAILURE)
    if out == "json":
        click.echo(report.import_json(imported), nl=False)
    else:
        click.echo(report.import_text(imported, file.name), nl=False)


def _plural_problems(n: int) -> str:
    return "1 problem" if n == 1 else f"{n} problems"
def _refusing_invalid(func: Callable[[], T]) -> T:
    """Run a command that changes goal files; print every error when the goals have any."""
    from goalsrepo import report
    from goalsrepo.closing import InvalidGoals

    try:
        return func()
    except InvalidGoals as exc:
        for d in exc.diagnostics:
            click.echo(report.diagnostic_line(d, use_color(sys.stderr)), err=True)
        raise


@cli.command("close")
@click.argument("period")
@repo_option
@click.option("--early", is_flag=True, help="Close the period before its last day.")
@click.option("--keep", multiple=True, metavar="ID",
              help="Leave this goal open (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show each goal's score and new status; "
                                              "write nothing.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit the changed goal files in one commit, as your git identity.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (SPEC §8) for tools.")
def close_command(period: str, repo: Path, early: bool, keep: tuple[str, ...], dry_run: bool,
                  do_commit: bool, fmt: str) -> None:
    """End PERIOD: every active goal of it becomes achieved (progress 1) or missed.

    That fixes each goal's score: its progress in the commit that closes it. Status lines
    are edited in place (comments stay); drafts and --keep goals are left open. Refused
    before the period's last day without --early. Closing twice changes nothing.

    \b
    Example:
        goalsrepo close 2026-Q4 --keep hire-sre --commit
    """
    from goalsrepo import report
    from goalsrepo.closing import close

    result = _refusing_invalid(lambda: close(repo.resolve(), period, early=early, keep=keep,
                                             dry_run=dry_run, commit=do_commit))
    click.echo((report.close_json if fmt == "json" else report.close_text)(result), nl=False)


@cli.command("rollover")
@click.argument("period")
@click.argument("next_period", metavar="NEXT")
@click.argument("goals", nargs=-1, metavar="[GOAL]...")
@repo_option
@click.option("--create-period", is_flag=True,
              help="Add NEXT to goalsrepo.yaml: the quarter after a YYYY-Qn period, the "
                   "year after an FYYYYY one.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit every written file in one commit, as your git identity.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (SPEC §8) for tools.")
def rollover_command(period: str, next_period: str, goals: tuple[str, ...], repo: Path,
                     create_period: bool, dry_run: bool, do_commit: bool, fmt: str) -> None:
    """Carry the unfinished goals of PERIOD into NEXT.

    Each gets a successor at goals/<team>/<NEXT>/<id>-<next>.yaml that `continues` it,
    its key results restarted from where they stand; an active goal becomes missed.
    Named GOALs only, when given. All files or none are written; a goal already
    continued in NEXT is not rolled again.

    \b
    Example:
        goalsrepo rollover 2026-Q4 2027-Q1 --create-period --commit
    """
    from goalsrepo import report
    from goalsrepo.rollover import rollover

    result = _refusing_invalid(lambda: rollover(
        repo.resolve(), period, next_period, goals, create_period=create_period,
        dry_run=dry_run, commit=do_commit))
    click.echo((report.rollover_json if fmt == "json" else report.rollover_text)(result),
               nl=False)


def _retrospective(repo: Path, period_id: str, fmt: str, post_url: str | None,
                   allow_shallow: bool) -> None:
    """``digest --period``: the retrospective's agenda, in the digest's formats."""
    from goalsrepo import retrospective
    from goalsrepo.integrations import chat

    given = click.get_current_context().params
    for other in ("person", "team"):  # the other agendas, one at a time
        if given.get(other):
            raise click.UsageError(f"--period and --{other} cannot be used together")
    found = retrospective.build_retrospective(repo.resolve(), period_id,
                                              allow_shallow=allow_shallow)
    if fmt in ("slack", "teams"):
        payload = (retrospective.slack if fmt == "slack" else retrospective.teams)(found)
        if post_url:
            click.echo(f"Posted the retrospective ({fmt}): HTTP {chat.post(post_url, payload)}")
            return
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    render = retrospective.as_json if fmt == "json" else retrospective.markdown
    click.echo(render(found), nl=False)


@cli.command("sync")
@click.argument("goals", nargs=-1)
@repo_option
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit the changed goal files once, as sync.author of goalsrepo.yaml.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="text for people; json (SPEC §8) for tools.")
def sync_command(goals: tuple[str, ...], repo: Path, dry_run: bool, do_commit: bool,
                 fmt: str) -> None:
    """Read every key result that names a source and check in the values that moved.

    Sources (Jira, GitHub search, JSON and CSV documents, scripts) are defined in
    goalsrepo.yaml; a key result names one with `source:`. GOALS restrict the run to
    those goals. A source that fails is reported and changes nothing; the others still
    apply, and the exit is 1. Secrets come from the environment only.

    \b
    Example:
        JIRA_TOKEN=... goalsrepo sync --dry-run
        goalsrepo sync faster-deploys --commit
    """
    from goalsrepo import report
    from goalsrepo.integrations.sync import sync

    if dry_run and do_commit:
        raise click.UsageError("--dry-run writes nothing, so it cannot --commit")
    run = sync(repo.resolve(), goals, dry_run=dry_run, commit=do_commit)
    for problem in run.broken:
        click.echo(report.diagnostic_line(problem), err=True)
    click.echo(report.sync_json(run) if fmt == "json" else report.sync_text(run), nl=False)
    sys.exit(0 if run.ok else EXIT_FAILURE)


def _progress_reporter() -> Any:
    """Progress on stderr for long work, only when stderr is a terminal (SPEC §2)."""
    if not sys.stderr.isatty():
        return None

    def report(what: str, done: int, total: int) -> None:
        end = "\n" if done == total else ""
        click.echo(f"\r  {what}: {done}/{total}", err=True, nl=False)
        if end:
            click.echo("", err=True)

    return report


@cli.command()
@repo_option
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder to write the site to (default: site/ in the repository).")
@as_of_option
@click.option("--base-url", default=None,
              help="The site's public URL (e.g. https://acme.github.io/goals), for the "
                   "absolute links of the Atom feed, the sitemap and the 404 page; "
                   "overrides base_url in goalsrepo.yaml.")
@shallow_option
def build(repo: Path, output: Path | None, as_of: Any, base_url: str | None,
          allow_shallow: bool) -> None:
    """Render the static site: dashboard, alignment map, a page per goal, team, person and
    period, wins with an Atom feed, the drift report and search.

    The new site is written beside the old one and swapped in, so a failure leaves the
    previous site as it was; exit 1 on validation errors, writing nothing. After one new
    commit only the pages that changed are rendered again.

    \b
    Example:
        goalsrepo build -o public --base-url https://acme.github.io/goals
    """
    from goalsrepo import report, workspace
    from goalsrepo.web.site import BuildError
    from goalsrepo.web.site import build as run_build

    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--base-url")
    try:
        result = run_build(workspace.open(repo), output, as_of=as_of.date() if as_of else None,
                           base_url=base_url, allow_shallow=allow_shallow,
                           progress=_progress_reporter())
    except BuildError as exc:
        for d in exc.diagnostics:
            click.echo(report.diagnostic_line(d, use_color(sys.stderr)), err=True)
        raise
    for note in result.notes:
        click.echo(report.diagnostic_line(note), err=True)
    click.echo(f"Built {result.pages} pages ({result.rendered} rendered) in "
               f"{result.seconds:.2f} s ({result.history_seconds:.2f} s reading history): "
               f"{result.output}")


@cli.command()
@repo_option
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port to serve on (0 picks a free one).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on; anything but loopback shows the goals to "
                   "the network, with a warning.")
@as_of_option
@shallow_option
def serve(repo: Path, port: int, host: str, as_of: Any, allow_shallow: bool) -> None:
    """Build the site, serve it on this computer and rebuild when a goal file changes.

    A broken file is reported here and on the page, and the server keeps running; the
    page reloads itself after each build. Ctrl-C stops it.

    \b
    Example:
        goalsrepo serve --port 8080
    """
    from goalsrepo.web.serve import run

    run(repo.resolve(), host=host, port=port, as_of=as_of.date() if as_of else None,
        allow_shallow=allow_shallow, echo=click.echo,
        warn=lambda text: click.echo(f"goalsrepo: warning: {text}", err=True))
    click.echo("Stopped.")


def main() -> None:
    """Console-script entry point.

    A command is a short-lived process that builds large trees of objects that live until
    it exits, with no reference cycles to speak of: the cyclic garbage collector would
    rescan them again and again (a third of a run at 10,000 goals) and free nothing, so it
    is switched off, and reference counting frees memory as usual. For the same reason the
    process ends with ``os._exit`` once its output is flushed: tearing down those trees
    object by object took half a second of a rebuild, to give memory back to a process
    that is ending anyway, and the commands that measure every goal keep what they made
    (:func:`goalsrepo.workspace.keep`) rather than free it when they return. Every file is
    closed by then (each is written in a ``with``).
    """
    gc.disable()
    try:
        cli(prog_name="goalsrepo")
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = EXIT_FAILURE
    for stream in (sys.stdout, sys.stderr):
        # A closed pipe (`goalsrepo status | head`): there is nothing more to say.
        with contextlib.suppress(OSError):
            stream.flush()
    os._exit(code or 0)
