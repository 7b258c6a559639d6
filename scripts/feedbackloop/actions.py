"""The GitHub Actions runtime: workflow commands, the job summary, masks. No-ops off Actions."""

from __future__ import annotations

import sys
from pathlib import Path

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


def stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
