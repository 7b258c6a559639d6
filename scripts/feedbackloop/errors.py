"""The one exception for what a person must fix, and the exit codes that mean something."""

from __future__ import annotations

OK = 0
FAILED = 1  # something failed, or a check found problems
USAGE = 2  # bad usage: a flag, a setting, a path


class FeedbackloopError(Exception):
    """Something the user must fix. Printed as its message and fix, never as a traceback."""

    exit_code = FAILED

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\n  fix: {self.fix}" if self.fix else self.message


class UsageError(FeedbackloopError):
    """A bad flag, argument or setting."""

    exit_code = USAGE
