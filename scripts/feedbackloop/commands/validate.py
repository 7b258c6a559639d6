"""`feedbackloop validate`: check records; annotations on pull requests; exit 1 on any error."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from feedbackloop import actions
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK, UsageError
from feedbackloop.git import changed_files, pull_request_base
from feedbackloop.records.problems import Problem, as_json, has_errors
from feedbackloop.records.repo import (
    folder_files,
    interview_folder_files,
    is_misnamed,
    is_record_file,
    load,
    relative,
)


def _selected(context: Context, paths: Sequence[Path]) -> set[str] | None:
    """The files to report on (None: all). Folders stand for the records inside them."""
    if not paths:
        return None
    chosen: set[str] = set()
    for path in paths:
        if path.is_dir():
            chosen.update(relative(context.root, p) for p in folder_files(path))
        elif path.is_file():
            if path.stem.lower() != "readme":  # as in a folder: pre-commit passes README.md too
                chosen.add(relative(context.root, path))
        else:
            raise UsageError(f"{path}: no such file or folder", "pass interview files or folders")
    return chosen


def run(context: Context, paths: Sequence[Path], output: str, changed: bool = False) -> int:
    if changed:
        base = pull_request_base(context.env) or f"origin/{context.settings.branch}"
        if changed_files(context.root, base, "pyproject.toml", suffix="pyproject.toml"):
            click.echo("The settings changed: every interview file is checked.")
        else:
            # Every changed file, not only `.md` ones: a `.MD` or `.markdown` file must be reported too.
            changed_paths = changed_files(context.root, base, context.settings.interviews_dir, suffix="")
            paths = [*paths, *(p for p in changed_paths if is_record_file(p) or is_misnamed(p))]
            if not paths:
                click.echo("No interview files changed.")
                return OK
    chosen = _selected(context, paths)
    outside: list[Path] = []
    if chosen is not None:  # files passed by path that are not under interviews/ are read too
        listed = interview_folder_files(context.root, context.settings)
        known = {relative(context.root, p) for p in listed}
        outside = [Path(p) if Path(p).is_absolute() else context.root / p for p in sorted(chosen - known)]
    repository = context.repository
    if outside:
        extra = load(context.root, context.settings, context.today, outside)
        repository.parsed.extend(extra.parsed)
        repository.problems.extend(extra.problems)
    problems = sorted(
        (p for p in repository.problems if chosen is None or p.path in chosen),
        key=lambda p: (p.path, p.line, p.column),
    )
    checked = len(chosen) if chosen is not None else len(repository.parsed)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    tally = f"{checked} file{'s' * (checked != 1)} checked: {errors} error{'s' * (errors != 1)}, " + (
        f"{warnings} warning{'s' * (warnings != 1)}"
    )
    if output == "json":
        click.echo(as_json(problems))
    elif output == "github":
        for problem in problems:
            click.echo(problem.annotation())
        click.echo(tally)
    else:
        for problem in problems:
            click.echo(problem.text())
        click.echo(tally)
    actions.summary(context.env, job_summary(problems, tally))
    return FAILED if has_errors(problems) else OK


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def job_summary(problems: Sequence[Problem], tally: str) -> str:
    if not problems:
        return f"### Interview files\n\n✅ {tally}"
    rows = "\n".join(
        f"| `{p.path}:{p.line}` | {p.severity} | {_cell(p.message)} | {_cell(p.fix)} |" for p in problems
    )
    return f"### Interview files\n\n{tally}\n\n| where | | what | fix |\n|---|---|---|---|\n{rows}"
