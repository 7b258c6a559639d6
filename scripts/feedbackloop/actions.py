"""The GitHub Actions runtime: workflow commands, the job summary, masks. No-ops off Actions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from feedbackloop.config import Environment


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def mask(env: Environment, secret: str) -> None:
    """Ask the runner to hide `secret` from every later line of the log."""
    if env.in_actions and secret:
        print(f"::add-mask::{escape_data(secret)}", flush=True)


def error(env: Environment, message: str) -> None:
    if env.in_actions:
        print(f"::error::{escape_data(message)}", flush=True)


def summary(env: Environment, markdown: str) -> None:
    """Append to the job summary ($GITHUB_STEP_SUMMARY), when there is one."""
    target = env.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(markdown.rstrip("\n") + "\n\n")


def output(env: Environment, name: str, value: str) -> None:
    """Set a step output ($GITHUB_OUTPUT), for a later job's `if:`; nothing off Actions."""
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")


def stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def event(env: Environment) -> dict[str, Any] | None:
    """The event that started the workflow ($GITHUB_EVENT_PATH), or None: off Actions, or unreadable."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        payload = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def repository_public(env: Environment) -> bool | None:
    """Whether the event file says the repository is public (True) or not (False); None when there is
    no event file, or it does not say (a `schedule` event's does not). Read from the file: no request."""
    repository = (event(env) or {}).get("repository")
    if not isinstance(repository, dict):
        return None
    visibility = repository.get("visibility")
    if visibility in ("public", "private", "internal"):
        return bool(visibility == "public")  # internal: the enterprise's members only
    private = repository.get("private")
    return (not private) if isinstance(private, bool) else None
