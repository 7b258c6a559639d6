"""Jinja2 templates from the repository's `templates/` folder, which a team edits."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from feedbackloop.config import Settings
from feedbackloop.errors import FeedbackloopError
from feedbackloop.plan.publish import SLACK_TEXT_LIMIT, cut, fit_blocks
from feedbackloop.records.model import Record, Request
from feedbackloop.records.writeback import Scalar, render_scalar


def slack_escape(value: object) -> str:
    """Slack's three control characters; after this, `<!channel>` is text, not a ping."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_MENTION = re.compile(r"@(?=\w)")


def github_inline(value: object) -> str:
    """Text from a file, made safe as a link's text on one line of a GitHub comment: no line break,
    no HTML (a `<!--` would hide the rest), no brackets that end the link, and no @mention GitHub
    would notify (a zero-width space after the @ keeps it readable)."""
    flat = " ".join(str(value).split())
    flat = flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    flat = flat.replace("[", "\\[").replace("]", "\\]").replace("|", "\\|")
    return _MENTION.sub("@\u200b", flat)


def yaml_scalar(value: Scalar | None) -> str:
    return "" if value is None else render_scalar(value)


@cache
def environment(folder: Path) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - markdown, YAML and plain text; Slack text is escaped by `slack`
    )
    env.filters["slack"] = slack_escape
    env.filters["yaml"] = yaml_scalar
    env.filters["tojson"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def render(templates: Path, name: str, **values: Any) -> str:
    """Render `templates/name`; a missing or broken template is the user's to fix, with its line."""
    try:
        return environment(templates.resolve()).get_template(name).render(**values)
    except jinja2.TemplateNotFound:
        raise FeedbackloopError(
            f"the template {templates / name} is missing",
            f"restore it from feedbackloop's repository (templates/{name})",
        ) from None
    except jinja2.TemplateSyntaxError as error:
        raise FeedbackloopError(
            f"{templates / name}:{error.lineno}: template syntax: {error.message}", "fix the template"
        ) from None
    except jinja2.UndefinedError as error:
        raise FeedbackloopError(
            f"{templates / name}: {error.message}",
            "use only the values the template is given (see the comment at its top)",
        ) from None


# -- what publishing sends ---------------------------------------------------------------------------
# Docs drops control and private-use characters from inserted text: drop them first, so the named
# range's length is counted on what the doc will hold.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ue000-\uf8ff]")


def _person_values(record: Record) -> dict[str, Any]:
    return {
        "record": record,
        "user": record.user,
        "interviewers": list(record.owners),
        "owners": list(record.owners),
        "path": record.path,
    }


def issue_body(templates: Path, record: Record, request: Request, interview_url: str, marker: str) -> str:
    """The body of the issue filed for `request`."""
    return _request_text(templates, "github-issue.md.j2", record, request, interview_url, marker)


def evidence_body(templates: Path, record: Record, request: Request, interview_url: str, marker: str) -> str:
    """The comment adding this user as evidence to an issue set by hand."""
    return _request_text(templates, "github-evidence.md.j2", record, request, interview_url, marker)


def _request_text(
    templates: Path, name: str, record: Record, request: Request, interview_url: str, marker: str
) -> str:
    return render(
        templates, name, request=request, interview_url=interview_url, marker=marker, **_person_values(record)
    )


def doc_entry(templates: Path, record: Record, interview_url: str) -> str:
    """The doc entry: plain text ending in one newline, without control characters Docs refuses."""
    text = render(
        templates,
        "gdoc-entry.txt.j2",
        requests=list(record.requests),
        questions=list(getattr(record, "questions", ())),
        notes=re.sub(r"\A\s*#+\s*Notes\s*\n", "", record.notes).strip(),
        interview_url=interview_url,
        **_person_values(record),
    )
    return _CONTROL.sub("", text.replace("\r\n", "\n")).rstrip("\n") + "\n"


def slack_message(
    templates: Path, record: Record, settings: Settings, interview_url: str
) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the blocks of an interview's Slack summary, escaped and within limits.

    Every value from the file is escaped here, before the template sees it, so a team editing the
    template cannot forget it: an interview that says `<!channel>` or `@here` pings nobody."""
    user = record.user
    who = " · ".join(
        part
        for part in (
            user.first_name or "",
            " at ".join(p for p in (user.role or "", user.company or "") if p),
        )
        if part
    )
    mentions = []
    for login in record.owners:
        teammate = settings.teammate(login)
        mentions.append(f"<@{teammate.slack}>" if teammate and teammate.slack else slack_escape(login))
    lines = []
    for request in record.requests:
        kind = ":bug:" if request.type == "bug" else ":bulb:"
        title = slack_escape(request.title)
        link = f"<{slack_escape(request.issue)}|{title}>" if request.issue else f"{title} (issue to be filed)"
        lines.append(f"• {kind} {link}")
    link = slack_escape(interview_url)
    rendered = render(
        templates,
        "slack-summary.json.j2",
        headline=slack_escape(record.headline),
        date=record.date.isoformat(),
        user_line=slack_escape(who or "not recorded"),
        mentions=mentions,
        summary=slack_escape(record.summary or ""),
        requests=lines,
        file_url=link,
        kind=record.kind,
    )
    try:
        blocks = json.loads(rendered)
    except ValueError as error:
        raise FeedbackloopError(
            f"templates/slack-summary.json.j2 does not render valid JSON: {error}",
            "check the template's commas and quotes; write values with `| tojson`",
        ) from None
    if not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks):
        raise FeedbackloopError("templates/slack-summary.json.j2 must render a JSON list of blocks")
    fallback = cut(f"{slack_escape(record.headline)}: {slack_escape(record.summary or '')}", SLACK_TEXT_LIMIT)
    return fallback, fit_blocks(blocks, f"<{link}|full notes>")
