"""A JSON-over-HTTP client with the shared retries and budget, for the services without a client
library of their own (Google Docs and Calendar, Shopify, PostHog)."""

from __future__ import annotations

import functools
import ssl
from typing import Any

import httpx

from feedbackloop.services.retry import Budget, Failure, Policy, call, retry_after_seconds


def _classify_httpx(error: Exception) -> Failure | None:
    if isinstance(error, _StatusError):
        return error.failure
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return Failure(None, f"no answer ({type(error).__name__})")
    return None


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context, made once: every client made its own, loading the CA bundle
    again (some 60 ms each, three times in a publish run with rewards and the calendar)."""
    return httpx.create_ssl_context()


class _StatusError(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class JsonService:
    """httpx with the shared retries and budget, for Google, Shopify and PostHog."""

    name = "service"

    def __init__(self, base_url: str, headers: dict[str, str], policy: Policy, budget: Budget) -> None:
        self.policy = policy
        self.budget = budget
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=policy.timeout, verify=_tls())

    def close(self) -> None:
        self.client.close()

    def describe_error(self, response: httpx.Response) -> str:
        """The service's own words for a refusal, without echoing what we sent."""
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        if isinstance(body, dict):
            error = body.get("error")
            if isinstance(error, dict) and error.get("message"):
                return f"HTTP {response.status_code}: {error['message']}"
            for key in ("detail", "message", "errors"):
                if body.get(key):
                    return f"HTTP {response.status_code}: {body[key]}"
        return f"HTTP {response.status_code}"

    def transient(self, response: httpx.Response) -> bool:
        """Is this refusal worth another try? 429 and 5xx; a service adds its own (Calendar's 403s)."""
        return response.status_code == 429 or response.status_code >= 500

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        json: Any = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response:
        """One request with retries; 2xx and the statuses in `accept` are returned, the rest raise."""

        def send() -> httpx.Response:
            response = self.client.request(method, path, json=json, params=params)
            if response.is_success or response.status_code in accept:
                return response
            status = response.status_code
            transient = self.transient(response)
            wait = retry_after_seconds(response.headers, self.policy.clock()) if transient else None
            raise _StatusError(Failure(status, self.describe_error(response), wait, transient))

        return call(
            send,
            service=self.name,
            what=what,
            classify=_classify_httpx,
            policy=self.policy,
            budget=self.budget,
            idempotent=method in ("GET", "PUT", "DELETE", "HEAD") if idempotent is None else idempotent,
        )
