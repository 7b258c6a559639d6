"""What every service adapter shares: retries that honour Retry-After, an explicit API budget, and the
difference between a call that surely failed and a write that may have happened.

Adapters turn their library's exceptions into a `Failure` (`classify`); `call` does the rest. A write
that may have happened (the connection dropped after the request was sent, or a 5xx answered it) is
never blindly repeated: it raises `Ambiguous`, and the caller looks for the effect by its key before
trying again. That is what keeps every effect exactly once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from feedbackloop.errors import FeedbackloopError

T = TypeVar("T")

TIMEOUT = 30.0  # seconds, for every request to every service


@dataclass
class Policy:
    """How hard to try. Tests inject `sleep` and `clock`, so no test waits for real.

    `observe`, when set, is called around every request: `(service, what, "send")` just before it is
    sent and `(service, what, "answered")` once its answer, or its failure, is in. It is time injection
    of another kind: a test makes it raise a BaseException (which no `except Exception` here catches)
    to stop the run at that request as a SIGKILL would, before the service saw the request or after it
    acted on it (tests/test_faults.py)."""

    attempts: int = 5
    base_wait: float = 1.0
    max_wait: float = 90.0  # a longer wait ends the run instead: the next scheduled run continues
    timeout: float = TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    waited: list[float] = field(default_factory=list)
    observe: Callable[[str, str, str], None] | None = None

    def pause(self, attempt: int, retry_after: float | None) -> None:
        wait = retry_after if retry_after is not None else self.base_wait * 2**attempt
        wait = max(0.0, wait)
        self.waited.append(wait)
        self.sleep(wait)


@dataclass
class Budget:
    """An explicit API budget (actions/stale's operations-per-run): every request is counted; a command
    checks `spent` between records, never half-way through one, and names the setting to raise."""

    limit: int
    used: Counter[str] = field(default_factory=Counter)
    rate_left: dict[str, int] = field(default_factory=dict)  # the services' own remaining quota

    def spend(self, service: str) -> None:
        self.used[service] += 1

    @property
    def total(self) -> int:
        return sum(self.used.values())

    @property
    def spent(self) -> bool:
        return self.total >= self.limit

    def line(self) -> str:
        counts = ", ".join(f"{name} {count}" for name, count in sorted(self.used.items())) or "none"
        left = "".join(f"; {name} rate limit left: {n}" for name, n in sorted(self.rate_left.items()))
        return f"API requests: {counts} (budget {self.total}/{self.limit}){left}"


class ServiceError(FeedbackloopError):
    """A service refused or kept failing. The run goes on with the other services."""

    def __init__(self, service: str, message: str, fix: str = "", status: int | None = None) -> None:
        super().__init__(f"{service}: {message}", fix)
        self.service = service
        self.status = status


class Ambiguous(ServiceError):
    """A write may or may not have happened: look for its effect before trying again."""


@dataclass(frozen=True)
class Failure:
    """What went wrong with one request, in the terms retrying needs."""

    status: int | None  # None: no answer (dropped connection, timeout)
    message: str
    retry_after: float | None = None
    transient: bool = True  # worth another try (429, 5xx, no answer, a rate limit)
    fix: str = ""
    uncertain: bool = False  # the answer itself says the request may have been carried out

    @property
    def maybe_applied(self) -> bool:
        """Could the service have acted on the request although we saw a failure?"""
        return self.uncertain or self.status is None or self.status >= 500


def retry_after_seconds(headers: Any, now: float) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or an HTTP date), or a spent rate limit's reset."""
    if headers is None:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value:
        try:
            return float(value)
        except ValueError:
            try:
                return parsedate_to_datetime(value).timestamp() - now
            except (TypeError, ValueError):
                return None
    remaining = headers.get("x-ratelimit-remaining")
    reset = headers.get("x-ratelimit-reset")
    if remaining == "0" and reset:
        try:
            return float(reset) - now + 1
        except ValueError:
            return None
    return None


def call(
    fn: Callable[[], T],
    *,
    service: str,
    what: str,
    classify: Callable[[Exception], Failure | None],
    policy: Policy,
    budget: Budget,
    idempotent: bool,
) -> T:
    """Run one request with retries. Raises ServiceError, or Ambiguous for a write that may have landed."""
    observe = policy.observe
    for attempt in range(policy.attempts):
        budget.spend(service)
        if observe is not None:
            observe(service, what, "send")
        try:
            result = fn()
        except Exception as error:  # classified below; what is not a service failure is re-raised
            if observe is not None:
                observe(service, what, "answered")
            failure = classify(error)
            if failure is None:
                raise
        else:
            if observe is not None:
                observe(service, what, "answered")
            return result
        if failure.maybe_applied and not idempotent:
            raise Ambiguous(
                service,
                f"{what}: {failure.message} (it may have gone through)",
                "run again: the next run looks for it before doing it again",
                failure.status,
            )
        last = attempt == policy.attempts - 1
        if not failure.transient or last:
            raise ServiceError(
                service, f"{what}: {failure.message}", failure.fix or _fix(failure), failure.status
            )
        if failure.retry_after is not None and failure.retry_after > policy.max_wait:
            raise ServiceError(
                service,
                f"{what}: rate limited for {failure.retry_after:.0f} s",
                "the next scheduled run continues where this one stopped",
                failure.status,
            )
        policy.pause(attempt, failure.retry_after)
    raise AssertionError("unreachable")  # pragma: no cover


def _fix(failure: Failure) -> str:
    if failure.status in (401, 403):
        return "check the token and its scopes"
    if failure.transient:
        return "the service is failing; run again later"
    return "see the message; the request was refused"
