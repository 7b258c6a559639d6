"""The command line. It only declares commands: each one's work is in feedbackloop.commands.<name>.

Command modules are imported when their command runs, so `feedbackloop --help` stays fast and never
imports a service client.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from feedbackloop import __version__
from feedbackloop.errors import FeedbackloopError

F = TypeVar("F", bound=Callable[..., Any])


def _date(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date like 2026-11-28") from None


def common(fn: F) -> F:
    """--root and --today, which every command takes."""
    fn = click.option(
        "--today",
        callback=_date,
        metavar="DATE",
        help="Act as if today were DATE (YYYY-MM-DD).",
    )(fn)
    return click.option(
        "--root",
        type=click.Path(file_okay=False, exists=True, path_type=Path),
        help="The repository (default: the git root of the current directory).",
    )(fn)


def dry_run(fn: F) -> F:
    return click.option("--dry-run", is_flag=True, help="Print what would happen; write nothing.")(fn)


def run(command: str, root: Path | None, today: date | None, **options: Any) -> None:
    """Import `feedbackloop.commands.<command>` and exit with what its `run` returns."""
    from feedbackloop.context import Context

    module = importlib.import_module(f"feedbackloop.commands.{command}")
    try:
        context = Context.create(root, today)
        code = module.run(context, **options)
    except FeedbackloopError as error:
        from feedbackloop import actions
        from feedbackloop.config import Environment

        env = Environment.from_os()
        click.echo(f"error: {error}", err=True)
        actions.error(env, error.message)
        actions.summary(env, f"### feedbackloop {command} failed\n\n{error.message}\n\n**Fix:** {error.fix}")
        code = error.exit_code
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="feedbackloop")
def main() -> None:
    """Keep user interviews in git, and do everything that must happen after the call."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="github prints annotations for pull requests; json a list of problems.",
)
@click.option(
    "--changed",
    is_flag=True,
    help="Only the files changed since the base branch (on a pull request, its base commit).",
)
@common
def validate(
    root: Path | None, today: date | None, paths: tuple[Path, ...], output: str, changed: bool
) -> None:
    """Check interview files (all of them, or PATHS)."""
    run("validate", root, today, paths=paths, output=output, changed=changed)


@main.command()
@click.option("--topic", help="What the call is about, e.g. 'Web analytics'.")
@click.option("--first-name", help="The user's first name.")
@click.option("--profile", help="Link to the user's person profile.")
@click.option("--date", "call_date", callback=_date, metavar="DATE", help="Day of the call (YYYY-MM-DD).")
@click.option("--time", "call_time", help="Time of the call, HH:MM.")
@click.option("--interviewer", "interviewers", multiple=True, help="GitHub login; repeat for each.")
@click.option("--recruited-via", type=click.Choice(["survey", "slack", "roadmap", "email", "other"]))
@click.option("--status", type=click.Choice(["scheduled", "completed"]), default=None)
@click.option("--slug", help="The words after the date in the id (default: topic and first name).")
@common
def new(root: Path | None, today: date | None, **options: Any) -> None:
    """Scaffold an interview file from templates/interview.md.j2."""
    run("new", root, today, **options)


@main.command()
@click.option(
    "--format", "output", type=click.Choice(["text", "markdown"]), default="text", show_default=True
)
@click.option("--all", "show_all", is_flag=True, help="Also list interviews with nothing pending.")
@common
def status(root: Path | None, today: date | None, output: str, show_all: bool) -> None:
    """A table of interviews and what is still pending for each."""
    run("status", root, today, output=output, show_all=show_all)


@main.command()
@dry_run
@click.option("--only", metavar="ID", help="Publish this interview only.")
@click.option("--include-examples", is_flag=True, help="Also the records marked `example: true`.")
@common
def publish(
    root: Path | None, today: date | None, dry_run: bool, only: str | None, include_examples: bool
) -> None:
    """File issues, post to Slack, sync the Google Doc; write the links back. Exactly once."""
    run("publish", root, today, dry_run=dry_run, only=only, include_examples=include_examples)


@main.command()
@dry_run
@click.option("--include-examples", is_flag=True, help="Also the records marked `example: true`.")
@common
def remind(root: Path | None, today: date | None, dry_run: bool, include_examples: bool) -> None:
    """Flag what is overdue; keep the dashboard issue current; remind owners in Slack."""
    run("remind", root, today, dry_run=dry_run, include_examples=include_examples)


@main.command()
@click.option("--include-examples", is_flag=True, help="Also the records marked `example: true`.")
@common
def report(root: Path | None, today: date | None, include_examples: bool) -> None:
    """Print the feedback dashboard as markdown (with charts GitHub renders)."""
    run("report", root, today, include_examples=include_examples)


@main.command()
@click.argument("interview_id", metavar="[ID]", required=False)
@click.option(
    "--pending",
    is_flag=True,
    help="Every pending merch reward, as publish does with rewards_on_publish (publish.yml's rewards job).",
)
@dry_run
@common
def reward(
    root: Path | None, today: date | None, interview_id: str | None, pending: bool, dry_run: bool
) -> None:
    """Issue an interview's reward (or every pending one): a Shopify gift card, or Open Collective steps."""
    run("reward", root, today, interview_id=interview_id, dry_run=dry_run, pending=pending)


@main.command("follow-up")
@click.argument("interview_id", metavar="ID")
@common
def follow_up(root: Path | None, today: date | None, interview_id: str) -> None:
    """Draft the follow-up email: thanks, the reward, links to the user's issues, answers."""
    run("follow_up", root, today, interview_id=interview_id)


@main.command()
@click.option(
    "--event",
    "event_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The issue event (default: $GITHUB_EVENT_PATH).",
)
@dry_run
@common
def intake(root: Path | None, today: date | None, event_path: Path | None, dry_run: bool) -> None:
    """Turn an issue form into a branch, a stub interview and a draft pull request (or a note)."""
    run("intake", root, today, event_path=event_path, dry_run=dry_run)


@main.command()
@click.option("--cohort", "cohort_id", type=int, required=True, help="The PostHog cohort to survey.")
@click.option("--cohort-size", type=int, required=True, help="How many people are in it.")
@click.option("--link", required=True, help="The scheduling link the survey's button opens.")
@click.option("--name", help="The survey's name (default: one derived from the cohort).")
@dry_run
@common
def recruit(
    root: Path | None,
    today: date | None,
    cohort_id: int,
    cohort_size: int,
    link: str,
    name: str | None,
    dry_run: bool,
) -> None:
    """Create a PostHog survey that recruits interviewees from a cohort."""
    run(
        "recruit",
        root,
        today,
        cohort_id=cohort_id,
        cohort_size=cohort_size,
        link=link,
        name=name,
        dry_run=dry_run,
    )


@main.command()
@click.argument("who", metavar="PROFILE_OR_ID")
@dry_run
@common
def forget(root: Path | None, today: date | None, who: str, dry_run: bool) -> None:
    """Erase a person: their data in every record, and what was published about them."""
    run("forget", root, today, who=who, dry_run=dry_run)


if __name__ == "__main__":  # pragma: no cover
    main()
