"""Google credentials: a ready access token, or google-auth's credentials from a key file.

`GOOGLE_OAUTH_ACCESS_TOKEN` is used as it is. Otherwise `GOOGLE_APPLICATION_CREDENTIALS` names a
service-account key (its own `token_uri` is honoured) or an `external_account` file from workload
identity federation; google-auth exchanges it for a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from feedbackloop.config import Environment
from feedbackloop.errors import FeedbackloopError
from feedbackloop.services.retry import Budget, Failure, Policy, call

DOCS_SCOPE = "https://www.googleapis.com/auth/documents"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar.events"

MISSING = "GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN"


def configured(env: Environment) -> bool:
    return bool(env.get("GOOGLE_OAUTH_ACCESS_TOKEN") or env.get("GOOGLE_APPLICATION_CREDENTIALS"))


def access_token(
    env: Environment, scopes: Sequence[str], policy: Policy, budget: Budget, subject: str = ""
) -> str:
    """A bearer token for Google's APIs, from the environment only.

    `subject`: the user a service account acts as, through domain-wide delegation (Calendar needs it
    to invite attendees); the Workspace admin must have granted the key's client id the scopes."""
    ready = env.get("GOOGLE_OAUTH_ACCESS_TOKEN")
    if ready:
        return ready
    path = env.get("GOOGLE_APPLICATION_CREDENTIALS")
    if not path:
        raise FeedbackloopError(f"no Google credentials: set {MISSING}")
    import json

    import google.auth.exceptions
    import google.auth.transport.requests
    from google.auth import identity_pool
    from google.oauth2 import service_account

    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
        kind = info.get("type") if isinstance(info, dict) else None
        credentials: Any
        if kind == "service_account":
            credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
                info, scopes=list(scopes)
            )
            if subject:
                credentials = credentials.with_subject(subject)
        elif kind == "external_account":
            if subject:
                raise ValueError("acting as a user (domain-wide delegation) needs a service-account key")
            # Not google.auth.load_credentials_from_file: with scopes it also asks Cloud Resource Manager
            # for the project, a request (and a permission) nothing here needs.
            credentials = identity_pool.Credentials.from_info(info, scopes=list(scopes))  # type: ignore[no-untyped-call]
        else:
            raise ValueError(f"its type is {kind!r}, not service_account or external_account")
    except (OSError, ValueError, KeyError, google.auth.exceptions.GoogleAuthError) as error:
        raise FeedbackloopError(
            f"GOOGLE_APPLICATION_CREDENTIALS does not name a usable key file: {error}",
            "point it at a service-account key or an external_account (workload identity) file",
        ) from None

    def classify(error: Exception) -> Failure | None:
        if isinstance(error, google.auth.exceptions.TransportError):
            return Failure(None, "the token endpoint did not answer")
        if isinstance(error, google.auth.exceptions.RefreshError):
            retryable = bool(getattr(error, "retryable", False))
            return Failure(
                503 if retryable else 400,
                f"could not get an access token: {error.args[0] if error.args else error}",
                transient=retryable,
                fix="check the key (is it revoked?) and that the account may use the Docs and Calendar APIs",
            )
        return None

    request = google.auth.transport.requests.Request()
    call(
        lambda: credentials.refresh(request),
        service="google-auth",
        what="get a Google access token",
        classify=classify,
        policy=policy,
        budget=budget,
        idempotent=True,
    )
    return str(credentials.token)
