"""Stateful fakes of Google's token endpoints, the Docs API and the Calendar API, served on 127.0.0.1.

Three services, each a `FakeService` (see server.py):

- `FakeGoogleAuth`: the OAuth 2.0 token endpoint of a service-account key (`POST /token`, RFC 7523 JWT
  bearer grant, the assertion's RS256 signature checked against the key pair the fake generated), the STS
  endpoint of workload identity federation (`POST /v1/token`, RFC 8693 token exchange of a GitHub-like OIDC
  token) and IAM `generateAccessToken` (service-account impersonation after STS). It hands out the JSON files
  google-auth reads (`service_account_info()`, `external_account_info(path)`) and keeps the access tokens it
  issued in `valid_tokens`, with their scopes, principal and expiry in `grants`.
- `FakeGoogleDocs(auth)`: `documents.get` and `documents.batchUpdate` on a body of plain paragraphs,
  indexes in UTF-16 code units, named ranges that move with the text, atomic batches, request shapes
  checked against the discovery document slice in specs/google-docs-requests.json.
- `FakeGoogleCalendar(auth)`: `events.insert/get/patch/update/delete/list` with client-chosen ids, etags,
  sequence numbers, cancelled-not-gone deletes and the service-account attendee rule.

Both API fakes accept only bearer tokens of their `FakeGoogleAuth` that are unexpired and carry a scope the
method accepts, and answer in the error shapes of the real services. Time comes from `auth.clock` (a callable
returning epoch seconds) so a test moves time instead of sleeping.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import FakeService, Fault, HTTPError, Request, Response, route

# -- scopes --------------------------------------------------------------------------------------------------
DOCS_SCOPE = "https://www.googleapis.com/auth/documents"
DOCS_READONLY_SCOPE = "https://www.googleapis.com/auth/documents.readonly"
DRIVE_SCOPE = "https://www.googleapis.com/auth/drive"
DRIVE_FILE_SCOPE = "https://www.googleapis.com/auth/drive.file"
DRIVE_READONLY_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
CALENDAR_EVENTS_SCOPE = "https://www.googleapis.com/auth/calendar.events"
CALENDAR_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.readonly"
CALENDAR_EVENTS_READONLY_SCOPE = "https://www.googleapis.com/auth/calendar.events.readonly"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
IAM_SCOPE = "https://www.googleapis.com/auth/iam"

KNOWN_SCOPES = frozenset(
    {
        DOCS_SCOPE,
        DOCS_READONLY_SCOPE,
        DRIVE_SCOPE,
        DRIVE_FILE_SCOPE,
        DRIVE_READONLY_SCOPE,
        CALENDAR_SCOPE,
        CALENDAR_EVENTS_SCOPE,
        CALENDAR_READONLY_SCOPE,
        CALENDAR_EVENTS_READONLY_SCOPE,
        CLOUD_PLATFORM_SCOPE,
        IAM_SCOPE,
        "https://www.googleapis.com/auth/userinfo.email",
        "openid",
    }
)
# What the discovery documents list per method. drive.file is left out on purpose: it covers only files the
# app created or was handed by a picker, never a shared doc the team made by hand.
DOCS_WRITE_SCOPES = frozenset({DOCS_SCOPE, DRIVE_SCOPE})
DOCS_READ_SCOPES = DOCS_WRITE_SCOPES | {DOCS_READONLY_SCOPE, DRIVE_READONLY_SCOPE}
CALENDAR_WRITE_SCOPES = frozenset({CALENDAR_SCOPE, CALENDAR_EVENTS_SCOPE})
CALENDAR_READ_SCOPES = CALENDAR_WRITE_SCOPES | {CALENDAR_READONLY_SCOPE, CALENDAR_EVENTS_READONLY_SCOPE}

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"

# google-auth signs every service-account assertion for this audience, whatever token_uri the key names
# (google/oauth2/service_account.py, _GOOGLE_OAUTH2_TOKEN_ENDPOINT); Google also still takes its older names.
GOOGLE_TOKEN_AUDIENCES = frozenset(
    {
        "https://oauth2.googleapis.com/token",
        "https://www.googleapis.com/oauth2/v4/token",
        "https://accounts.google.com/o/oauth2/token",
    }
)
DEFAULT_WIF_AUDIENCE = (
    "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/github"
    "/providers/github"
)
GITHUB_OIDC_ISSUER = "https://token.actions.githubusercontent.com"
_CLOCK_SKEW = 300
_MAX_ASSERTION_LIFETIME = 3600

_SPECS = Path(__file__).parent / "specs"


def _now_rfc3339(epoch: float, *, millis: bool = True) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- JWT -----------------------------------------------------------------------------------------------------
@cache
def _rsa_key(slot: str) -> rsa.RSAPrivateKey:
    """One RSA key per slot per test session: generating 2048-bit keys for every test would cost seconds."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _key_id(key: rsa.RSAPrivateKey) -> str:
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha1(der, usedforsecurity=False).hexdigest()


def sign_jwt(key: rsa.RSAPrivateKey, claims: Mapping[str, Any], *, kid: str | None = None) -> str:
    """An RS256 JWT, the way google-auth and GitHub's OIDC provider make them."""
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(dict(claims)).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


