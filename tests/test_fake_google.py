"""The Google fakes, driven through the real google-auth and httpx: what they accept, refuse and remember."""

from __future__ import annotations

import base64
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import google.auth
import google.auth.credentials
import google.auth.crypt
import google.auth.exceptions
import google.auth.jwt
import google.auth.transport.requests
import google.oauth2.credentials
import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import identity_pool
from google.oauth2 import service_account

from fakes.google import (
    CALENDAR_EVENTS_SCOPE,
    CALENDAR_SCOPE,
    DOCS_SCOPE,
    FakeGoogleAuth,
    FakeGoogleCalendar,
    FakeGoogleDocs,
    calendar_rate_limited,
    docs_quota_exceeded,
    docs_unavailable,
)
from fakes.server import FakeService, Fault

SCOPES = [DOCS_SCOPE, CALENDAR_EVENTS_SCOPE]
CALENDAR_ID = "team@group.calendar.google.com"
# One TLS context for every client: building one per httpx.Client costs tens of milliseconds (all plain HTTP).
TLS = ssl.create_default_context()


# -- fixtures ------------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches the internet: resolving any other host name fails loudly."""
    resolve = socket.getaddrinfo

    def local(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise OSError(f"the test tried to reach {host!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", local)
    for name in (
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_SDK_EXPERIMENTAL_PYTHON_REGIONAL_ACCESS_BOUNDARY_LOOKUP_ENABLED",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


Served = TypeVar("Served", bound=FakeService)


def serve(fake: Served) -> Iterator[Served]:
    fake.start()
    try:
        yield fake
    finally:
        # shutdown() waits out serve_forever's half-second poll: let it do so off the test's clock.
        threading.Thread(target=fake.stop, daemon=True).start()


@pytest.fixture
def auth() -> Iterator[FakeGoogleAuth]:
    yield from serve(FakeGoogleAuth())


@pytest.fixture
def docs(auth: FakeGoogleAuth) -> Iterator[FakeGoogleDocs]:
    yield from serve(FakeGoogleDocs(auth))


@pytest.fixture
def calendar(auth: FakeGoogleAuth) -> Iterator[FakeGoogleCalendar]:
    fake = FakeGoogleCalendar(auth)
    fake.add_calendar(CALENDAR_ID)
    yield from serve(fake)


@pytest.fixture
def key_file(tmp_path: Path, auth: FakeGoogleAuth) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(auth.service_account_info()))
    return path


def service_account_token(key_file: Path, scopes: list[str] | None = SCOPES) -> str:
    """What production does: the key file's own token_uri, refreshed through google-auth."""
    credentials = service_account.Credentials.from_service_account_file(str(key_file), scopes=scopes)
    credentials.refresh(google.auth.transport.requests.Request())
    token: str = credentials.token
    return token


def client(fake: FakeGoogleDocs | FakeGoogleCalendar, token: str) -> httpx.Client:
    base = fake.base_url if isinstance(fake, FakeGoogleCalendar) else fake.url
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=5, verify=TLS)


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def get_doc(api: httpx.Client, doc_id: str) -> dict[str, Any]:
    response = api.get(f"v1/documents/{doc_id}")
    assert response.status_code == 200, response.text
    document: dict[str, Any] = response.json()
    return document


def batch(
    api: httpx.Client, doc_id: str, *requests: dict[str, Any], revision: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"requests": list(requests)}
    if revision is not None:
        body["writeControl"] = {"requiredRevisionId": revision}
    return api.post(f"v1/documents/{doc_id}:batchUpdate", json=body)


def append_entry(api: httpx.Client, doc_id: str, interview_id: str, text: str) -> str:
    """Append one entry and name it, in one batch, as the publish command would; returns the range id."""
    document = get_doc(api, doc_id)
    start = document["body"]["content"][-1]["endIndex"] - 1  # just before the final newline
    response = batch(
        api,
        doc_id,
        {"insertText": {"endOfSegmentLocation": {}, "text": text}},
        {
            "createNamedRange": {
                "name": f"feedbackloop:{interview_id}",
                "range": {"startIndex": start, "endIndex": start + u16(text)},
            }
        },
        revision=document["revisionId"],
    )
    assert response.status_code == 200, response.text
    named_range_id: str = response.json()["replies"][1]["createNamedRange"]["namedRangeId"]
    return named_range_id


