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

F = TypeVar("F", bound=Callable[..., Any])


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
    from goalsrepo import report
    from goalsrepo.validate import validate as run_validate

    root = repo.resolve()
    result = run_validate(root, [_relative(root, p) for p in paths])
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
    from goalsrepo import schema

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
    from goalsrepo.state import load_state

    state = load_state(repo.resolve(), as_of.date() if as_of else None,
                       allow_shallow=allow_shallow, progress=_progress_reporter())
    from goalsrepo import report

    for note in state.notes:
        click.echo(report.diagnostic_line(note), err=True)
    return state


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
    def keep(s: Any) -> bool:
        values = {"team": s.goal.team, "owner": s.goal.owner, "period": s.goal.period,
                  "level": s.goal.level, "health": s.health}
        return all(not wanted or values[name] in wanted for name, wanted in filters.items())

    return [s for s in statuses if keep(s)]


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

    state = _state(repo, as_of, allow_shallow)
    filters = {"team": team, "owner": owner, "period": period, "level": level,
               "health": health}
    statuses = report.sort_statuses(_select(state.statuses(), filters))
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

    state = _state(repo, as_of, allow_shallow)
    statuses = state.statuses()
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
    changed from old to new, and the commit's message.

    \b
    Example:
        goalsrepo history faster-deploys
    """
    from goalsrepo import report

    state = _state(repo, None, allow_shallow)
    events = state.history.of(goal)
    if not events and goal not in {g.id for g in state.repo.goals}:
        raise GoalsrepoError(f"no goal `{goal}` in the files or the history")
    people = state.repo.people_by_email()
    if fmt == "json":
        click.echo(report.history_json(goal, events, people), nl=False)
    else:
        click.echo(report.history_text(goal, events, people, state.repo.names()), nl=False)


@cli.command()
@repo_option
@_filters
@as_of_option
@shallow_option
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True, help="json (SPEC §8) or csv, one row per goal.")
def export(repo: Path, team: tuple[str, ...], owner: tuple[str, ...], period: tuple[str, ...],
           level: tuple[str, ...], health: tuple[str, ...], as_of: Any, allow_shallow: bool,
           fmt: str) -> None:
    """Export every goal with its computed progress and health, for other tools.

    CSV has one row per goal; list fields are joined with `;`. See the docs for how the
    columns map to Jira, Asana and Trello imports.

    \b
    Example:
        goalsrepo export --format csv > goals.csv
    """
    from goalsrepo import report

    state = _state(repo, as_of, allow_shallow)
    filters = {"team": team, "owner": owner, "period": period, "level": level,
               "health": health}
    statuses = sorted(_select(state.statuses(), filters), key=lambda s: s.goal.id)
    if fmt == "csv":
        click.echo(report.goals_csv(statuses), nl=False)
    else:
        click.echo(report.goals_json(statuses, state.as_of, state.commit), nl=False)


@cli.command("checkin")
@click.argument("goal")
@click.argument("kr")
@click.argument("value")
@repo_option
@click.option("-m", "--message", help="Why the value moved; the commit's body.")
@click.option("--commit", "do_commit", is_flag=True,
              help="Commit the goal file alone, as your git identity.")
def checkin_command(goal: str, kr: str, value: str, repo: Path, message: str | None,
                    do_commit: bool) -> None:
    """Set a key result's current value (or mark a milestone done) in its goal file.

    KR is a key result's id, or a milestone's number (from 1) or title. VALUE is a number,
    or `done` / `not-done` for milestones. The file is edited in place: comments,
    order, quoting and blank lines stay as they are, and exactly one line changes.

    \b
    Example:
        goalsrepo checkin faster-deploys deploy-time 18 -m "cache landed" --commit
    """
    from goalsrepo.checkin import checkin

    result = checkin(repo.resolve(), goal, kr, value, message=message, commit=do_commit)
    click.echo(f"{result.path}: {result.message}")
    if result.commit:
        click.echo(f"Committed {result.commit[:10]}")


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
@shallow_option
def digest_command(repo: Path, since_days: int, fmt: str, post_url: str | None,
                   allow_shallow: bool) -> None:
    """The agenda of a goals review: progress moved, wins, at-risk and stale goals.

    Covers the days up to the author date of HEAD. With --post (or GOALSREPO_WEBHOOK_URL
    set), the Slack or Teams payload is sent to the webhook instead of printed; the URL is
    never printed.

    \b
    Example:
        GOALSREPO_WEBHOOK_URL=... goalsrepo digest --since 14 --format slack
    """
    from goalsrepo import chat, report
    from goalsrepo.digest import build_digest

    if post_url and fmt not in ("slack", "teams"):
        raise click.UsageError("--post sends a chat payload: use --format slack or teams")
    found = build_digest(repo.resolve(), since_days, allow_shallow=allow_shallow)
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
    from goalsrepo.sync import sync

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
    from goalsrepo import report
    from goalsrepo.site import BuildError
    from goalsrepo.site import build as run_build

    if base_url is not None and not base_url.lower().startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--base-url")
    try:
        result = run_build(repo.resolve(), output, as_of=as_of.date() if as_of else None,
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
    from goalsrepo.serve import run

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
    that is ending anyway. Every file is closed by then (each is written in a ``with``).
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
