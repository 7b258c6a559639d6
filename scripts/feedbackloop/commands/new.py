"""`feedbackloop new`: scaffold an interview file from templates/interview.md.j2."""

from __future__ import annotations

import re
import sys
import unicodedata
from datetime import date
from typing import Any

import click

from feedbackloop.context import Context
from feedbackloop.errors import OK, FeedbackloopError, UsageError
from feedbackloop.records.parse import parse
from feedbackloop.records.rules import check_record
from feedbackloop.render import render


def slugify(*words: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", " ".join(words)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].strip("-") or "interview"


def interview_stub(context: Context, values: dict[str, Any]) -> tuple[str, str]:
    """The new file's path (relative to the root) and its text; refuses text that would not parse."""
    call_date: date = values["date"]
    slug = values.get("slug") or slugify(values["topic"], values["first_name"])
    record_id = f"{call_date.isoformat()}-{slugify(slug)}"
    path = f"{context.settings.interviews_dir}/{call_date.year}/{record_id}.md"
    text = render(
        context.root / context.settings.templates_dir,
        "interview.md.j2",
        id=record_id,
        topic=values["topic"],
        date=call_date.isoformat(),
        time=values.get("time"),
        status=values.get("status") or ("scheduled" if call_date > context.today else "completed"),
        interviewers=list(values.get("interviewers") or ()),
        first_name=values["first_name"],
        profile=values.get("profile"),
        recruited_via=values.get("recruited_via"),
        consent_planned=values.get("consent_planned", False),
    )
    problems = parse(text, path).problems
    if problems:  # a value given (a flag, a form's answer) that a record cannot hold
        raise UsageError(
            "the new interview would not be valid: " + "; ".join(p.message for p in problems),
            "correct the values given (or the template)",
        )
    return path, text


_PROMPTS = {
    "topic": "Topic of the call (e.g. Web analytics)",
    "first_name": "The user's first name",
    "profile": "Link to their person profile (blank to add later)",
    "call_date": "Day of the call (YYYY-MM-DD)",
    "interviewers": "Interviewers' GitHub logins, separated by spaces",
}


def _ask(options: dict[str, Any], today: date) -> None:
    """Prompt on a terminal for what the flags did not give; elsewhere, say which flags are missing."""
    required = ("topic", "first_name", "interviewers")
    missing = [name for name in required if not options.get(name)]
    if not sys.stdin.isatty():
        if missing:
            flags = ", ".join("--" + name.replace("_", "-").removesuffix("s") for name in missing)
            raise UsageError(
                f"missing {flags}", "give them as flags, or run `feedbackloop new` in a terminal"
            )
        return
    for name in ("topic", "first_name"):
        if not options.get(name):
            options[name] = click.prompt(_PROMPTS[name]).strip()
    if options.get("call_date") is None:
        answer = str(click.prompt(_PROMPTS["call_date"], default=today.isoformat()))
        try:
            options["call_date"] = date.fromisoformat(answer.strip())
        except ValueError:
            raise UsageError(f"{answer!r} is not a date", "write it like 2026-11-20") from None
    if not options.get("interviewers"):
        options["interviewers"] = tuple(click.prompt(_PROMPTS["interviewers"]).replace(",", " ").split())
    if options.get("profile") is None:
        options["profile"] = click.prompt(_PROMPTS["profile"], default="", show_default=False).strip() or None


# The rules a value given to `new` can break (a stub has no summary or notes yet: those wait).
_VALUE_RULES = ("first-name-only", "line-break", "email-address", "duplicate")


def _refuse_what_validate_would(context: Context, path: str, text: str) -> None:
    """A file `validate` rejects for a value given here is refused before it is written, with the same
    message."""
    parsed = parse(text, path)
    if parsed.record is None or parsed.positions is None:
        return  # interview_stub said what is wrong already
    found = [
        p
        for p in check_record(parsed.record, parsed.positions, text, context.settings, context.today)
        if p.code in _VALUE_RULES
    ]
    if found:
        raise UsageError(
            "the new interview would not be valid: " + "; ".join(p.message for p in found),
            "; ".join(dict.fromkeys(p.fix for p in found)),
        )


def run(context: Context, **options: Any) -> int:
    _ask(options, context.today)
    options["date"] = options.pop("call_date", None) or context.today
    options["time"] = options.pop("call_time", None)
    path, text = interview_stub(context, options)
    settings = context.settings
    _refuse_what_validate_would(context, path, text)
    strangers = [
        login
        for login in options.get("interviewers") or ()
        if settings.roster and not settings.teammate(login)
    ]
    if strangers:
        raise UsageError(
            f"not on the team roster: {', '.join(strangers)}",
            "use GitHub logins from `roster` in pyproject.toml, or add them there",
        )
    target = context.root / path
    if target.exists():
        raise FeedbackloopError(
            f"{path} already exists; not overwriting it",
            "edit that file, or pass --slug to name this interview differently",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    click.echo(f"created {path}")
    click.echo("next: write the notes, the summary, requests and questions; then open a pull request")
    return OK
