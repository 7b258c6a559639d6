"""Jinja2 templates from the repository's `templates/` folder, which a team edits."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from feedbackloop.errors import FeedbackloopError
from feedbackloop.records.writeback import Scalar, render_scalar


def slack_escape(value: object) -> str:
    """Slack's three control characters; after this, `<!channel>` is text, not a ping."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


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