def error_of(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


# -- the token endpoint (service-account keys) ---------------------------------------------------------------
def test_service_account_key_gets_a_token_from_its_own_token_uri(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs, key_file: Path
) -> None:
    docs.add_document("doc-1", "Interviews")

    token = service_account_token(key_file)

    assert token in auth.valid_tokens
    assert auth.count("POST /token") == 1
    claims = auth.assertions[0]
    assert claims["iss"] == auth.client_email
    # google-auth signs for Google's endpoint whatever the key's token_uri: the fake takes that audience.
    assert claims["aud"] == "https://oauth2.googleapis.com/token"
    assert claims["scope"].split() == SCOPES
    grant = auth.grants[token]
    assert (grant.kind, grant.principal) == ("service_account", auth.client_email)
    with client(docs, token) as api:
        assert api.get("v1/documents/doc-1").status_code == 200


def test_assertion_signed_by_another_key_is_refused(auth: FakeGoogleAuth, tmp_path: Path) -> None:
    info = auth.service_account_info()
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    info["private_key"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(info))

    with pytest.raises(google.auth.exceptions.RefreshError, match="Invalid JWT Signature"):
        service_account_token(forged)
    assert not auth.valid_tokens


def test_expired_assertion_is_refused(auth: FakeGoogleAuth, key_file: Path) -> None:
    auth.clock = lambda: time.time() + 2 * 3600  # the fake's clock is two hours ahead of the signer's
    with pytest.raises(google.auth.exceptions.RefreshError, match="short-lived token"):
        service_account_token(key_file)

    auth.clock = time.time
    info = auth.service_account_info()
    signer = google.auth.crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    for claims in (
        {"iat": now - 7200, "exp": now - 3600},  # expired
        {"iat": now, "exp": now + 7200},  # longer than an hour
    ):
        assertion = google.auth.jwt.encode(
            signer, {"iss": info["client_email"], "aud": info["token_uri"], "scope": DOCS_SCOPE, **claims}
        ).decode()
        response = httpx.post(
            info["token_uri"],
            data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion},
            verify=TLS,
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"


def test_wrong_audience_unknown_account_and_missing_scope_are_refused(
    auth: FakeGoogleAuth, key_file: Path
) -> None:
    info = auth.service_account_info()
    signer = google.auth.crypt.RSASigner.from_service_account_info(info)
    now = int(time.time())
    base = {
        "iss": info["client_email"],
        "aud": info["token_uri"],
        "scope": DOCS_SCOPE,
        "iat": now,
        "exp": now + 600,
    }

    def post(claims: dict[str, Any], grant_type: str = "urn:ietf:params:oauth:grant-type:jwt-bearer") -> Any:
        assertion = google.auth.jwt.encode(signer, claims).decode()
        response = httpx.post(
            info["token_uri"], data={"grant_type": grant_type, "assertion": assertion}, verify=TLS
        )
        return response.status_code, response.json()

    assert post(base)[0] == 200
    assert post({**base, "aud": "https://example.com/token"}) == (
        400,
        {"error": "invalid_grant", "error_description": "Invalid JWT: Failed audience check."},
    )
    assert post({**base, "iss": "someone@else.iam.gserviceaccount.com"})[1]["error_description"] == (
        "Invalid grant: account not found"
    )
    assert post({**base, "scope": "https://www.googleapis.com/auth/nonsense"})[1]["error"] == "invalid_scope"
    assert post(base, grant_type="refresh_token")[1]["error"] == "unsupported_grant_type"
    # Domain-wide delegation (a `sub`) is refused unless the fake is told the admin allowed it.
    assert post({**base, "sub": "alice@acme.com"})[1]["error"] == "unauthorized_client"
    # google-auth with no scopes sends an empty scope: Google answers invalid_scope.
    with pytest.raises(google.auth.exceptions.RefreshError, match="invalid_scope"):
        service_account_token(key_file, scopes=None)


def test_the_apis_check_expiry_and_scopes_of_the_token(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    calendar_only = auth.issue_token([CALENDAR_SCOPE])
    with client(docs, calendar_only) as api:
        response = api.get("v1/documents/doc-1")
    assert response.status_code == 403
    assert error_of(response)["status"] == "PERMISSION_DENIED"
    assert error_of(response)["details"][0]["reason"] == "ACCESS_TOKEN_SCOPE_INSUFFICIENT"

    token = auth.issue_token()
    with client(docs, token) as api:
        assert api.get("v1/documents/doc-1").status_code == 200
        auth.clock = lambda: time.time() + 3600  # an hour later the token is dead
        response = api.get("v1/documents/doc-1")
    assert response.status_code == 401
    assert error_of(response)["status"] == "UNAUTHENTICATED"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")

    response = httpx.get(f"{docs.url}v1/documents/doc-1", verify=TLS)
    assert response.status_code == 401
    assert "missing required authentication credential" in error_of(response)["message"]


def test_a_ready_access_token_works_with_google_oauth2_credentials(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs
) -> None:
    docs.add_document("doc-1", "Interviews")
    credentials = google.oauth2.credentials.Credentials(auth.issue_token())  # GOOGLE_OAUTH_ACCESS_TOKEN
    headers: dict[str, str] = {}
    credentials.apply(headers)
    response = httpx.get(f"{docs.url}v1/documents/doc-1", headers=headers, verify=TLS)
    assert response.status_code == 200
    assert auth.count("POST /token") == 0


def test_token_endpoint_dropping_the_connection_is_a_transport_error(
    auth: FakeGoogleAuth, key_file: Path
) -> None:
    auth.inject(Fault.drop(), match="POST /token")
    with pytest.raises(google.auth.exceptions.TransportError):
        service_account_token(key_file)
    assert service_account_token(key_file) in auth.valid_tokens


# -- STS (workload identity federation) ----------------------------------------------------------------------
def external_account_file(auth: FakeGoogleAuth, tmp_path: Path, **options: Any) -> Path:
    info = auth.external_account_info(tmp_path / "github-oidc-token", **options)
    path = tmp_path / "external-account.json"
    path.write_text(json.dumps(info))
    return path


def external_account_credentials(path: Path) -> google.auth.credentials.Credentials:
    """What production should do with a workload identity federation file: the type-specific loader."""
    credentials = identity_pool.Credentials.from_file(str(path), scopes=SCOPES)
    credentials.refresh(google.auth.transport.requests.Request())
    return credentials


def test_external_account_exchanges_the_oidc_token_at_sts(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs, tmp_path: Path
) -> None:
    docs.add_document("doc-1", "Interviews")
    credentials = external_account_credentials(external_account_file(auth, tmp_path))

    grant = auth.grants[credentials.token]
    assert grant.kind == "federated"
    assert grant.principal.endswith("/subject/repo:acme/interviews:ref:refs/heads/main")
    assert grant.scopes == frozenset(SCOPES)
    sts = next(r for r in auth.requests if r.line == "POST /v1/token").form()
    assert sts["audience"] == auth.audience
    assert sts["subject_token_type"] == "urn:ietf:params:oauth:token-type:jwt"
    assert sts["subject_token"] == (tmp_path / "github-oidc-token").read_text()
    with client(docs, credentials.token) as api:
        assert api.get("v1/documents/doc-1").status_code == 200


def test_external_account_with_impersonation_and_a_json_token_file(
    auth: FakeGoogleAuth, tmp_path: Path
) -> None:
    credentials = external_account_credentials(
        external_account_file(auth, tmp_path, impersonate=True, json_format=True)
    )
    grant = auth.grants[credentials.token]
    assert (grant.kind, grant.principal) == ("service_account", auth.client_email)
    assert auth.count("POST /v1/token") == 1
    assert auth.count("POST /v1/projects/-/serviceAccounts/*:generateAccessToken") == 1


def test_sts_refuses_a_bad_subject_token(auth: FakeGoogleAuth, tmp_path: Path) -> None:
    path = external_account_file(auth, tmp_path)
    token_file = tmp_path / "github-oidc-token"
    for bad, message in (
        (auth.mint_subject_token(aud="https://iam.googleapis.com/some/other/provider"), "audience"),
        (auth.mint_subject_token(exp=int(time.time()) - 10), "expired"),
        (auth.mint_subject_token(iss="https://evil.example.com"), "issuer"),
        (token_file.read_text()[:-4] + "AAAA", "signature"),
    ):
        token_file.write_text(bad)
        with pytest.raises(google.auth.exceptions.OAuthError, match=message):
            external_account_credentials(path)
    assert not auth.valid_tokens


def test_load_credentials_from_file_works_but_is_deprecated_and_looks_up_the_project(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs, tmp_path: Path
) -> None:
    """google.auth.load_credentials_from_file warns (DeprecationWarning in google-auth 2.63), and with
    scopes and a projects/<number> audience it refreshes the token and then GETs
    https://cloudresourcemanager.googleapis.com/v1/projects/<number> for the project id. Without scopes it
    stays local; scopes are then added with with_scopes_if_required."""
    docs.add_document("doc-1", "Interviews")
    path = external_account_file(auth, tmp_path)
    with pytest.warns(DeprecationWarning, match="load_credentials_from_file"):
        credentials, project = google.auth.load_credentials_from_file(str(path))
    assert project is None
    scoped = google.auth.credentials.with_scopes_if_required(credentials, SCOPES)
    scoped.refresh(google.auth.transport.requests.Request())
    with client(docs, scoped.token) as api:
        assert api.get("v1/documents/doc-1").status_code == 200

    class LocalOnly(google.auth.transport.requests.Request):
        refused: list[str] = []  # noqa: RUF012 - one instance

        def __call__(self, url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith(auth.url):
                self.refused.append(url)
                raise google.auth.exceptions.TransportError(f"refused {url}")
            return super().__call__(url, *args, **kwargs)

    guard = LocalOnly()
    with (
        pytest.warns(DeprecationWarning, match="load_credentials_from_file"),
        pytest.raises(google.auth.exceptions.TransportError),
    ):
        google.auth.load_credentials_from_file(str(path), scopes=SCOPES, request=guard)
    assert auth.count("POST /v1/token") == 2
    assert guard.refused == ["https://cloudresourcemanager.googleapis.com/v1/projects/123456789012"]


# -- Docs: the document model --------------------------------------------------------------------------------
def test_documents_get_returns_paragraphs_with_utf16_indexes(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs
) -> None:
    docs.add_document("doc-1", "Interviews", "User interviews\nJoe 😀\n")
    with client(docs, auth.issue_token()) as api:
        document = get_doc(api, "doc-1")
    assert document["documentId"] == "doc-1"
    assert document["title"] == "Interviews"
    assert document["revisionId"]
    first, heading, joe = document["body"]["content"]
    assert "startIndex" not in first  # 0, left out as proto3 JSON does
    assert first["endIndex"] == 1
    assert "sectionBreak" in first
    assert (heading["startIndex"], heading["endIndex"]) == (1, 17)
    assert heading["paragraph"]["elements"][0]["textRun"]["content"] == "User interviews\n"
    assert (joe["startIndex"], joe["endIndex"]) == (17, 17 + 7)  # "Joe 😀\n": the emoji counts two
    assert "namedRanges" not in document


def test_append_an_entry_and_name_it_in_one_batch(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    # endOfSegmentLocation inserts before the body's final newline: into the last paragraph. A doc that
    # ends in a heading gets the entry glued to it, so this one ends with an empty paragraph.
    docs.add_document("glued", "Interviews", "User interviews\n")
    docs.add_document("doc-1", "Interviews", "User interviews\n\n")
    docs.document("doc-1").ends_grow = False  # ranges that end where the next entry goes stay apart
    first_revision = docs.revision("doc-1")
    with client(docs, auth.issue_token()) as api:
        append_entry(api, "glued", "2026-11-20-joe", "Joe, Acme\n")
        assert docs.text("glued") == "User interviewsJoe, Acme\n\n"
        joe_id = append_entry(api, "doc-1", "2026-11-20-joe", "Joe, Acme\nUses funnels daily.\n")
        ann_id = append_entry(api, "doc-1", "2026-11-21-ann", "Ann, Initech\nWants cohorts.\n")
        document = get_doc(api, "doc-1")

    assert (
        docs.text("doc-1")
        == "User interviews\nJoe, Acme\nUses funnels daily.\nAnn, Initech\nWants cohorts.\n\n"
    )
    assert docs.range_text("doc-1", "feedbackloop:2026-11-20-joe") == "Joe, Acme\nUses funnels daily.\n"
    assert docs.range_text("doc-1", "feedbackloop:2026-11-21-ann") == "Ann, Initech\nWants cohorts.\n"
    assert document["revisionId"] != first_revision
    assert document["namedRanges"]["feedbackloop:2026-11-20-joe"] == {
        "name": "feedbackloop:2026-11-20-joe",
        "namedRanges": [
            {
                "namedRangeId": joe_id,
                "name": "feedbackloop:2026-11-20-joe",
                "ranges": [{"startIndex": 17, "endIndex": 47}],
            }
        ],
    }
    ann = document["namedRanges"]["feedbackloop:2026-11-21-ann"]["namedRanges"][0]
    assert ann["namedRangeId"] == ann_id
    assert ann["ranges"] == [{"startIndex": 47, "endIndex": 75}]
    # The paragraphs documents.get returns agree with the ranges.
    starts = [element.get("startIndex", 0) for element in document["body"]["content"]]
    assert 17 in starts
    assert 47 in starts


def test_rewriting_an_entry_moves_the_entries_after_it(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    docs.document("doc-1").ends_grow = False
    with client(docs, auth.issue_token()) as api:
        for name in ("a", "b", "c"):
            append_entry(api, "doc-1", name, f"Entry {name.upper()}\n")
        before = docs.named_ranges("doc-1")
        assert before == {
            "feedbackloop:a": [(1, 9)],
            "feedbackloop:b": [(9, 17)],
            "feedbackloop:c": [(17, 25)],
        }

        # replaceNamedRangeContent: the range now holds exactly the new text, the ones after it move.
        new_b = "Entry B, rewritten 😀\nwith a second line\n"
        response = batch(
            api, "doc-1", {"replaceNamedRangeContent": {"namedRangeName": "feedbackloop:b", "text": new_b}}
        )
        assert response.status_code == 200, response.text
        grown = u16(new_b) - 8
        assert docs.named_ranges("doc-1") == {
            "feedbackloop:a": [(1, 9)],
            "feedbackloop:b": [(9, 9 + u16(new_b))],
            "feedbackloop:c": [(17 + grown, 25 + grown)],
        }
        assert docs.range_text("doc-1", "feedbackloop:b") == new_b
        assert docs.range_text("doc-1", "feedbackloop:c") == "Entry C\n"

        # The delete + insert + createNamedRange way (Google's named-ranges guide): deleting all of a range's
        # text removes the range, so exactly one range is left under the name.
        new_a = "A\n"
        response = batch(
            api,
            "doc-1",
            {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 9}}},
            {"insertText": {"location": {"index": 1}, "text": new_a}},
            {
                "createNamedRange": {
                    "name": "feedbackloop:a",
                    "range": {"startIndex": 1, "endIndex": 1 + u16(new_a)},
                }
            },
        )
        assert response.status_code == 200, response.text
    ranges = docs.named_ranges("doc-1")
    assert ranges["feedbackloop:a"] == [(1, 3)]
    assert ranges["feedbackloop:b"] == [(3, 3 + u16(new_b))]
    assert docs.text("doc-1") == "A\n" + new_b + "Entry C\n\n"
    assert docs.range_text("doc-1", "feedbackloop:c") == "Entry C\n"


def test_text_inserted_at_a_ranges_end_is_taken_in_unless_told_otherwise(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs
) -> None:
    """What Docs does there is not documented: by default the fake takes the worse case for entries
    that follow one another (the range grows over the next one), so code that relies on either fails."""
    docs.add_document("doc-1", "Interviews", "0123456789\n")
    with client(docs, auth.issue_token()) as api:
        assert batch(
            api, "doc-1", {"createNamedRange": {"name": "r", "range": {"startIndex": 4, "endIndex": 8}}}
        )
        assert batch(api, "doc-1", {"insertText": {"location": {"index": 8}, "text": "w"}})
        assert docs.named_ranges("doc-1") == {"r": [(4, 9)]}
        docs.document("doc-1").ends_grow = False
        assert batch(api, "doc-1", {"insertText": {"location": {"index": 9}, "text": "v"}})
        assert docs.named_ranges("doc-1") == {"r": [(4, 9)]}


def test_named_ranges_shift_like_docs(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews", "0123456789\n")
    docs.document("doc-1").ends_grow = False
    with client(docs, auth.issue_token()) as api:
        assert batch(
            api, "doc-1", {"createNamedRange": {"name": "r", "range": {"startIndex": 4, "endIndex": 8}}}
        )
        steps: list[tuple[dict[str, Any], tuple[int, int]]] = [
            ({"insertText": {"location": {"index": 2}, "text": "xx"}}, (6, 10)),  # before: moves
            ({"insertText": {"location": {"index": 6}, "text": "y"}}, (7, 11)),  # at its start: moves
            ({"insertText": {"location": {"index": 8}, "text": "zz"}}, (7, 13)),  # inside: grows
            ({"insertText": {"location": {"index": 13}, "text": "w"}}, (7, 13)),  # at its end: stays out
            (
                {"deleteContentRange": {"range": {"startIndex": 5, "endIndex": 9}}},
                (5, 9),
            ),  # overlaps its start
            (
                {"deleteContentRange": {"range": {"startIndex": 8, "endIndex": 12}}},
                (5, 8),
            ),  # overlaps its end
        ]
        for request, expected in steps:
            response = batch(api, "doc-1", request)
            assert response.status_code == 200, response.text
            assert docs.named_ranges("doc-1") == {"r": [expected]}, request
        assert batch(api, "doc-1", {"deleteContentRange": {"range": {"startIndex": 4, "endIndex": 9}}})
    assert docs.named_ranges("doc-1") == {}  # all of its text went, so did the range


def test_utf16_indexes_with_emoji(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    entry = "Joe 😀 loves funnels 👍🏽\n"
    assert u16(entry) == len(entry) + 3  # 😀, 👍 and the skin tone are outside the BMP
    with client(docs, auth.issue_token()) as api:
        append_entry(api, "doc-1", "joe", entry)
        document = get_doc(api, "doc-1")
        paragraph = document["body"]["content"][1]
        assert (paragraph["startIndex"], paragraph["endIndex"]) == (1, 1 + u16(entry))
        assert docs.range_text("doc-1", "feedbackloop:joe") == entry

        inside_emoji = 1 + u16("Joe ") + 1
        response = batch(api, "doc-1", {"insertText": {"location": {"index": inside_emoji}, "text": "x"}})
        assert response.status_code == 400
        assert "surrogate pair" in error_of(response)["message"]
        response = batch(
            api, "doc-1", {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": inside_emoji}}}
        )
        assert response.status_code == 400
    assert docs.range_text("doc-1", "feedbackloop:joe") == entry


def test_a_batch_with_one_bad_request_changes_nothing(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews", "User interviews\n\n")
    with client(docs, auth.issue_token()) as api:
        append_entry(api, "doc-1", "joe", "Joe\n")
        text, revision, ranges = docs.text("doc-1"), docs.revision("doc-1"), docs.named_ranges("doc-1")
        end = get_doc(api, "doc-1")["body"]["content"][-1]["endIndex"]
        response = batch(
            api,
            "doc-1",
            {"insertText": {"endOfSegmentLocation": {}, "text": "Ann\n"}},
            {
                "createNamedRange": {
                    "name": "feedbackloop:ann",
                    "range": {"startIndex": end - 1, "endIndex": end + 3},
                }
            },
            {
                "deleteContentRange": {"range": {"startIndex": 1, "endIndex": end + 4}}
            },  # takes the final newline
        )
    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Invalid requests[2].deleteContentRange:")
    assert (docs.text("doc-1"), docs.revision("doc-1"), docs.named_ranges("doc-1")) == (
        text,
        revision,
        ranges,
    )


def test_the_final_newline_cannot_be_deleted(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews", "Erase me\n")  # indexes 1..9, the final newline at 9
    with client(docs, auth.issue_token()) as api:
        response = batch(api, "doc-1", {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 10}}})
        assert response.status_code == 400
        assert "newline character at the end of the segment" in error_of(response)["message"]
        response = batch(api, "doc-1", {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 11}}})
        assert response.status_code == 400
        assert "must be less than the end index" in error_of(response)["message"]
        response = batch(api, "doc-1", {"deleteContentRange": {"range": {"startIndex": 1, "endIndex": 9}}})
        assert response.status_code == 200
    assert docs.text("doc-1") == "\n"


def test_insert_must_land_inside_a_paragraph(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews", "abc\n")  # body: indexes 1..5
    with client(docs, auth.issue_token()) as api:
        for index in (0, 5, 99):
            response = batch(api, "doc-1", {"insertText": {"location": {"index": index}, "text": "x"}})
            assert response.status_code == 400, index
        response = batch(api, "doc-1", {"insertText": {"location": {"index": "4"}, "text": "d"}})
        assert response.status_code == 200  # proto3 JSON takes an int32 as a string of digits too
        both = {"location": {"index": 1}, "endOfSegmentLocation": {}, "text": "x"}
        assert batch(api, "doc-1", {"insertText": both}).status_code == 400
        assert (
            batch(api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": ""}}).status_code == 400
        )
        header = {"endOfSegmentLocation": {"segmentId": "kix.header"}, "text": "x"}
        assert batch(api, "doc-1", {"insertText": header}).status_code == 400
    assert docs.text("doc-1") == "abcd\n"


def test_control_characters_are_stripped_from_inserted_text(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs
) -> None:
    docs.add_document("doc-1", "Interviews")
    with client(docs, auth.issue_token()) as api:
        response = batch(api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": "a\r\nb\x07\n"}})
        assert response.status_code == 200
    assert docs.text("doc-1") == "a\nb\n\n"  # a client counting the \r would name the wrong span


def test_stale_required_revision_is_a_failed_precondition(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    with client(docs, auth.issue_token()) as api:
        stale = get_doc(api, "doc-1")["revisionId"]
        assert (
            batch(api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": "x"}}).status_code == 200
        )
        response = batch(
            api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": "y"}}, revision=stale
        )
    assert response.status_code == 400
    assert error_of(response)["status"] == "FAILED_PRECONDITION"
    assert docs.text("doc-1") == "x\n"


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"insertTextt": {"text": "x"}}, "Unknown name \"insertTextt\" at 'requests[0]'"),
        (
            {"insertText": {"text": "x", "endOfSegmentLocation": {}, "bold": True}},
            "Unknown name \"bold\" at 'requests[0].insertText'",
        ),
        (
            {"insertText": {"text": "x", "location": {"index": "two"}}},
            "requests[0].insertText.location.index",
        ),
        ({"replaceAllText": {"replaceText": "x"}}, "FakeGoogleDocs does not model it"),
        ({}, "no request kind"),
        (
            {"insertText": {"text": "x", "endOfSegmentLocation": {}}, "deleteContentRange": {}},
            "Oneof field 'request' is already set",
        ),
        (
            {
                "updateTextStyle": {
                    "range": {"startIndex": 1, "endIndex": 2},
                    "textStyle": {"bold": True, "glow": True},
                    "fields": "bold",
                }
            },
            'Unknown name "glow"',
        ),
        (
            {"updateTextStyle": {"range": {"startIndex": 1, "endIndex": 2}, "textStyle": {"bold": True}}},
            "At least one field must be specified",
        ),
        (
            {"updateParagraphStyle": {"range": {"startIndex": 1, "endIndex": 9}, "fields": "namedStyleType"}},
            "must be less than the end index",
        ),
        ({"deleteNamedRange": {"name": "feedbackloop:nobody"}}, "No named range"),
        ({"deleteNamedRange": {"namedRangeId": "kix.nope"}}, "does not exist"),
        (
            {"createNamedRange": {"name": "", "range": {"startIndex": 1, "endIndex": 2}}},
            "at least 1 character",
        ),
    ],
)
def test_malformed_requests_are_refused(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs, request_body: dict[str, Any], message: str
) -> None:
    docs.add_document("doc-1", "Interviews", "abc\n")
    revision = docs.revision("doc-1")
    with client(docs, auth.issue_token()) as api:
        response = batch(api, "doc-1", request_body)
    assert response.status_code == 400
    assert message in error_of(response)["message"]
    assert docs.revision("doc-1") == revision


def test_styles_delete_named_range_and_empty_batches(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    with client(docs, auth.issue_token()) as api:
        joe_id = append_entry(api, "doc-1", "joe", "Joe\nnotes\n")
        append_entry(api, "doc-1", "ann", "Ann\nnotes\n")
        response = batch(
            api,
            "doc-1",
            {
                "updateParagraphStyle": {
                    "range": {"startIndex": 1, "endIndex": 5},
                    "paragraphStyle": {"namedStyleType": "HEADING_2"},
                    "fields": "namedStyleType",
                }
            },
            {
                "updateTextStyle": {
                    "range": {"startIndex": 1, "endIndex": 4},
                    "textStyle": {"bold": True},
                    "fields": "*",
                }
            },
            {"deleteNamedRange": {"namedRangeId": joe_id}},
            {"deleteNamedRange": {"name": "feedbackloop:ann"}},
        )
        assert response.status_code == 200, response.text
        assert response.json()["replies"] == [{}, {}, {}, {}]
        assert batch(api, "doc-1").status_code == 400  # no requests at all
        assert api.post("v1/documents/doc-1:batchUpdate", content=b"{not json").status_code == 400
    assert docs.named_ranges("doc-1") == {}
    assert docs.text("doc-1") == "Joe\nnotes\nAnn\nnotes\n\n"  # the text stays
    assert [r["kind"] for r in docs.document("doc-1").style_requests] == ["ParagraphStyle", "TextStyle"]


def test_missing_unshared_documents_and_query_parameters(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews", "Hello\n")
    docs.add_document("private", "Not shared", shared=False)
    with client(docs, auth.issue_token()) as api:
        assert error_of(api.get("v1/documents/nope"))["status"] == "NOT_FOUND"
        assert error_of(api.get("v1/documents/private"))["status"] == "PERMISSION_DENIED"
        response = api.get("v1/documents/doc-1", params={"includeTabContent": "true"})  # a typo
        assert response.status_code == 400
        assert "Cannot bind query parameter" in error_of(response)["message"]

        partial = api.get(
            "v1/documents/doc-1", params={"fields": "revisionId,body/content(startIndex,endIndex)"}
        )
        assert partial.status_code == 200
        assert set(partial.json()) == {"revisionId", "body"}
        assert partial.json()["body"]["content"] == [{"endIndex": 1}, {"startIndex": 1, "endIndex": 7}]

        tabs = api.get("v1/documents/doc-1", params={"includeTabsContent": "true"}).json()
        assert "body" not in tabs
        assert tabs["tabs"][0]["documentTab"]["body"]["content"][1]["endIndex"] == 7


# -- Calendar ------------------------------------------------------------------------------------------------
def event_id(interview_id: str) -> str:
    """A client-chosen event id from an interview id: base32hex, lowercase, so only a-v and 0-9."""
    return base64.b32hexencode(interview_id.encode()).decode().lower().rstrip("=")


def call(interview_id: str, day: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": event_id(interview_id),
        "summary": "Web analytics user interview with Joe",
        "description": "Notes: interviews/2026/2026-11-20-web-analytics-joe.md",
        "start": {"dateTime": f"{day}T15:00:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": f"{day}T15:45:00", "timeZone": "Europe/Paris"},
        **extra,
    }


EVENTS = f"calendars/{quote(CALENDAR_ID, safe='')}/events"


def test_insert_with_a_client_chosen_id_then_a_duplicate(
    auth: FakeGoogleAuth, calendar: FakeGoogleCalendar, key_file: Path
) -> None:
    with client(calendar, service_account_token(key_file)) as api:
        response = api.post(EVENTS, json=call("2026-11-20-web-analytics-joe", "2026-11-20"))
        assert response.status_code == 200, response.text
        event = response.json()
        assert event["id"] == event_id("2026-11-20-web-analytics-joe")
        assert (event["status"], event["sequence"], event["kind"]) == ("confirmed", 0, "calendar#event")
        assert event["iCalUID"] == f"{event['id']}@google.com"
        assert event["etag"].startswith('"')
        assert event["creator"] == {"email": auth.client_email}
        assert event["organizer"]["email"] == CALENDAR_ID

        again = api.post(EVENTS, json=call("2026-11-20-web-analytics-joe", "2026-11-21"))
        assert again.status_code == 409
        assert again.json()["error"]["errors"][0]["reason"] == "duplicate"
        # The calendar id also works unencoded (httpx leaves "@" as is in a path).
        assert api.get(f"calendars/{CALENDAR_ID}/events/{event['id']}").status_code == 200
    assert [e["id"] for e in calendar.events(CALENDAR_ID)] == [event["id"]]


@pytest.mark.parametrize("bad_id", ["abc1", "Interview-1", "wxyz01234", "a" * 1025, "2026_11_20"])
def test_ids_outside_base32hex_are_refused(
    auth: FakeGoogleAuth, calendar: FakeGoogleCalendar, bad_id: str
) -> None:
    with client(calendar, auth.issue_token()) as api:
        response = api.post(EVENTS, json={**call("x", "2026-11-20"), "id": bad_id})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid resource id value."
    assert calendar.events(CALENDAR_ID) == []


def test_patch_moves_the_call(auth: FakeGoogleAuth, calendar: FakeGoogleCalendar) -> None:
    with client(calendar, auth.issue_token()) as api:
        created = api.post(EVENTS, json=call("joe", "2026-11-20")).json()
        path = f"{EVENTS}/{created['id']}"
        moved = api.patch(
            path,
            params={"sendUpdates": "all"},
            json={
                "start": {"dateTime": "2026-11-27T15:00:00+01:00"},
                "end": {"dateTime": "2026-11-27T15:45:00+01:00"},
            },
        )
        assert moved.status_code == 200, moved.text
        event = moved.json()
        assert event["sequence"] == 1
        assert event["etag"] != created["etag"]
        assert event["start"] == {"dateTime": "2026-11-27T15:00:00+01:00", "timeZone": "Europe/Paris"}
        assert event["summary"] == created["summary"]  # patch keeps what it does not name
        assert api.get(path).json()["start"]["dateTime"] == "2026-11-27T15:00:00+01:00"

        stale = api.patch(path, headers={"If-Match": created["etag"]}, json={"summary": "x"})
        assert stale.status_code == 412
        same = api.patch(path, headers={"If-Match": event["etag"]}, json={"summary": event["summary"]})
        assert same.status_code == 200
        assert same.json()["sequence"] == 1  # nothing changed
        assert api.get(f"{EVENTS}/{event_id('nobody')}").status_code == 404


def test_delete_leaves_a_cancelled_event_whose_id_stays_taken(
    auth: FakeGoogleAuth, calendar: FakeGoogleCalendar
) -> None:
    with client(calendar, auth.issue_token()) as api:
        created = api.post(EVENTS, json=call("joe", "2026-11-20")).json()
        path = f"{EVENTS}/{created['id']}"
        assert api.delete(path).status_code == 204
        cancelled = api.get(path)
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        assert api.delete(path).status_code == 410
        assert api.post(EVENTS, json=call("joe", "2026-11-20")).status_code == 409
        assert api.get(EVENTS).json()["items"] == []
        assert [e["id"] for e in api.get(EVENTS, params={"showDeleted": "true"}).json()["items"]] == [
            created["id"]
        ]

        restored = api.put(path, json=call("joe", "2026-11-22"))  # update brings it back
        assert restored.status_code == 200, restored.text
        assert restored.json()["status"] == "confirmed"
        assert restored.json()["sequence"] == 1
    assert [e["start"]["dateTime"] for e in calendar.events(CALENDAR_ID)] == ["2026-11-22T15:00:00"]


def test_attendees_need_a_user_not_a_bare_service_account(
    auth: FakeGoogleAuth, calendar: FakeGoogleCalendar, key_file: Path
) -> None:
    attendees = [{"email": "joe@acme.com"}, {"email": "alice@example.com"}]
    with client(calendar, service_account_token(key_file)) as api:
        response = api.post(EVENTS, json=call("joe", "2026-11-20", attendees=attendees))
    assert response.status_code == 403
    assert response.json()["error"]["errors"][0]["reason"] == "forbiddenForServiceAccounts"

    with client(calendar, auth.issue_token(principal="alice@example.com")) as api:
        response = api.post(
            EVENTS, params={"sendUpdates": "all"}, json=call("joe", "2026-11-20", attendees=attendees)
        )
        assert response.status_code == 200, response.text
        assert [a["responseStatus"] for a in response.json()["attendees"]] == ["needsAction", "needsAction"]
        bad = api.post(EVENTS, json=call("ann", "2026-11-20", attendees=[{"email": "not an address"}]))
        assert bad.status_code == 400
    [notification] = calendar.notifications
    assert (notification.action, notification.send_updates) == ("insert", "all")
    assert notification.recipients == ["joe@acme.com", "alice@example.com"]

    # A service account acting for a user through domain-wide delegation may invite.
    auth.domain_wide_delegation = True
    delegated = service_account.Credentials.from_service_account_file(
        str(key_file), scopes=SCOPES, subject="alice@example.com"
    )
    delegated.refresh(google.auth.transport.requests.Request())
    assert auth.grants[delegated.token].kind == "user"
    with client(calendar, delegated.token) as api:
        response = api.post(EVENTS, json=call("ann", "2026-11-21", attendees=attendees))
    assert response.status_code == 200, response.text
    assert response.json()["creator"] == {"email": "alice@example.com"}


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"start": {"dateTime": "2026-11-20T15:00:00"}}, 400, "required"),  # no offset, no time zone
        ({"end": {"dateTime": "2026-11-20T14:00:00", "timeZone": "Europe/Paris"}}, 400, "timeRangeEmpty"),
        ({"end": {"date": "2026-11-21"}}, 400, "invalid"),
        ({"end": None}, 400, "required"),
        ({"start": {"dateTime": "2026-11-20T15:00:00", "timeZone": "Mars/Olympus"}}, 400, "invalid"),
        ({"colour": "blue"}, 400, "invalid"),
    ],
)
def test_event_times_and_fields_are_checked(
    auth: FakeGoogleAuth, calendar: FakeGoogleCalendar, change: dict[str, Any], status: int, reason: str
) -> None:
    body = {k: v for k, v in {**call("joe", "2026-11-20"), **change}.items() if v is not None}
    with client(calendar, auth.issue_token()) as api:
        response = api.post(EVENTS, json=body)
    assert response.status_code == status
    assert response.json()["error"]["errors"][0]["reason"] == reason


def test_calendar_access_and_parameters(auth: FakeGoogleAuth, calendar: FakeGoogleCalendar) -> None:
    calendar.add_calendar("readonly@group.calendar.google.com", access="reader")
    with client(calendar, auth.issue_token()) as api:
        assert (
            api.post(
                "calendars/readonly%40group.calendar.google.com/events", json=call("a", "2026-11-20")
            ).status_code
            == 403
        )
        assert (
            api.post(
                "calendars/unknown%40group.calendar.google.com/events", json=call("a", "2026-11-20")
            ).status_code
            == 404
        )
        assert (
            api.post(EVENTS, params={"sendUpdates": "everyone"}, json=call("a", "2026-11-20")).status_code
            == 400
        )
        assert api.post(EVENTS, params={"notify": "true"}, json=call("a", "2026-11-20")).status_code == 400
        for day in ("2026-11-20", "2026-11-21", "2026-11-22"):
            assert api.post(EVENTS, json=call(day, day)).status_code == 200
        page = api.get(EVENTS, params={"maxResults": 2}).json()
        assert len(page["items"]) == 2
        rest = api.get(EVENTS, params={"maxResults": 2, "pageToken": page["nextPageToken"]}).json()
        assert [e["start"]["dateTime"][:10] for e in rest["items"]] == ["2026-11-22"]
        window = api.get(
            EVENTS, params={"timeMin": "2026-11-21T00:00:00Z", "timeMax": "2026-11-22T00:00:00Z"}
        )
        assert [e["start"]["dateTime"][:10] for e in window.json()["items"]] == ["2026-11-21"]
    with client(calendar, auth.issue_token([DOCS_SCOPE])) as api:
        response = api.get(EVENTS)
    assert response.status_code == 403
    assert response.json()["error"]["errors"][0]["reason"] == "insufficientPermissions"


# -- faults --------------------------------------------------------------------------------------------------
def test_injected_429_with_retry_after_then_success(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    docs.inject(docs_quota_exceeded(retry_after=3), match="POST /v1/documents/*")
    with client(docs, auth.issue_token()) as api:
        limited = batch(api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": "x"}})
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "3"
        assert error_of(limited)["status"] == "RESOURCE_EXHAUSTED"
        assert docs.text("doc-1") == "\n"  # refused before it was applied
        assert (
            batch(api, "doc-1", {"insertText": {"endOfSegmentLocation": {}, "text": "x"}}).status_code == 200
        )
    assert docs.text("doc-1") == "x\n"


def test_injected_503_and_calendar_rate_limit(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs, calendar: FakeGoogleCalendar
) -> None:
    docs.add_document("doc-1", "Interviews")
    docs.inject(docs_unavailable(503))
    calendar.inject(calendar_rate_limited(403, retry_after=1), match="POST *")
    token = auth.issue_token()
    with client(docs, token) as api:
        response = api.get("v1/documents/doc-1")
        assert response.status_code == 503
        assert error_of(response)["status"] == "UNAVAILABLE"
        assert api.get("v1/documents/doc-1").status_code == 200
    with client(calendar, token) as api:
        response = api.post(EVENTS, json=call("joe", "2026-11-20"))
        assert response.status_code == 403
        assert response.json()["error"]["errors"][0]["reason"] == "rateLimitExceeded"
        assert api.post(EVENTS, json=call("joe", "2026-11-20")).status_code == 200


def test_dropped_connection_before_and_after_the_write(auth: FakeGoogleAuth, docs: FakeGoogleDocs) -> None:
    docs.add_document("doc-1", "Interviews")
    docs.inject(Fault.drop(), match="POST /v1/documents/*")
    docs.inject(Fault.drop(), match="POST /v1/documents/*", after=True)
    with client(docs, auth.issue_token()) as api:
        with pytest.raises(httpx.TransportError):
            append_entry(api, "doc-1", "joe", "Joe\n")
        assert docs.named_ranges("doc-1") == {}
        with pytest.raises(httpx.TransportError):
            append_entry(api, "doc-1", "joe", "Joe\n")
        # The second one was applied although the client never heard back: a re-run finds the range.
        assert "feedbackloop:joe" in get_doc(api, "doc-1")["namedRanges"]
    assert docs.text("doc-1") == "Joe\n\n"


def test_a_batch_past_the_size_of_a_google_doc_is_refused_whole(
    auth: FakeGoogleAuth, docs: FakeGoogleDocs
) -> None:
    docs.add_document("doc-1", "Interviews", "0123456789\n")
    docs.max_characters = 15  # 1.02 million in the fake's default, as in Drive's published limits
    with client(docs, auth.issue_token()) as api:
        refused = batch(
            api,
            "doc-1",
            {"insertText": {"location": {"index": 1}, "text": "ab"}},
            {"insertText": {"location": {"index": 1}, "text": "cdefgh"}},
        )
        assert refused.status_code == 400
        assert refused.json()["error"]["status"] == "INVALID_ARGUMENT"
        assert docs.text("doc-1") == "0123456789\n"  # nothing of it applied
        assert (
            batch(api, "doc-1", {"insertText": {"location": {"index": 1}, "text": "abc"}}).status_code == 200
        )