class _TokenProblem(Exception):
    """An OAuth error answer: 400 {"error": code, "error_description": description}."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def http(self) -> HTTPError:
        return HTTPError(self.status, {"error": self.error, "error_description": self.description})


def _decode_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 3:
        raise _TokenProblem("invalid_grant", "Invalid JWT: the assertion is not a signed JWT.")
    try:
        header = json.loads(_b64url_decode(parts[0]))
        claims = json.loads(_b64url_decode(parts[1]))
        signature = _b64url_decode(parts[2])
    except (ValueError, binascii.Error) as error:
        raise _TokenProblem("invalid_grant", "Invalid JWT: the assertion cannot be decoded.") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise _TokenProblem("invalid_grant", "Invalid JWT: the assertion cannot be decoded.")
    return header, claims, f"{parts[0]}.{parts[1]}".encode(), signature


def _verify_signature(
    header: Mapping[str, Any], signing_input: bytes, signature: bytes, key: rsa.RSAPrivateKey, message: str
) -> None:
    if header.get("alg") != "RS256":
        raise _TokenProblem("invalid_grant", f"Invalid JWT: unsupported algorithm {header.get('alg')!r}.")
    kid = header.get("kid")
    if kid is not None and kid != _key_id(key):
        raise _TokenProblem("invalid_grant", message)
    try:
        key.public_key().verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as error:
        raise _TokenProblem("invalid_grant", message) from error


def _int_claim(claims: Mapping[str, Any], name: str) -> int:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _TokenProblem("invalid_grant", f"Invalid JWT: the {name} claim is missing or not a number.")
    return int(value)


# -- access tokens -------------------------------------------------------------------------------------------
@dataclass
class Grant:
    """What an access token stands for."""

    token: str
    scopes: frozenset[str]
    principal: str  # an e-mail (service account or user) or a principal:// URI (federated)
    kind: str  # "service_account" | "user" | "federated"
    expires_at: float


class _NoDelay(FakeService):
    """Answers without Nagle's algorithm: the base handler writes headers and body apart, and with delayed
    ACKs on the client every exchange then waits 40 ms. server.py is left as it is."""

    def start(self) -> FakeService:
        super().start()
        assert self._server is not None
        self._server.RequestHandlerClass.disable_nagle_algorithm = True  # type: ignore[attr-defined]
        return self


class FakeGoogleAuth(_NoDelay):
    """Google's OAuth token endpoint, STS and IAM generateAccessToken, for google-auth to talk to."""

    name = "google-auth"

    def __init__(
        self,
        *,
        client_email: str = "feedbackloop@feedbackloop-ci.iam.gserviceaccount.com",
        project_id: str = "feedbackloop-ci",
        audience: str = DEFAULT_WIF_AUDIENCE,
        oidc_issuer: str = GITHUB_OIDC_ISSUER,
        token_lifetime: int = 3599,
        domain_wide_delegation: bool = False,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.client_email = client_email
        self.project_id = project_id
        self.audience = audience
        self.oidc_issuer = oidc_issuer
        self.token_lifetime = token_lifetime
        self.domain_wide_delegation = domain_wide_delegation
        self.clock: Callable[[], float] = clock or time.time
        self.private_key = _rsa_key("service-account")
        self.private_key_id = _key_id(self.private_key)
        self.oidc_key = _rsa_key("github-oidc")
        self.valid_tokens: set[str] = set()
        self.grants: dict[str, Grant] = {}
        # The verified claims of every assertion and subject token that was accepted, for tests to inspect.
        self.assertions: list[dict[str, Any]] = []
        self.subject_tokens: list[dict[str, Any]] = []
        self._grant_lock = threading.Lock()

    # -- what google-auth reads ----------------------------------------------------------------------------
    @property
    def token_uri(self) -> str:
        return f"{self.url}token"

    @property
    def sts_url(self) -> str:
        return f"{self.url}v1/token"

    @property
    def impersonation_url(self) -> str:
        return f"{self.url}v1/projects/-/serviceAccounts/{self.client_email}:generateAccessToken"

    @property
    def oidc_audience(self) -> str:
        """The `aud` GitHub puts in its OIDC token for google-github-actions/auth: the provider as a URL."""
        return "https://iam.googleapis.com/" + self.audience.removeprefix("//iam.googleapis.com/")

    def service_account_info(self) -> dict[str, Any]:
        """A complete service-account key file, as the Cloud console downloads it; token_uri is the fake."""
        pem = self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        email = self.client_email
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": self.private_key_id,
            "private_key": pem,
            "client_email": email,
            "client_id": "104857600000000000001",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
            + email.replace("@", "%40"),
            "universe_domain": "googleapis.com",
        }

    def mint_subject_token(self, **claims: Any) -> str:
        """A GitHub Actions OIDC token signed by the fake's issuer key; `claims` override the defaults."""
        now = int(self.clock())
        payload: dict[str, Any] = {
            "iss": self.oidc_issuer,
            "aud": self.oidc_audience,
            "sub": "repo:acme/interviews:ref:refs/heads/main",
            "repository": "acme/interviews",
            "ref": "refs/heads/main",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        payload.update(claims)
        return sign_jwt(self.oidc_key, payload, kid=_key_id(self.oidc_key))

    def external_account_info(
        self, subject_token_file: str | Path, *, impersonate: bool = False, json_format: bool = False
    ) -> dict[str, Any]:
        """A complete `external_account` (workload identity federation) file; writes a fresh subject token
        to `subject_token_file`, as text or as {"value": token} with `json_format`."""
        path = Path(subject_token_file)
        token = self.mint_subject_token()
        credential_source: dict[str, Any] = {"file": str(path)}
        if json_format:
            path.write_text(json.dumps({"value": token}))
            credential_source["format"] = {"type": "json", "subject_token_field_name": "value"}
        else:
            path.write_text(token)
            credential_source["format"] = {"type": "text"}
        info: dict[str, Any] = {
            "universe_domain": "googleapis.com",
            "type": "external_account",
            "audience": self.audience,
            "subject_token_type": JWT_TOKEN_TYPE,
            "token_url": self.sts_url,
            "credential_source": credential_source,
        }
        if impersonate:
            info["service_account_impersonation_url"] = self.impersonation_url
        return info

    # -- tokens --------------------------------------------------------------------------------------------
    def issue_token(
        self,
        scopes: Iterable[str] | None = None,
        *,
        principal: str = "ci-bot@example.com",
        kind: str = "user",
        lifetime: int | None = None,
    ) -> str:
        """An access token handed out directly (what GOOGLE_OAUTH_ACCESS_TOKEN would hold)."""
        chosen = (
            frozenset(scopes) if scopes is not None else frozenset(DOCS_WRITE_SCOPES | CALENDAR_WRITE_SCOPES)
        )
        return self._grant(chosen, principal, kind, lifetime).token

    def _grant(self, scopes: frozenset[str], principal: str, kind: str, lifetime: int | None = None) -> Grant:
        token = "ya29.fake-" + secrets.token_urlsafe(24)
        grant = Grant(token, scopes, principal, kind, self.clock() + (lifetime or self.token_lifetime))
        with self._grant_lock:
            self.grants[token] = grant
            self.valid_tokens.add(token)
        return grant

    def grant_for(self, token: str) -> Grant | None:
        """The grant of a token the APIs should accept now, or None. A token a test put in `valid_tokens`
        by hand stands for a user with every scope."""
        with self._grant_lock:
            if token not in self.valid_tokens:
                return None
            grant = self.grants.get(token)
        if grant is None:
            return Grant(token, KNOWN_SCOPES, "tester@example.com", "user", float("inf"))
        if grant.expires_at <= self.clock():
            return None
        return grant

    def expire(self, token: str) -> None:
        """Make `token` expired from now on (Google still knows it, but refuses it)."""
        with self._grant_lock:
            grant = self.grants.get(token)
            if grant is not None:
                grant.expires_at = self.clock() - 1

    def revoke(self, token: str) -> None:
        with self._grant_lock:
            self.valid_tokens.discard(token)

    # -- routes --------------------------------------------------------------------------------------------
    def not_found(self, request: Request) -> Response:
        return Response(404, {"error": "not_found", "error_description": f"No route {request.line}"})

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise _TokenProblem(
                "invalid_request", "The request body must be application/x-www-form-urlencoded."
            )
        return request.form()

    @route("POST", "/token")
    def token(self, request: Request) -> Any:
        try:
            return self._token(request)
        except _TokenProblem as problem:
            raise problem.http() from None

    def _token(self, request: Request) -> dict[str, Any]:
        form = self._form(request)
        grant_type = form.get("grant_type", "")
        if grant_type != JWT_BEARER_GRANT:
            raise _TokenProblem("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not assertion:
            raise _TokenProblem("invalid_request", "Missing required parameter: assertion")
        header, claims, signing_input, signature = _decode_jwt(assertion)
        if claims.get("iss") != self.client_email:
            raise _TokenProblem("invalid_grant", "Invalid grant: account not found")
        _verify_signature(header, signing_input, signature, self.private_key, "Invalid JWT Signature.")
        audience = claims.get("aud")
        if audience not in GOOGLE_TOKEN_AUDIENCES and audience != self.token_uri:
            raise _TokenProblem("invalid_grant", "Invalid JWT: Failed audience check.")
        issued, expires, now = _int_claim(claims, "iat"), _int_claim(claims, "exp"), self.clock()
        if expires <= now or issued > now + _CLOCK_SKEW or expires - issued > _MAX_ASSERTION_LIFETIME:
            raise _TokenProblem(
                "invalid_grant",
                "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
                "Check your iat and exp values in the JWT claim.",
            )
        scope = claims.get("scope")
        scopes = frozenset(scope.split()) if isinstance(scope, str) else frozenset()
        if not scopes or not scopes <= KNOWN_SCOPES:
            raise _TokenProblem("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        principal, kind = self.client_email, "service_account"
        subject = claims.get("sub")
        if subject and subject != self.client_email:
            if not self.domain_wide_delegation:
                raise _TokenProblem(
                    "unauthorized_client",
                    "Client is unauthorized to retrieve access tokens using this method, or client not "
                    "authorized for any of the scopes requested.",
                    status=401,
                )
            principal, kind = str(subject), "user"
        self.assertions.append(claims)
        grant = self._grant(scopes, principal, kind)
        return {"access_token": grant.token, "expires_in": self.token_lifetime, "token_type": "Bearer"}

    @route("POST", "/v1/token")
    def sts_token(self, request: Request) -> Any:
        try:
            return self._sts_token(request)
        except _TokenProblem as problem:
            raise problem.http() from None

    def _sts_token(self, request: Request) -> dict[str, Any]:
        form = self._form(request)
        grant_type = form.get("grant_type", "")
        if grant_type != TOKEN_EXCHANGE_GRANT:
            raise _TokenProblem("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        if form.get("requested_token_type") != ACCESS_TOKEN_TYPE:
            raise _TokenProblem("invalid_request", "Invalid value for requested_token_type.")
        if form.get("subject_token_type") not in (JWT_TOKEN_TYPE, ID_TOKEN_TYPE):
            raise _TokenProblem("invalid_request", "Invalid value for subject_token_type.")
        if form.get("audience") != self.audience:
            raise _TokenProblem(
                "invalid_target",
                'The target service indicated by the "audience" parameters is invalid. This might either be '
                "because the pool or provider is disabled or deleted or because it doesn't exist.",
            )
        subject_token = form.get("subject_token", "")
        header, claims, signing_input, signature = _decode_jwt(subject_token)
        _verify_signature(header, signing_input, signature, self.oidc_key, "Invalid ID Token: bad signature.")
        if claims.get("iss") != self.oidc_issuer:
            raise _TokenProblem("invalid_grant", "The issuer in ID Token does not match the expected ones.")
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if self.oidc_audience not in audiences:
            raise _TokenProblem(
                "invalid_grant", "The audience in ID Token does not match the expected audience."
            )
        if _int_claim(claims, "exp") <= self.clock():
            raise _TokenProblem("invalid_grant", "ID Token issued at ... has expired.")
        scopes = frozenset(form.get("scope", "").split())
        if not scopes <= KNOWN_SCOPES:
            raise _TokenProblem("invalid_scope", "Invalid OAuth scope.")
        self.subject_tokens.append(claims)
        pool = self.audience.removeprefix("//iam.googleapis.com/").split("/providers/")[0]
        principal = f"principal://iam.googleapis.com/{pool}/subject/{claims.get('sub')}"
        grant = self._grant(scopes, principal, "federated")
        return {
            "access_token": grant.token,
            "issued_token_type": ACCESS_TOKEN_TYPE,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime,
        }

    @route("POST", "/v1/projects/{project}/serviceAccounts/{account}:generateAccessToken")
    def generate_access_token(self, request: Request, project: str, account: str) -> Any:
        header = request.headers.get("authorization", "")
        caller = self.grant_for(header[7:]) if header.lower().startswith("bearer ") else None
        if caller is None:
            raise _google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        if unquote(account) != self.client_email or project != "-":
            raise _google_error(
                403,
                "PERMISSION_DENIED",
                "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
            )
        body = _json_object(request, _google_error)
        scopes = body.get("scope")
        if not isinstance(scopes, list) or not scopes or not set(scopes) <= KNOWN_SCOPES:
            raise _google_error(400, "INVALID_ARGUMENT", "Scope required.")
        lifetime = self.token_lifetime
        if "lifetime" in body:
            match = re.fullmatch(r"(\d+)(\.\d+)?s", str(body["lifetime"]))
            if match is None or not 0 < int(match.group(1)) <= 3600:
                raise _google_error(400, "INVALID_ARGUMENT", "The lifetime must be between 1s and 3600s.")
            lifetime = int(match.group(1))
        grant = self._grant(frozenset(scopes), self.client_email, "service_account", lifetime)
        return {"accessToken": grant.token, "expireTime": _now_rfc3339(grant.expires_at, millis=False)}


# -- shared by the API fakes ---------------------------------------------------------------------------------
def _google_error(
    code: int,
    status: str,
    message: str,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPError:
    """The error body of Google's newer APIs (Docs, IAM): {"error": {"code", "message", "status"}}."""
    error: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        error["details"] = details
    return HTTPError(code, {"error": error}, headers)


def _calendar_error(
    code: int,
    reason: str,
    message: str,
    *,
    domain: str = "global",
    location: str | None = None,
    location_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTTPError:
    """The error body of the Calendar API: {"error": {"errors": [{domain, reason, message}], "code", ...}}."""
    item: dict[str, Any] = {"domain": domain, "reason": reason, "message": message}
    if location is not None:
        item["locationType"] = location_type or "parameter"
        item["location"] = location
    return HTTPError(code, {"error": {"errors": [item], "code": code, "message": message}}, headers)


def _json_object(request: Request, error: Callable[..., HTTPError]) -> dict[str, Any]:
    try:
        body = request.json()
    except (ValueError, UnicodeDecodeError):
        body = None
        failed = True
    else:
        failed = False
    if failed or not isinstance(body, dict):
        if error is _calendar_error:
            raise _calendar_error(400, "parseError", "Parse Error")
        raise error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.")
    return body


def docs_quota_exceeded(retry_after: int | None = None) -> Fault:
    """The 429 Docs answers when the per-minute write quota is spent."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    message = (
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' "
        "of service 'docs.googleapis.com' for consumer 'project_number:123456789012'."
    )
    body = {"error": {"code": 429, "message": message, "status": "RESOURCE_EXHAUSTED"}}
    return Fault.status(429, headers=headers, body=body)


def docs_unavailable(code: int = 503) -> Fault:
    status = {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}.get(
        code, "UNKNOWN"
    )
    body = {"error": {"code": code, "message": "The service is currently unavailable.", "status": status}}
    return Fault.status(code, body=body)


def calendar_rate_limited(code: int = 403, retry_after: int | None = None) -> Fault:
    """Calendar's rate limit: a 403 (or 429) whose reason says so. A 403 here is worth retrying."""
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    item = {"domain": "usageLimits", "reason": "rateLimitExceeded", "message": "Rate Limit Exceeded"}
    body = {"error": {"errors": [item], "code": code, "message": "Rate Limit Exceeded"}}
    return Fault.status(code, headers=headers, body=body)


def calendar_backend_error(code: int = 503) -> Fault:
    item = {"domain": "global", "reason": "backendError", "message": "Backend Error"}
    return Fault.status(code, body={"error": {"errors": [item], "code": code, "message": "Backend Error"}})


class _GoogleAPI(_NoDelay):
    """Bearer-token checks and query-parameter checks shared by the Docs and Calendar fakes."""

    standard_params: frozenset[str] = frozenset()

    def __init__(self, auth: FakeGoogleAuth) -> None:
        super().__init__()
        self.auth = auth

    def auth_error(self, code: int, problem: str) -> HTTPError:
        raise NotImplementedError

    def param_error(self, name: str, message: str) -> HTTPError:
        raise NotImplementedError

    def authorize(self, request: Request, scopes: frozenset[str]) -> Grant:
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else request.arg("access_token")
        if not token:
            raise self.auth_error(401, "missing")
        grant = self.auth.grant_for(token)
        if grant is None:
            raise self.auth_error(401, "invalid")
        if not grant.scopes & scopes:
            raise self.auth_error(403, "scope")
        return grant

    def check_params(self, request: Request, allowed: Iterable[str]) -> None:
        known = self.standard_params | set(allowed)
        for name in request.query:
            if name not in known:
                raise self.param_error(name, f'Unknown query parameter "{name}".')

    @property
    def now(self) -> float:
        return self.auth.clock()


# -- Docs: request validation against the discovery document -------------------------------------------------
@cache
def _docs_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads((_SPECS / "google-docs-requests.json").read_text())
    return spec


class _Invalid(Exception):
    """A request of the batch the real Docs API would refuse; the message follows Google's wording."""


def _check_shape(value: Any, schema: Mapping[str, Any], path: str) -> Any:
    """Refuse what Google's JSON-to-proto binding refuses (unknown names, wrong types, unknown enum values);
    return the value as the binding reads it (an int32 may come as a JSON string of digits)."""
    schemas: Mapping[str, Any] = _docs_spec()["schemas"]
    if "$ref" in schema:
        if schema["$ref"] not in schemas:
            return value  # a request kind the fake does not model: refused by name later, more clearly
        schema = schemas[schema["$ref"]]
    kind = schema.get("type")
    where = f" at '{path}'" if path else ""
    if value is None:
        return value  # JSON null is "not set" for the proto binding
    if kind == "object":
        if not isinstance(value, dict):
            raise _Invalid(f"Invalid JSON payload received. Expected an object{where}.")
        properties: Mapping[str, Any] = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        read: dict[str, Any] = {}
        for key, item in value.items():
            inner = f"{path}.{key}" if path else key
            if key in properties:
                read[key] = _check_shape(item, properties[key], inner)
            elif extra is not None:
                read[key] = _check_shape(item, extra, inner)
            else:
                raise _Invalid(
                    f'Invalid JSON payload received. Unknown name "{key}"{where}: Cannot find field.'
                )
        return read
    if kind == "array":
        if not isinstance(value, list):
            raise _Invalid(f"Invalid value{where}, expected a list.")
        return [_check_shape(item, schema.get("items", {}), f"{path}[{n}]") for n, item in enumerate(value)]
    if kind == "string":
        if not isinstance(value, str):
            raise _Invalid(f"Invalid value at '{path}' (TYPE_STRING), {json.dumps(value)}")
        if "enum" in schema and value not in schema["enum"]:
            raise _Invalid(f"Invalid value at '{path}' (TYPE_ENUM), \"{value}\"")
    elif kind == "integer":
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
            return int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Invalid(f"Invalid value at '{path}' (TYPE_INT32), {json.dumps(value)}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Invalid(f"Invalid value at '{path}' (TYPE_DOUBLE), {json.dumps(value)}")
    elif kind == "boolean" and not isinstance(value, bool):
        raise _Invalid(f"Invalid value at '{path}' (TYPE_BOOL), {json.dumps(value)}")
    return value


def _u16len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# Characters the Docs API strips from inserted text (InsertTextRequest.text in the discovery document).
_STRIPPED = re.compile("[\u0000-\u0008\u000c-\u001f\ue000-\uf8ff]")


def _fields_tree(spec: str) -> dict[str, Any]:
    """Parse a partial-response selector ("a,b/c,d(e,f)") into a tree; a None leaf keeps everything below."""
    position = 0

    def name() -> str:
        nonlocal position
        match = re.compile(r"[A-Za-z0-9_*.$@-]+").match(spec, position)
        if match is None:
            raise ValueError(spec)
        position = match.end()
        return match.group(0)

    def selection() -> dict[str, Any]:
        nonlocal position
        tree: dict[str, Any] = {}
        while True:
            parts = [name()]
            while spec.startswith("/", position):
                position += 1
                parts.append(name())
            sub: dict[str, Any] | None = None
            if spec.startswith("(", position):
                position += 1
                sub = selection()
                if not spec.startswith(")", position):
                    raise ValueError(spec)
                position += 1
            node = tree
            for part in parts[:-1]:
                child = node.get(part, {})
                if child is None:
                    break
                node = node.setdefault(part, child)
            else:
                node[parts[-1]] = sub
            if spec.startswith(",", position):
                position += 1
                continue
            return tree

    tree = selection()
    if position != len(spec):
        raise ValueError(spec)
    return tree


def _select(value: Any, tree: Mapping[str, Any] | None) -> Any:
    if tree is None:
        return value
    if isinstance(value, list):
        return [_select(item, tree) for item in value]
    if isinstance(value, dict):
        if "*" in tree:
            return value
        return {key: _select(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def _partial(request: Request, body: dict[str, Any], error: Callable[..., HTTPError]) -> dict[str, Any]:
    spec = request.arg("fields")
    if not spec:
        return body
    try:
        tree = _fields_tree(spec.replace(" ", ""))
    except ValueError:
        if error is _calendar_error:
            raise _calendar_error(400, "invalidParameter", "Invalid field selection " + spec) from None
        raise error(400, "INVALID_ARGUMENT", f"Invalid field selection {spec}") from None
    selected: dict[str, Any] = _select(body, tree)
    return selected


# -- Docs: the document model --------------------------------------------------------------------------------
@dataclass
class NamedRangeState:
    named_range_id: str
    name: str
    ranges: list[tuple[int, int]]


@dataclass
class DocumentState:
    """One document: the body text as UTF-16 code units (index 1 is the first unit), its named ranges."""

    document_id: str
    title: str
    units: bytearray
    named_ranges: list[NamedRangeState] = field(default_factory=list)
    revision_id: str = ""
    revisions: list[str] = field(default_factory=list)
    shared: bool = True
    # Every updateTextStyle / updateParagraphStyle that was applied, as sent (styles are not modelled).
    style_requests: list[dict[str, Any]] = field(default_factory=list)
    # Text inserted exactly at a named range's end: Docs does not say whether the range takes it in
    # ("content inserted inside a named range generally expands that range"). The fake assumes the
    # worst for our entries, that it does; False: it stays outside.
    ends_grow: bool = True

    @property
    def end(self) -> int:
        """The body's end index: one past its final newline."""
        return 1 + len(self.units) // 2

    def text(self, start: int | None = None, end: int | None = None) -> str:
        first = 1 if start is None else start
        last = self.end if end is None else end
        return bytes(self.units[2 * (first - 1) : 2 * (last - 1)]).decode("utf-16-le")

    def inside_pair(self, index: int) -> bool:
        """Whether `index` falls between the two halves of a surrogate pair (an emoji, say)."""
        if not 1 < index < self.end:
            return False
        unit = int.from_bytes(self.units[2 * (index - 1) : 2 * index], "little")
        return 0xDC00 <= unit <= 0xDFFF

    def insert(self, index: int, text: str) -> int:
        data = text.encode("utf-16-le")
        length = len(data) // 2
        self.units[2 * (index - 1) : 2 * (index - 1)] = data
        for named in self.named_ranges:
            moved = []
            for start, end in named.ranges:
                if index <= start:  # at or before the start: the range moves, the new text stays outside
                    moved.append((start + length, end + length))
                elif index < end or (index == end and self.ends_grow):  # inside: the range grows
                    moved.append((start, end + length))
                else:
                    moved.append((start, end))
            named.ranges = moved
        return length

    def delete(self, start: int, end: int) -> None:
        del self.units[2 * (start - 1) : 2 * (end - 1)]
        length = end - start

        def shift(index: int) -> int:
            if index <= start:
                return index
            if index >= end:
                return index - length
            return start

        for named in self.named_ranges:
            # A range whose whole content is deleted goes with it, as in Docs.
            named.ranges = [(shift(a), shift(b)) for a, b in named.ranges if shift(a) < shift(b)]
        self.named_ranges = [named for named in self.named_ranges if named.ranges]

    def copy(self) -> DocumentState:
        return copy.deepcopy(self)


def _new_revision() -> str:
    return "ALBJ4Ls" + secrets.token_urlsafe(30)


MAX_DOC_CHARACTERS = 1_020_000  # "Documents: up to 1.02 million characters" (Google Drive's file limits)


class FakeGoogleDocs(_GoogleAPI):
    """documents.get and documents.batchUpdate of the Docs API v1 (base URL: `fake.url`)."""

    name = "google-docs"

    def __init__(self, auth: FakeGoogleAuth) -> None:
        super().__init__(auth)
        self.documents: dict[str, DocumentState] = {}
        self.max_characters = MAX_DOC_CHARACTERS
        self.standard_params = frozenset(_docs_spec()["parameters"])
        self._appliers: dict[str, Callable[[DocumentState, dict[str, Any]], dict[str, Any]]] = {
            "insertText": self._apply_insert_text,
            "deleteContentRange": self._apply_delete_content_range,
            "createNamedRange": self._apply_create_named_range,
            "deleteNamedRange": self._apply_delete_named_range,
            "replaceNamedRangeContent": self._apply_replace_named_range_content,
            "updateTextStyle": self._apply_update_text_style,
            "updateParagraphStyle": self._apply_update_paragraph_style,
        }

    # -- helpers for tests ---------------------------------------------------------------------------------
    def add_document(self, doc_id: str, title: str, text: str = "", *, shared: bool = True) -> DocumentState:
        """A document whose body holds `text` (a final newline is added when missing); `shared=False` makes
        it one the caller cannot open (403), as when nobody shared the doc with the service account."""
        body = text if text.endswith("\n") else text + "\n"
        revision = _new_revision()
        document = DocumentState(
            doc_id, title, bytearray(body.encode("utf-16-le")), revision_id=revision, revisions=[revision]
        )
        document.shared = shared
        with self._lock:
            self.documents[doc_id] = document
        return document

    def document(self, doc_id: str) -> DocumentState:
        with self._lock:
            return self.documents[doc_id]

    def text(self, doc_id: str) -> str:
        """The plain body text, final newline included."""
        return self.document(doc_id).text()

    def revision(self, doc_id: str) -> str:
        return self.document(doc_id).revision_id

    def named_ranges(self, doc_id: str) -> dict[str, list[tuple[int, int]]]:
        """name → the (start, end) of every range of every named range with that name, in body order."""
        found: dict[str, list[tuple[int, int]]] = {}
        for named in self.document(doc_id).named_ranges:
            found.setdefault(named.name, []).extend(named.ranges)
        return {name: sorted(ranges) for name, ranges in found.items()}

    def range_text(self, doc_id: str, name: str) -> str:
        """The text under the named range(s) called `name`, joined in body order; KeyError when none."""
        document = self.document(doc_id)
        ranges = self.named_ranges(doc_id)[name]
        return "".join(document.text(start, end) for start, end in ranges)

    # -- errors --------------------------------------------------------------------------------------------
    def auth_error(self, code: int, problem: str) -> HTTPError:
        if problem == "scope":
            details = [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                    "domain": "googleapis.com",
                    "metadata": {
                        "service": "docs.googleapis.com",
                        "method": "google.apps.docs.v1.DocumentsService",
                    },
                }
            ]
            return _google_error(
                403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.", details
            )
        message = (
            "Request is missing required authentication credential."
            if problem == "missing"
            else "Request had invalid authentication credentials."
        ) + " Expected OAuth 2 access token, login cookie or other valid authentication credential."
        headers = {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'}
        return _google_error(401, "UNAUTHENTICATED", message, headers=headers)

    def param_error(self, name: str, message: str) -> HTTPError:
        return _google_error(
            400,
            "INVALID_ARGUMENT",
            f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
            f"Field '{name}' could not be found in request message.",
        )

    def not_found(self, request: Request) -> Response:
        body = {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}}
        return Response(404, body)

    def _open(self, doc_id: str) -> DocumentState:
        document = self.documents.get(doc_id)
        if document is None:
            raise _google_error(404, "NOT_FOUND", "Requested entity was not found.")
        if not document.shared:
            raise _google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
        return document

    # -- documents.get -------------------------------------------------------------------------------------
    @route("GET", "/v1/documents/{document_id}")
    def get_document(self, request: Request, document_id: str) -> Any:
        method = _docs_spec()["methods"]["get"]
        self.check_params(request, method["parameters"])
        self.authorize(request, DOCS_READ_SCOPES)
        for name in ("suggestionsViewMode", "commentsViewMode"):
            value = request.arg(name)
            if value is not None and value not in method["parameters"][name]["enum"]:
                raise _google_error(400, "INVALID_ARGUMENT", f"Invalid value at '{name}', \"{value}\"")
        tabs = request.arg("includeTabsContent", "false")
        if tabs not in ("true", "false"):
            raise _google_error(
                400, "INVALID_ARGUMENT", f"Invalid value at 'include_tabs_content' (TYPE_BOOL), {tabs}"
            )
        document = self._open(unquote(document_id))
        return _partial(request, self._render(document, tabs=tabs == "true"), _google_error)

    def _render(self, document: DocumentState, *, tabs: bool) -> dict[str, Any]:
        content: list[dict[str, Any]] = [
            {
                "endIndex": 1,  # startIndex 0 is left out, as proto3 JSON leaves out zeros
                "sectionBreak": {
                    "sectionStyle": {
                        "columnSeparatorStyle": "NONE",
                        "contentDirection": "LEFT_TO_RIGHT",
                        "sectionType": "CONTINUOUS",
                    }
                },
            }
        ]
        index = 1
        for paragraph in re.findall(r"[^\n]*\n", document.text()):
            end = index + _u16len(paragraph)
            run = {"startIndex": index, "endIndex": end, "textRun": {"content": paragraph, "textStyle": {}}}
            style = {"namedStyleType": "NORMAL_TEXT", "direction": "LEFT_TO_RIGHT"}
            content.append(
                {
                    "startIndex": index,
                    "endIndex": end,
                    "paragraph": {"elements": [run], "paragraphStyle": style},
                }
            )
            index = end
        named: dict[str, Any] = {}
        for item in document.named_ranges:
            entry = named.setdefault(item.name, {"name": item.name, "namedRanges": []})
            entry["namedRanges"].append(
                {
                    "namedRangeId": item.named_range_id,
                    "name": item.name,
                    "ranges": [{"startIndex": start, "endIndex": end} for start, end in item.ranges],
                }
            )
        tab: dict[str, Any] = {
            "body": {"content": content},
            "documentStyle": {"pageSize": {"height": {"magnitude": 792, "unit": "PT"}}},
        }
        if named:
            tab["namedRanges"] = named
        result: dict[str, Any] = {"title": document.title}
        if tabs:
            properties = {"tabId": "t.0", "title": "Tab 1"}
            result["tabs"] = [{"tabProperties": properties, "documentTab": tab}]
        else:
            result.update(tab)
        result.update(
            {
                "revisionId": document.revision_id,
                "suggestionsViewMode": "SUGGESTIONS_INLINE",
                "documentId": document.document_id,
            }
        )
        return result

    # -- documents.batchUpdate -----------------------------------------------------------------------------
    @route("POST", "/v1/documents/{document_id}:batchUpdate")
    def batch_update(self, request: Request, document_id: str) -> Any:
        self.check_params(request, _docs_spec()["methods"]["batchUpdate"]["parameters"])
        self.authorize(request, DOCS_WRITE_SCOPES)
        document = self._open(unquote(document_id))
        body = _json_object(request, _google_error)
        try:
            body = _check_shape(body, {"$ref": "BatchUpdateDocumentRequest"}, "")
        except _Invalid as invalid:
            raise _google_error(400, "INVALID_ARGUMENT", str(invalid)) from None
        requests = body.get("requests") or []
        if not requests:
            raise _google_error(400, "INVALID_ARGUMENT", "Must specify at least one request.")
        self._check_write_control(document, body.get("writeControl") or {})
        work = document.copy()
        replies = []
        for position, item in enumerate(requests):
            kind = self._request_kind(item, position)
            try:
                replies.append(self._appliers[kind](work, item[kind]))
            except _Invalid as invalid:
                message = f"Invalid requests[{position}].{kind}: {invalid}"
                raise _google_error(400, "INVALID_ARGUMENT", message) from None
        if work.end > document.end and work.end - 1 > self.max_characters:
            # Drive's published cap on a Google Doc (1.02 million characters): a batch past it fails
            # whole (the message is the fake's; Google's wording is not documented).
            raise _google_error(400, "INVALID_ARGUMENT", "The document exceeds the maximum size.")
        work.revision_id = _new_revision()
        work.revisions.append(work.revision_id)
        self.documents[document.document_id] = work
        result = {
            "replies": replies,
            "writeControl": {"requiredRevisionId": work.revision_id},
            "documentId": work.document_id,
        }
        return _partial(request, result, _google_error)

    def _check_write_control(self, document: DocumentState, control: Mapping[str, Any]) -> None:
        required, target = control.get("requiredRevisionId"), control.get("targetRevisionId")
        if required is not None and target is not None:
            raise _google_error(
                400, "INVALID_ARGUMENT", "Only one of requiredRevisionId and targetRevisionId may be set."
            )
        if required is not None and required != document.revision_id:
            raise _google_error(
                400,
                "FAILED_PRECONDITION",
                f"The document was changed after revision {required}: requiredRevisionId is not the "
                "latest revision.",
            )
        if target is not None and target != document.revision_id:
            if target in document.revisions:
                # Merging against collaborator changes is what the real service does; the fake cannot.
                raise _google_error(
                    400, "INVALID_ARGUMENT", "FakeGoogleDocs does not model targetRevisionId merges."
                )
            raise _google_error(400, "INVALID_ARGUMENT", f"Invalid targetRevisionId: {target}")
        if control.get("writeMode") == "SUGGEST":
            raise _google_error(400, "INVALID_ARGUMENT", "FakeGoogleDocs does not model SUGGEST write mode.")

    def _request_kind(self, item: Any, position: int) -> str:
        known: Mapping[str, Any] = _docs_spec()["schemas"]["Request"]["properties"]
        kinds = [key for key, value in item.items() if value is not None and key in known]
        if not kinds:
            raise _google_error(
                400, "INVALID_ARGUMENT", f"Invalid requests[{position}]: no request kind is set."
            )
        if len(kinds) > 1:
            raise _google_error(
                400,
                "INVALID_ARGUMENT",
                f"Invalid JSON payload received. Oneof field 'request' is already set. Cannot set "
                f"'{kinds[1]}' at 'requests[{position}]'.",
            )
        if kinds[0] not in self._appliers:
            raise _google_error(
                400,
                "INVALID_ARGUMENT",
                f"Invalid requests[{position}].{kinds[0]}: FakeGoogleDocs does not model it.",
            )
        if not isinstance(item[kinds[0]], dict):
            raise _google_error(
                400, "INVALID_ARGUMENT", f"Invalid requests[{position}].{kinds[0]}: not an object."
            )
        kind: str = kinds[0]
        return kind

    # -- request kinds: each checks against the state the earlier requests of the batch left -----------------
    @staticmethod
    def _segment(spec: Mapping[str, Any]) -> None:
        if spec.get("segmentId"):
            raise _Invalid(f"Segment not found: {spec['segmentId']}. FakeGoogleDocs models the body only.")
        if spec.get("tabId") not in (None, "", "t.0"):
            raise _Invalid(f"The tab with ID {spec['tabId']} does not exist.")

    def _range(
        self, document: DocumentState, spec: Any, *, allow_last_newline: bool = True
    ) -> tuple[int, int]:
        if not isinstance(spec, dict):
            raise _Invalid("A range must be specified.")
        self._segment(spec)
        start, end = spec.get("startIndex"), spec.get("endIndex")
        if start is None or end is None:
            raise _Invalid("The range must specify both a start and an end index.")
        if start >= end:
            raise _Invalid(
                f"The range should not be empty: startIndex {start} must be less than endIndex {end}."
            )
        if start < 1:
            raise _Invalid("The start index of the range must be at least 1: index 0 is the section break.")
        if end > document.end:
            raise _Invalid(
                f"Index {end - 1} must be less than the end index of the referenced segment, {document.end}."
            )
        if not allow_last_newline and end == document.end:
            raise _Invalid("The range cannot include the newline character at the end of the segment.")
        for index in (start, end):
            if document.inside_pair(index):
                raise _Invalid(
                    f"Index {index} falls inside a surrogate pair: a range cannot split a character."
                )
        return start, end

    def _insertion_point(self, document: DocumentState, index: Any) -> int:
        if not isinstance(index, int) or index < 1:
            raise _Invalid(
                "The insertion index must be inside the bounds of an existing paragraph. You can still "
                "create new paragraphs by inserting newlines."
            )
        if index >= document.end:
            raise _Invalid(
                f"Index {index} must be less than the end index of the referenced segment, {document.end}."
            )
        if document.inside_pair(index):
            raise _Invalid(f"Index {index} falls inside a surrogate pair: text cannot be inserted there.")
        return index

    def _apply_insert_text(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        location, at_end = spec.get("location"), spec.get("endOfSegmentLocation")
        if (location is None) == (at_end is None):
            raise _Invalid("Exactly one of location and endOfSegmentLocation must be set.")
        text = spec.get("text")
        if not text:
            raise _Invalid("Insert text requests must specify text to insert.")
        if at_end is not None:
            self._segment(at_end)
            index = document.end - 1
        else:
            assert isinstance(location, dict)
            self._segment(location)
            index = self._insertion_point(document, location.get("index", 0))
        document.insert(index, _STRIPPED.sub("", text))
        return {}

    def _apply_delete_content_range(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        start, end = self._range(document, spec.get("range"), allow_last_newline=False)
        document.delete(start, end)
        return {}

    def _apply_create_named_range(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        name = spec.get("name") or ""
        if not 1 <= _u16len(name) <= 256:
            raise _Invalid("Names must be at least 1 character and no more than 256 characters.")
        start, end = self._range(document, spec.get("range"))
        named_range_id = "kix." + secrets.token_hex(6)
        document.named_ranges.append(NamedRangeState(named_range_id, name, [(start, end)]))
        return {"createNamedRange": {"namedRangeId": named_range_id}}

    @staticmethod
    def _targets(
        document: DocumentState, spec: Mapping[str, Any], id_key: str, name_key: str
    ) -> list[NamedRangeState]:
        by_id, by_name = spec.get(id_key), spec.get(name_key)
        if (by_id is None) == (by_name is None):
            raise _Invalid(f"Exactly one of {id_key} and {name_key} must be set.")
        if spec.get("tabsCriteria") and spec["tabsCriteria"].get("tabIds") not in (None, [], ["t.0"]):
            raise _Invalid("The tab with ID in tabsCriteria does not exist.")
        if by_id is not None:
            found = [named for named in document.named_ranges if named.named_range_id == by_id]
            if not found:
                raise _Invalid(f"The named range with ID {by_id} does not exist.")
            return found
        return [named for named in document.named_ranges if named.name == by_name]

    def _apply_delete_named_range(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        targets = self._targets(document, spec, "namedRangeId", "name")
        if not targets:
            # Google does not document this case; the fake refuses it rather than hide a wrong name.
            raise _Invalid(f"No named range is called {spec.get('name')!r}.")
        document.named_ranges = [named for named in document.named_ranges if named not in targets]
        return {}

    def _apply_replace_named_range_content(
        self, document: DocumentState, spec: dict[str, Any]
    ) -> dict[str, Any]:
        text = spec.get("text")
        if not text:
            raise _Invalid("Replace named range content requests must specify the replacement text.")
        text = _STRIPPED.sub("", text)
        for target in self._targets(document, spec, "namedRangeId", "namedRangeName"):
            if target not in document.named_ranges:
                continue  # its text went with an earlier range of the same name
            ranges = sorted(target.ranges)
            if ranges[-1][1] == document.end:
                raise _Invalid(
                    "The named range includes the newline character at the end of the segment: replacing it "
                    "would leave an invalid document structure."
                )
            # Out of the list while the text moves, so the shifting rules do not apply to it; it comes back
            # holding exactly the replacement text (its first range); its other ranges go with their text.
            document.named_ranges.remove(target)
            for start, end in reversed(ranges[1:]):
                document.delete(start, end)
            start, end = ranges[0]
            document.delete(start, end)
            length = document.insert(start, text)
            target.ranges = [(start, start + length)] if length else []
            if target.ranges:
                document.named_ranges.append(target)
        return {}

    def _style_request(
        self, document: DocumentState, spec: dict[str, Any], style_key: str, kind: str
    ) -> dict[str, Any]:
        start, end = self._range(document, spec.get("range"))
        fields = spec.get("fields")
        if not fields:
            raise _Invalid("At least one field must be specified in fields.")
        style_schema = {"TextStyle": "TextStyle", "ParagraphStyle": "ParagraphStyle"}[kind]
        known = _docs_spec()["schemas"][style_schema]["properties"]
        for path in fields.split(","):
            head = path.strip().split(".")[0]
            if head != "*" and head not in known:
                raise _Invalid(f"Invalid field mask: {path.strip()} is not a field of {kind}.")
        document.style_requests.append(
            {"kind": kind, "range": (start, end), "style": spec.get(style_key) or {}, "fields": fields}
        )
        return {}

    def _apply_update_text_style(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        return self._style_request(document, spec, "textStyle", "TextStyle")

    def _apply_update_paragraph_style(self, document: DocumentState, spec: dict[str, Any]) -> dict[str, Any]:
        return self._style_request(document, spec, "paragraphStyle", "ParagraphStyle")


# -- Calendar ------------------------------------------------------------------------------------------------
# Event fields, from the Calendar API v3 discovery document (Event schema). Read-only ones are accepted and
# ignored on writes, as Google does; any other name is refused, so a typo does not pass silently.
_EVENT_WRITABLE = frozenset(
    {
        "id",
        "summary",
        "description",
        "location",
        "start",
        "end",
        "attendees",
        "status",
        "transparency",
        "visibility",
        "colorId",
        "extendedProperties",
        "reminders",
        "recurrence",
        "guestsCanInviteOthers",
        "guestsCanModify",
        "guestsCanSeeOtherGuests",
        "anyoneCanAddSelf",
        "sequence",
        "source",
        "conferenceData",
        "attachments",
        "originalStartTime",
        "endTimeUnspecified",
        "locked",
        "privateCopy",
        "attendeesOmitted",
        "eventType",
        "gadget",
        "focusTimeProperties",
        "outOfOfficeProperties",
        "workingLocationProperties",
        "birthdayProperties",
    }
)
_EVENT_READ_ONLY = frozenset(
    {
        "kind",
        "etag",
        "htmlLink",
        "created",
        "updated",
        "creator",
        "organizer",
        "iCalUID",
        "recurringEventId",
        "hangoutLink",
    }
)
_DATETIME_FIELDS = frozenset({"date", "dateTime", "timeZone"})
_ATTENDEE_FIELDS = frozenset(
    {
        "email",
        "displayName",
        "optional",
        "responseStatus",
        "comment",
        "additionalGuests",
        "resource",
        "organizer",
        "self",
        "id",
    }
)
_EVENT_ID = re.compile(r"[a-v0-9]{5,1024}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CALENDAR_STANDARD = frozenset({"alt", "fields", "key", "oauth_token", "prettyPrint", "quotaUser", "userIp"})


@dataclass
class CalendarState:
    calendar_id: str
    summary: str
    time_zone: str
    access: str  # "owner" | "writer" | "reader"
    events: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Notification:
    """An invitation, update or cancellation Google would have e-mailed (sendUpdates all/externalOnly)."""

    calendar_id: str
    event_id: str
    action: str  # "insert" | "update" | "delete"
    send_updates: str
    recipients: list[str]


class FakeGoogleCalendar(_GoogleAPI):
    """The events collection of the Calendar API v3 (base URL: `fake.base_url`, i.e. `<url>calendar/v3/`)."""

    name = "google-calendar"
    standard_params = _CALENDAR_STANDARD

    def __init__(self, auth: FakeGoogleAuth, *, service_accounts_may_invite: bool = False) -> None:
        super().__init__(auth)
        self.calendars: dict[str, CalendarState] = {}
        self.notifications: list[Notification] = []
        # Google refuses attendees from a service account that acts as itself (no domain-wide delegation).
        self.service_accounts_may_invite = service_accounts_may_invite
        self._etag_counter = 0

    @property
    def base_url(self) -> str:
        return f"{self.url}calendar/v3/"

    # -- helpers for tests ---------------------------------------------------------------------------------
    def add_calendar(
        self,
        calendar_id: str,
        *,
        summary: str = "User interviews",
        time_zone: str = "Europe/Paris",
        access: str = "writer",
    ) -> CalendarState:
        calendar = CalendarState(calendar_id, summary, time_zone, access)
        with self._lock:
            self.calendars[calendar_id] = calendar
        return calendar

    def events(self, calendar_id: str, *, include_cancelled: bool = False) -> list[dict[str, Any]]:
        """The events of a calendar (copies), cancelled ones only on request."""
        with self._lock:
            events = self.calendars[calendar_id].events.values()
            return [copy.deepcopy(e) for e in events if include_cancelled or e["status"] != "cancelled"]

    def event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        """One event as stored (a copy, cancelled ones included), or None."""
        with self._lock:
            found = self.calendars[calendar_id].events.get(event_id)
            return copy.deepcopy(found) if found is not None else None

    # -- errors --------------------------------------------------------------------------------------------
    def auth_error(self, code: int, problem: str) -> HTTPError:
        if problem == "scope":
            return _calendar_error(
                403,
                "insufficientPermissions",
                "Request had insufficient authentication scopes.",
            )
        return _calendar_error(
            401,
            "authError",
            "Invalid Credentials",
            location="Authorization",
            location_type="header",
            headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
        )

    def param_error(self, name: str, message: str) -> HTTPError:
        return _calendar_error(400, "invalidParameter", message, location=name)

    def not_found(self, request: Request) -> Response:
        return _calendar_error(404, "notFound", "Not Found").response

    def _calendar(self, calendar_id: str, *, write: bool) -> CalendarState:
        calendar = self.calendars.get(unquote(calendar_id))
        if calendar is None:
            raise _calendar_error(404, "notFound", "Not Found")
        if write and calendar.access == "reader":
            raise _calendar_error(
                403,
                "requiredAccessLevel",
                "You need to have writer access to this calendar.",
                domain="calendar",
            )
        return calendar

    def _send_updates(self, request: Request) -> str:
        value = request.arg("sendUpdates")
        if value is None:
            legacy = request.arg("sendNotifications")
            if legacy not in (None, "true", "false"):
                raise _calendar_error(
                    400,
                    "invalidParameter",
                    f"Invalid boolean value: '{legacy}'.",
                    location="sendNotifications",
                )
            return "all" if legacy == "true" else "none"
        if value not in ("all", "externalOnly", "none"):
            raise _calendar_error(
                400, "invalidParameter", f"Invalid value for: sendUpdates: {value}", location="sendUpdates"
            )
        return value

    def _notify(
        self, calendar: CalendarState, event: Mapping[str, Any], action: str, send_updates: str
    ) -> None:
        recipients = [a["email"] for a in event.get("attendees", []) if not a.get("organizer")]
        self.notifications.append(
            Notification(
                calendar.calendar_id,
                event["id"],
                action,
                send_updates,
                recipients if send_updates != "none" else [],
            )
        )

    def _etag(self) -> str:
        self._etag_counter += 1
        return f'"{int(self.now * 1000) * 1000 + self._etag_counter}"'

    # -- validation ----------------------------------------------------------------------------------------
    def _check_fields(self, body: Mapping[str, Any]) -> None:
        for key in body:
            if key not in _EVENT_WRITABLE and key not in _EVENT_READ_ONLY:
                raise _calendar_error(400, "invalid", f"Unknown field in the event resource: {key}.")
        for which in ("start", "end", "originalStartTime"):
            value = body.get(which)
            if value is not None and (not isinstance(value, dict) or not set(value) <= _DATETIME_FIELDS):
                raise _calendar_error(400, "invalid", f"Invalid {which} time.")
        attendees = body.get("attendees")
        if attendees is not None:
            if not isinstance(attendees, list):
                raise _calendar_error(400, "invalid", "Invalid attendees.")
            for attendee in attendees:
                if not isinstance(attendee, dict) or not set(attendee) <= _ATTENDEE_FIELDS:
                    raise _calendar_error(400, "invalid", "Invalid attendee.")
                if not isinstance(attendee.get("email"), str) or not _EMAIL.fullmatch(attendee["email"]):
                    raise _calendar_error(400, "invalid", "Invalid attendee email.")
        for text in ("summary", "description", "location"):
            if text in body and body[text] is not None and not isinstance(body[text], str):
                raise _calendar_error(400, "invalid", f"Invalid value for {text}.")
        if body.get("status") not in (None, "confirmed", "tentative", "cancelled"):
            raise _calendar_error(400, "invalid", f"Invalid value for status: {body['status']}.")

    @staticmethod
    def _moment(value: Mapping[str, Any], which: str) -> tuple[str, dt.date | dt.datetime]:
        date, date_time, zone = value.get("date"), value.get("dateTime"), value.get("timeZone")
        if (date is None) == (date_time is None):
            raise _calendar_error(
                400, "invalid", f"Invalid {which} time: set exactly one of date and dateTime."
            )
        if zone is not None:
            try:
                tz: dt.tzinfo | None = ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise _calendar_error(
                    400, "invalid", f"Invalid time zone definition for {which} time."
                ) from None
        else:
            tz = None
        if date is not None:
            try:
                return "date", dt.date.fromisoformat(date)
            except (TypeError, ValueError):
                raise _calendar_error(400, "invalid", f"Invalid {which} date.") from None
        if not isinstance(date_time, str) or not _RFC3339.fullmatch(date_time):
            raise _calendar_error(400, "invalid", f"Invalid {which} time.")
        moment = dt.datetime.fromisoformat(date_time)
        if moment.tzinfo is None:
            if tz is None:
                raise _calendar_error(400, "required", f"Missing time zone definition for {which} time.")
            moment = moment.replace(tzinfo=tz)
        return "dateTime", moment

    def _check_times(self, event: Mapping[str, Any]) -> None:
        for which in ("start", "end"):
            if not event.get(which):
                raise _calendar_error(400, "required", f"Missing {which} time.")
        start_kind, start = self._moment(event["start"], "start")
        end_kind, end = self._moment(event["end"], "end")
        if start_kind != end_kind:
            raise _calendar_error(
                400, "invalid", "Start and end times must either both be date or both be dateTime."
            )
        if end < start or (start_kind == "date" and end == start):
            raise _calendar_error(
                400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar"
            )

    def _check_invite(self, grant: Grant, body: Mapping[str, Any]) -> None:
        if body.get("attendees") and grant.kind != "user" and not self.service_accounts_may_invite:
            raise _calendar_error(
                403,
                "forbiddenForServiceAccounts",
                "Service accounts cannot invite attendees without Domain-Wide Delegation of Authority.",
                domain="calendar",
            )

    def _check_if_match(self, request: Request, event: Mapping[str, Any]) -> None:
        expected = request.headers.get("if-match")
        if expected is not None and expected != "*" and expected != event["etag"]:
            raise _calendar_error(
                412, "conditionNotMet", "Precondition Failed", location="If-Match", location_type="header"
            )

    def _store(
        self,
        calendar: CalendarState,
        grant: Grant,
        event: dict[str, Any],
        previous: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Fill the read-only fields, bump etag and sequence, keep the event."""
        self._check_times(event)
        now = _now_rfc3339(self.now)
        for key in _EVENT_READ_ONLY:
            event.pop(key, None)
        event_id = event["id"]
        for attendee in event.get("attendees", []):
            attendee.setdefault("responseStatus", "needsAction")
        event.setdefault("status", "confirmed")
        event.setdefault("reminders", {"useDefault": True})
        event.setdefault("eventType", "default")
        sequence = event.get("sequence")
        if previous is None:
            event["sequence"] = sequence or 0
            created, creator = now, {"email": grant.principal}
        else:
            if sequence is not None and sequence < previous["sequence"]:
                raise _calendar_error(
                    400,
                    "invalidSequenceValue",
                    "Invalid sequence value. The specified sequence number is below the current sequence "
                    "number of the resource.",
                    domain="calendar",
                )
            changed = any(event.get(key) != previous.get(key) for key in _EVENT_WRITABLE if key != "sequence")
            event["sequence"] = max(sequence or 0, previous["sequence"] + (1 if changed else 0))
            created, creator = previous["created"], previous["creator"]
        eid = base64.urlsafe_b64encode(f"{event_id} {calendar.calendar_id}".encode()).decode().rstrip("=")
        stored = {
            "kind": "calendar#event",
            "etag": self._etag(),
            "id": event_id,
            "status": event.pop("status"),
            "htmlLink": f"https://www.google.com/calendar/event?eid={eid}",
            "created": created,
            "updated": now,
            **event,
            "creator": creator,
            "organizer": {"email": calendar.calendar_id, "displayName": calendar.summary, "self": True},
            "iCalUID": f"{event_id}@google.com",
        }
        calendar.events[event_id] = stored
        return copy.deepcopy(stored)

    # -- events.insert -------------------------------------------------------------------------------------
    @route("POST", "/calendar/v3/calendars/{calendar_id}/events")
    def insert_event(self, request: Request, calendar_id: str) -> Any:
        self.check_params(
            request,
            {
                "conferenceDataVersion",
                "maxAttendees",
                "sendNotifications",
                "sendUpdates",
                "supportsAttachments",
            },
        )
        grant = self.authorize(request, CALENDAR_WRITE_SCOPES)
        calendar = self._calendar(calendar_id, write=True)
        send_updates = self._send_updates(request)
        body = _json_object(request, _calendar_error)
        self._check_fields(body)
        event = copy.deepcopy(body)
        event_id = event.get("id")
        if event_id is None:
            event_id = "".join(secrets.choice("0123456789abcdefghijklmnopqrstuv") for _ in range(26))
        elif not isinstance(event_id, str) or not _EVENT_ID.fullmatch(event_id):
            raise _calendar_error(400, "invalid", "Invalid resource id value.")
        if event_id in calendar.events:
            # A deleted event is only marked cancelled: its id stays taken.
            raise _calendar_error(409, "duplicate", "The requested identifier already exists.")
        event["id"] = event_id
        self._check_invite(grant, event)
        stored = self._store(calendar, grant, event, None)
        if send_updates != "none" and stored.get("attendees"):
            self._notify(calendar, stored, "insert", send_updates)
        return _partial(request, stored, _calendar_error)

    # -- events.get ----------------------------------------------------------------------------------------
    @route("GET", "/calendar/v3/calendars/{calendar_id}/events/{event_id}")
    def get_event(self, request: Request, calendar_id: str, event_id: str) -> Any:
        self.check_params(request, {"alwaysIncludeEmail", "maxAttendees", "timeZone"})
        self.authorize(request, CALENDAR_READ_SCOPES)
        calendar = self._calendar(calendar_id, write=False)
        event = calendar.events.get(unquote(event_id))
        if event is None:
            raise _calendar_error(404, "notFound", "Not Found")
        if request.headers.get("if-none-match") == event["etag"]:
            return Response(304, None)
        return _partial(request, copy.deepcopy(event), _calendar_error)

    # -- events.patch / events.update ----------------------------------------------------------------------
    def _modify(self, request: Request, calendar_id: str, event_id: str, *, patch: bool) -> Any:
        self.check_params(
            request,
            {
                "alwaysIncludeEmail",
                "conferenceDataVersion",
                "maxAttendees",
                "sendNotifications",
                "sendUpdates",
                "supportsAttachments",
            },
        )
        grant = self.authorize(request, CALENDAR_WRITE_SCOPES)
        calendar = self._calendar(calendar_id, write=True)
        send_updates = self._send_updates(request)
        previous = calendar.events.get(unquote(event_id))
        if previous is None:
            raise _calendar_error(404, "notFound", "Not Found")
        self._check_if_match(request, previous)
        body = _json_object(request, _calendar_error)
        self._check_fields(body)
        if body.get("id") not in (None, previous["id"]):
            raise _calendar_error(400, "invalid", "Invalid resource id value.")
        self._check_invite(grant, body)
        if patch:
            event = _merge(
                copy.deepcopy({k: v for k, v in previous.items() if k in _EVENT_WRITABLE}),
                copy.deepcopy(body),
            )
        else:
            # update replaces the resource: what the body leaves out is gone (status comes back "confirmed").
            event = copy.deepcopy(body)
        event["id"] = previous["id"]
        stored = self._store(calendar, grant, event, previous)
        if send_updates != "none" and stored.get("attendees"):
            self._notify(calendar, stored, "update", send_updates)
        return _partial(request, stored, _calendar_error)

    @route("PATCH", "/calendar/v3/calendars/{calendar_id}/events/{event_id}")
    def patch_event(self, request: Request, calendar_id: str, event_id: str) -> Any:
        return self._modify(request, calendar_id, event_id, patch=True)

    @route("PUT", "/calendar/v3/calendars/{calendar_id}/events/{event_id}")
    def update_event(self, request: Request, calendar_id: str, event_id: str) -> Any:
        return self._modify(request, calendar_id, event_id, patch=False)

    # -- events.delete -------------------------------------------------------------------------------------
    @route("DELETE", "/calendar/v3/calendars/{calendar_id}/events/{event_id}")
    def delete_event(self, request: Request, calendar_id: str, event_id: str) -> Any:
        self.check_params(request, {"sendNotifications", "sendUpdates"})
        self.authorize(request, CALENDAR_WRITE_SCOPES)
        calendar = self._calendar(calendar_id, write=True)
        send_updates = self._send_updates(request)
        event = calendar.events.get(unquote(event_id))
        if event is None:
            raise _calendar_error(404, "notFound", "Not Found")
        if event["status"] == "cancelled":
            raise _calendar_error(410, "deleted", "Resource has been deleted")
        self._check_if_match(request, event)
        event["status"] = "cancelled"
        event["etag"] = self._etag()
        event["updated"] = _now_rfc3339(self.now)
        if send_updates != "none" and event.get("attendees"):
            self._notify(calendar, event, "delete", send_updates)
        return Response(204, None)

    # -- events.list ---------------------------------------------------------------------------------------
    @route("GET", "/calendar/v3/calendars/{calendar_id}/events")
    def list_events(self, request: Request, calendar_id: str) -> Any:
        self.check_params(
            request,
            {
                "alwaysIncludeEmail",
                "eventTypes",
                "iCalUID",
                "maxAttendees",
                "maxResults",
                "orderBy",
                "pageToken",
                "privateExtendedProperty",
                "q",
                "sharedExtendedProperty",
                "showDeleted",
                "showHiddenInvitations",
                "singleEvents",
                "syncToken",
                "timeMax",
                "timeMin",
                "timeZone",
                "updatedMin",
            },
        )
        self.authorize(request, CALENDAR_READ_SCOPES)
        calendar = self._calendar(calendar_id, write=False)
        if request.arg("syncToken") is not None:
            raise _calendar_error(400, "invalid", "FakeGoogleCalendar does not model sync tokens.")
        if request.arg("orderBy") == "startTime" and request.arg("singleEvents") != "true":
            raise _calendar_error(
                400, "invalid", "The requested ordering is not available for the particular query."
            )
        max_results = int(request.arg("maxResults", "250") or 250)
        if not 1 <= max_results <= 2500:
            raise _calendar_error(400, "invalid", "Invalid value for maxResults.", location="maxResults")
        events = [
            e
            for e in calendar.events.values()
            if request.arg("showDeleted") == "true" or e["status"] != "cancelled"
        ]
        events = [e for e in events if self._listed(e, request, calendar.time_zone)]
        events.sort(key=lambda e: (self._moment(e["start"], "start")[1].isoformat(), e["id"]))
        offset = int(request.arg("pageToken", "0") or 0)
        page = events[offset : offset + max_results]
        result: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": self._etag(),
            "summary": calendar.summary,
            "updated": _now_rfc3339(self.now),
            "timeZone": calendar.time_zone,
            "accessRole": calendar.access,
            "defaultReminders": [],
            "items": copy.deepcopy(page),
        }
        if offset + max_results < len(events):
            result["nextPageToken"] = str(offset + max_results)
        return _partial(request, result, _calendar_error)

    def _listed(self, event: Mapping[str, Any], request: Request, time_zone: str) -> bool:
        if request.arg("iCalUID") not in (None, event["iCalUID"]):
            return False
        query = request.arg("q")
        if query and not any(
            query.lower() in str(event.get(k, "")).lower() for k in ("summary", "description", "location")
        ):
            return False
        for prop in request.query.get("privateExtendedProperty", []):
            key, _, value = prop.partition("=")
            if event.get("extendedProperties", {}).get("private", {}).get(key) != value:
                return False
        for bound in ("timeMin", "timeMax"):
            raw = request.arg(bound)
            if raw is None:
                continue
            if not _RFC3339.fullmatch(raw) or dt.datetime.fromisoformat(raw).tzinfo is None:
                raise _calendar_error(400, "badRequest", f"Bad Request: {bound} needs a time zone offset.")
            limit = dt.datetime.fromisoformat(raw)
            which = "end" if bound == "timeMin" else "start"
            moment = self._moment(event[which], which)[1]
            if not isinstance(moment, dt.datetime):  # an all-day event: its day in the calendar's zone
                moment = dt.datetime.combine(moment, dt.time(), tzinfo=ZoneInfo(time_zone))
            # timeMin bounds the event's end, timeMax its start (both exclusive), as Google documents.
            if (bound == "timeMin" and moment <= limit) or (bound == "timeMax" and moment >= limit):
                return False
        return True


def _merge(base: dict[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """Patch semantics of Google's JSON APIs: objects merge field by field, null clears, lists replace."""
    for key, value in patch.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge(base[key], value)
        else:
            base[key] = value
    return base
