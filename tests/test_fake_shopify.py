"""The Shopify fake, exercised through httpx the way feedbackloop's adapter talks to Shopify."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from fakes.server import Fault
from fakes.shopify import INVALID_TOKEN_BODY, FakeShopify

START = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)

CREATE = """
mutation CreateReward($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard {
      id
      lastCharacters
      maskedCode
      note
      expiresOn
      createdAt
      enabled
      initialValue { amount currencyCode }
      balance { amount currencyCode }
      customer { id }
    }
    giftCardCode
    userErrors { field message code }
  }
}
"""

FIND = """
query FindRewards($query: String!, $after: String) {
  giftCards(first: 50, after: $after, query: $query, sortKey: CREATED_AT) {
    nodes { id note createdAt lastCharacters initialValue { amount } }
    pageInfo { hasNextPage endCursor }
  }
}
"""

UPDATE = """
mutation ClearNote($id: ID!, $input: GiftCardUpdateInput!) {
  giftCardUpdate(id: $id, input: $input) {
    giftCard { id note expiresOn }
    userErrors { field message }
  }
}
"""

DEACTIVATE = """
mutation Deactivate($id: ID!) {
  giftCardDeactivate(id: $id) {
    giftCard { id enabled deactivatedAt }
    userErrors { field message code }
  }
}
"""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def shop(clock: Clock) -> Iterator[FakeShopify]:
    fake = FakeShopify(clock=clock)
    with fake:
        yield fake


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module: building one (its TLS context) costs more than a test."""
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def client(shop: FakeShopify, http: httpx.Client) -> httpx.Client:
    http.headers["X-Shopify-Access-Token"] = shop.token
    return http


def gql(client: httpx.Client, shop: FakeShopify, document: str, /, **variables: Any) -> dict[str, Any]:
    response = client.post(shop.graphql_url, json={"query": document, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def create(client: httpx.Client, shop: FakeShopify, **input_: Any) -> dict[str, Any]:
    payload: dict[str, Any] = gql(client, shop, CREATE, input=input_)["data"]["giftCardCreate"]
    return payload


def find_by_note(client: httpx.Client, shop: FakeShopify, since: str, note: str) -> list[dict[str, Any]]:
    """What feedbackloop does before issuing: list cards created since a date, compare notes here."""
    found: list[dict[str, Any]] = []
    after = None
    while True:
        page = gql(client, shop, FIND, query=f"created_at:>='{since}'", after=after)["data"]["giftCards"]
        found += [node for node in page["nodes"] if node["note"] == note]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


# -- creating and finding again ----------------------------------------------------------------------


def test_create_returns_the_card_and_its_code_once(shop: FakeShopify, client: httpx.Client) -> None:
    payload = create(client, shop, initialValue="25.00", note="feedbackloop:2026-11-20-web-analytics-joe")

    assert payload["userErrors"] == []
    card, code = payload["giftCard"], payload["giftCardCode"]
    assert re.fullmatch(r"[a-z0-9]{16}", code)
    assert card["id"].startswith("gid://shopify/GiftCard/")
    assert card["lastCharacters"] == code[-4:]
    assert card["maskedCode"] == f"•••• •••• •••• {code[-4:]}"
    assert card["initialValue"] == {"amount": "25.0", "currencyCode": "USD"}
    assert card["balance"] == {"amount": "25.0", "currencyCode": "USD"}
    assert card["createdAt"] == "2026-11-20T09:30:00Z"
    assert card["enabled"] is True
    assert card["expiresOn"] is None
    assert card["customer"] is None
    assert shop.issued_codes == [code]
    [stored] = shop.gift_cards()
    assert stored["note"] == "feedbackloop:2026-11-20-web-analytics-joe"
    assert code not in json.dumps(stored)


def test_explicit_code_is_normalised_and_echoed_lower_case(shop: FakeShopify, client: httpx.Client) -> None:
    payload = create(client, shop, initialValue="5", code="FEED-BACK LOOP1")
    assert payload["giftCardCode"] == "feedbackloop1"
    assert payload["giftCard"]["lastCharacters"] == "oop1"


def test_a_card_is_found_again_by_creation_date_and_note(
    shop: FakeShopify, client: httpx.Client, clock: Clock
) -> None:
    shop.add_gift_card(note="feedbackloop:2026-10-02-old", created_at=datetime(2026, 10, 2, tzinfo=UTC))
    create(client, shop, initialValue="30", note="feedbackloop:2026-11-20-joe")
    clock.advance(3600)
    create(client, shop, initialValue="30", note="feedbackloop:2026-11-20-ann")

    assert [c["note"] for c in find_by_note(client, shop, "2026-11-20", "feedbackloop:2026-11-20-joe")] == [
        "feedbackloop:2026-11-20-joe"
    ]
    assert find_by_note(client, shop, "2026-11-21", "feedbackloop:2026-11-20-joe") == []
    assert find_by_note(client, shop, "2026-11-01", "feedbackloop:2026-10-02-old") == []


def test_created_at_filters_combine_with_and_and_ignore_other_terms(
    shop: FakeShopify, client: httpx.Client
) -> None:
    for day in (1, 10, 20, 30):
        shop.add_gift_card(note=f"day-{day}", created_at=datetime(2026, 11, day, 12, tzinfo=UTC))

    def notes(query: str) -> list[str]:
        body = gql(client, shop, FIND, query=query)
        return [n["note"] for n in body["data"]["giftCards"]["nodes"]]

    assert notes("created_at:>=2026-11-10 AND created_at:<2026-11-30") == ["day-10", "day-20"]
    assert notes("created_at:>'2026-11-10' AND created_at:<='2026-11-20'") == ["day-20"]
    assert notes('created_at:>="2026-11-20T12:00:00Z"') == ["day-20", "day-30"]
    assert notes("created_at:>2026-11-20T12:00:00+00:00") == ["day-30"]
    assert notes("created_at:2026-11-10") == ["day-10"]
    # terms Shopify cannot use for this are ignored, not errors
    assert notes("note:day-10 AND created_at:>=2026-11-20 AND feedbackloop") == ["day-20", "day-30"]
    assert notes("") == ["day-1", "day-10", "day-20", "day-30"]


def test_pagination_walks_every_page_with_opaque_cursors(shop: FakeShopify, client: httpx.Client) -> None:
    ids = [shop.add_gift_card(note=f"n{i}", created_at=START + timedelta(minutes=i)) for i in range(7)]
    query = """
    query Page($after: String) {
      giftCards(first: 3, after: $after) {
        edges { cursor node { id } }
        nodes { id }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }"""
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        connection = gql(client, shop, query, after=after)["data"]["giftCards"]
        pages += 1
        assert [e["node"]["id"] for e in connection["edges"]] == [n["id"] for n in connection["nodes"]]
        assert connection["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert connection["pageInfo"]["endCursor"] == connection["edges"][-1]["cursor"]
        json.loads(base64.b64decode(connection["pageInfo"]["endCursor"]))  # opaque, but Shopify-shaped
        seen += [n["id"] for n in connection["nodes"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == ids

    backwards = (
        """{ giftCards(last: 2, reverse: true) { nodes { id } pageInfo { hasPreviousPage hasNextPage } } }"""
    )
    connection = gql(client, shop, backwards)["data"]["giftCards"]
    assert [n["id"] for n in connection["nodes"]] == [ids[1], ids[0]]
    assert connection["pageInfo"] == {"hasPreviousPage": True, "hasNextPage": False}


def test_connection_without_first_or_last_is_an_error(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(client, shop, "{ giftCards { nodes { id } } }")
    assert body["data"] is None
    assert body["errors"][0]["message"] == "you must provide one of first or last"
    assert body["errors"][0]["path"] == ["giftCards"]


def test_a_bad_cursor_is_refused(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(client, shop, '{ giftCards(first: 2, after: "bm90IGEgY3Vyc29y") { nodes { id } } }')
    assert body["errors"][0]["message"] == "Invalid cursor for current pagination sort."


def test_count_and_configuration_and_shop(shop: FakeShopify, client: httpx.Client) -> None:
    shop.add_gift_card(created_at=START)
    body = gql(
        client,
        shop,
        """{ giftCardsCount(query: "created_at:>=2026-11-01") { count precision }
             giftCardConfiguration { issueLimit { amount currencyCode } }
             shop { name currencyCode } }""",
    )
    assert body["data"] == {
        "giftCardsCount": {"count": 1, "precision": "EXACT"},
        "giftCardConfiguration": {"issueLimit": {"amount": "2000.0", "currencyCode": "USD"}},
        "shop": {"name": "feedbackloop-test", "currencyCode": "USD"},
    }


# -- userErrors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("input_", "expected"),
    [
        ({"initialValue": "0"}, (["input", "initialValue"], "GREATER_THAN", "must be greater than 0")),
        ({"initialValue": "-5"}, (["input", "initialValue"], "GREATER_THAN", "must be greater than 0")),
        (
            {"initialValue": "2000.01"},
            (["input", "initialValue"], "GIFT_CARD_LIMIT_EXCEEDED", "can't exceed $2,000.00 USD"),
        ),
        (
            {"initialValue": "10", "code": "abc"},
            (["input", "code"], "TOO_SHORT", "Code must be at least 8 characters long"),
        ),
        (
            {"initialValue": "10", "code": "x" * 21},
            (["input", "code"], "TOO_LONG", "Code must be at most 20 characters long"),
        ),
        (
            {"initialValue": "10", "code": "bad!code"},
            (["input", "code"], "INVALID", "Code can only contain letters(a-z) and numbers(0-9)"),
        ),
        (
            {"initialValue": "10", "customerId": "gid://shopify/Customer/999999999999", "code": "abc"},
            (["input", "customerId"], "CUSTOMER_NOT_FOUND", "The customer could not be found."),
        ),
        (
            {"initialValue": "10", "expiresOn": "2026-11-19"},
            (["input", "expiresOn"], "INVALID", "Expires on must be today or in the future"),
        ),
        (
            {"initialValue": "10", "note": "n" * 5001},
            (["input", "note"], "TOO_LONG", "Note is too long (maximum is 5000 characters)"),
        ),
        (
            {"initialValue": "10", "recipientAttributes": {"id": "gid://shopify/Customer/1"}},
            (["input", "recipientAttributes", "id"], "RECIPIENT_NOT_FOUND", "Recipient could not be found"),
        ),
    ],
)
def test_create_user_errors(
    shop: FakeShopify, client: httpx.Client, input_: dict[str, Any], expected: tuple[list[str], str, str]
) -> None:
    payload = create(client, shop, **input_)
    field, code, message = expected
    assert payload == {
        "giftCard": None,
        "giftCardCode": None,
        "userErrors": [{"field": field, "message": message, "code": code}],
    }
    assert shop.gift_cards() == []
    assert shop.issued_codes == []


def test_a_code_already_used_is_taken_with_a_null_code(shop: FakeShopify, client: httpx.Client) -> None:
    assert create(client, shop, initialValue="10", code="parityokmowpzlrz")["userErrors"] == []
    payload = create(client, shop, initialValue="10", code="PARITYOKMOWPZLRZ")
    assert payload["userErrors"] == [
        {"field": ["input", "code"], "message": "Code has already been taken", "code": None}
    ]
    assert len(shop.gift_cards()) == 1


def test_the_limit_and_today_are_accepted(shop: FakeShopify, client: httpx.Client) -> None:
    customer = shop.add_customer("Joe")
    payload = create(client, shop, initialValue="2000", expiresOn="2026-11-20", customerId=customer)
    assert payload["userErrors"] == []
    assert payload["giftCard"]["customer"] == {"id": customer}
    assert payload["giftCard"]["expiresOn"] == "2026-11-20"


def test_a_queued_user_error_is_answered_once(shop: FakeShopify, client: httpx.Client) -> None:
    shop.queue_user_error("Unexpected internal error happened.", field=None, code="INTERNAL_ERROR")
    payload = create(client, shop, initialValue="10")
    assert payload["userErrors"] == [
        {"field": None, "message": "Unexpected internal error happened.", "code": "INTERNAL_ERROR"}
    ]
    assert shop.gift_cards() == []
    assert create(client, shop, initialValue="10")["userErrors"] == []


# -- update and deactivate -----------------------------------------------------------------------------


def test_update_clears_a_note_and_reports_its_errors(shop: FakeShopify, client: httpx.Client) -> None:
    card_id = create(client, shop, initialValue="10", note="feedbackloop:x", expiresOn="2027-01-01")[
        "giftCard"
    ]["id"]

    cleared = gql(client, shop, UPDATE, id=card_id, input={"note": None})["data"]["giftCardUpdate"]
    assert cleared == {"giftCard": {"id": card_id, "note": None, "expiresOn": "2027-01-01"}, "userErrors": []}
    assert shop.gift_cards()[0]["note"] is None

    missing = gql(client, shop, UPDATE, id="gid://shopify/GiftCard/1", input={"note": "x"})["data"][
        "giftCardUpdate"
    ]
    assert missing == {
        "giftCard": None,
        "userErrors": [{"field": ["id"], "message": "The gift card could not be found."}],
    }

    empty = gql(client, shop, UPDATE, id=card_id, input={})["data"]["giftCardUpdate"]
    assert empty["userErrors"] == [
        {"field": ["input"], "message": "At least one argument is required in the input."}
    ]

    # GiftCardUpdatePayload.userErrors is the generic UserError: it has no `code`
    body = gql(
        client,
        shop,
        "mutation($id: ID!) { giftCardUpdate(id: $id, input: {note: null}) { userErrors { code } } }",
        id=card_id,
    )
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"


def test_deactivate_then_protected_fields_are_refused(
    shop: FakeShopify, client: httpx.Client, clock: Clock
) -> None:
    card_id = create(client, shop, initialValue="10", note="feedbackloop:x")["giftCard"]["id"]
    clock.advance(60)
    payload = gql(client, shop, DEACTIVATE, id=card_id)["data"]["giftCardDeactivate"]
    assert payload == {
        "giftCard": {"id": card_id, "enabled": False, "deactivatedAt": "2026-11-20T09:31:00Z"},
        "userErrors": [],
    }
    refused = gql(client, shop, UPDATE, id=card_id, input={"expiresOn": "2099-12-31"})["data"][
        "giftCardUpdate"
    ]
    assert refused["userErrors"] == [
        {"field": ["input", "expiresOn"], "message": "The gift card is deactivated."}
    ]
    # the note can still be cleared
    assert (
        gql(client, shop, UPDATE, id=card_id, input={"note": None})["data"]["giftCardUpdate"]["userErrors"]
        == []
    )

    missing = gql(client, shop, DEACTIVATE, id="gid://shopify/GiftCard/1")["data"]["giftCardDeactivate"]
    assert missing["userErrors"] == [
        {"field": ["id"], "message": "The gift card could not be found.", "code": "GIFT_CARD_NOT_FOUND"}
    ]


# -- refusals: schema, auth, scopes, versions ----------------------------------------------------------


def test_syntax_error_is_refused_like_shopify(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(client, shop, "query Broken {\n  shop {\n    id\n")
    assert "data" not in body
    assert "extensions" not in body
    [error] = body["errors"]
    assert error["message"].startswith("syntax error, unexpected end of file at [")
    assert error["extensions"] == {"code": "PARSE_ERROR"}
    assert error["locations"]


def test_unknown_field_is_refused_with_its_path(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(
        client,
        shop,
        "query Find {\n  giftCards(first: 1) {\n    nodes {\n      id\n      code\n    }\n  }\n}",
    )
    assert body == {
        "errors": [
            {
                "message": "Field 'code' doesn't exist on type 'GiftCard'",
                "locations": [{"line": 5, "column": 7}],
                "path": ["query Find", "giftCards", "nodes", "code"],
                "extensions": {"code": "undefinedField", "typeName": "GiftCard", "fieldName": "code"},
            }
        ]
    }


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ('{ giftCards(first: "ten") { nodes { id } } }', "argumentLiteralsIncompatible"),
        ("{ giftCards(first: 1, sortKey: NOPE) { nodes { id } } }", "argumentLiteralsIncompatible"),
        ("{ giftCards(first: 1, noteContains: 1) { nodes { id } } }", "argumentNotAccepted"),
        ("{ giftCard { id } }", "missingRequiredArguments"),
        (
            'mutation { giftCardCreate(input: {note: "x"}) { giftCard { id } } }',
            "missingRequiredInputObjectAttribute",
        ),
        (
            'mutation { giftCardCreate(input: {initialValue: "x1"}) { giftCard { id } } }',
            "argumentLiteralsIncompatible",
        ),
        (
            "mutation { giftCardCreate(input: {initialValue: 1, amount: 2}) { giftCard { id } } }",
            "argumentNotAccepted",
        ),
        ("{ shop }", "selectionMismatch"),
        ("{ shop { name { x } } }", "selectionMismatch"),
        ("query($unused: Int) { shop { name } }", "variableNotUsed"),
    ],
)
def test_invalid_documents_are_refused(
    shop: FakeShopify, client: httpx.Client, query: str, code: str
) -> None:
    body = gql(client, shop, query)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == code
    assert body["errors"][0]["locations"]
    assert shop.gift_cards() == []


def test_invalid_variables_are_refused(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(client, shop, CREATE, input={"note": "x", "initialValue": "ten", "amount": 1})
    [error] = body["errors"]
    assert error["message"].startswith(
        "Variable $input of type GiftCardCreateInput! was provided invalid value for "
    )
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert {tuple(p["path"]) for p in error["extensions"]["problems"]} == {("amount",), ("initialValue",)}

    body = gql(client, shop, CREATE)
    assert (
        body["errors"][0]["message"]
        == "Variable $input of type GiftCardCreateInput! was provided invalid value"
    )
    assert body["errors"][0]["extensions"]["problems"] == [
        {"path": [], "explanation": "Expected value to not be null"}
    ]

    body = gql(client, shop, CREATE, input={"initialValue": "10", "expiresOn": "20/11/2026"})
    assert body["errors"][0]["extensions"]["problems"] == [
        {"path": ["expiresOn"], "explanation": 'Could not coerce value "20/11/2026" to Date'}
    ]
    assert shop.gift_cards() == []


@pytest.mark.parametrize("headers", [{}, {"X-Shopify-Access-Token": "shpat_wrong"}])
def test_a_missing_or_wrong_token_is_401(
    shop: FakeShopify, http: httpx.Client, headers: dict[str, str]
) -> None:
    http.headers.pop("X-Shopify-Access-Token", None)
    response = http.post(shop.graphql_url, headers=headers, json={"query": "{ shop { name } }"})
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_BODY


def test_a_body_without_query_is_400(shop: FakeShopify, client: httpx.Client) -> None:
    response = client.post(
        shop.graphql_url, content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"errors": {"query": "Required parameter missing or invalid"}}


def test_versions(shop: FakeShopify, client: httpx.Client) -> None:
    query = {"query": "{ shop { name } }"}
    current = client.post(shop.graphql_url_for("2026-07"), json=query)
    assert current.headers["X-Shopify-API-Version"] == "2026-07"
    retired = client.post(shop.graphql_url_for("2024-01"), json=query)
    assert retired.status_code == 200
    assert retired.headers["X-Shopify-API-Version"] == "2025-10"  # falls forward to the oldest supported
    for unknown in ("2099-01", "2026-02", "latest", "unstable"):
        response = client.post(shop.graphql_url_for(unknown), json=query)
        assert response.status_code == 404, unknown
        assert response.json() == {"errors": "Not Found"}


def test_access_denied_without_the_write_scope(clock: Clock, http: httpx.Client) -> None:
    shop = FakeShopify(scopes={"read_gift_cards"}, clock=clock)
    with shop:
        response = http.post(
            shop.graphql_url,
            headers={"X-Shopify-Access-Token": shop.token},
            json={"query": CREATE, "variables": {"input": {"initialValue": "10"}}},
        )
        body = response.json()
        assert response.status_code == 200
        assert body["data"] == {"giftCardCreate": None}
        [error] = body["errors"]
        assert error["message"] == (
            "Access denied for giftCardCreate field. Required access: `write_gift_cards` access scope."
        )
        assert error["path"] == ["giftCardCreate"]
        assert error["extensions"] == {
            "code": "ACCESS_DENIED",
            "documentation": "https://shopify.dev/api/usage/access-scopes",
            "requiredAccess": "`write_gift_cards` access scope.",
        }
        assert body["extensions"]["cost"]["requestedQueryCost"] == 10
        assert shop.gift_cards() == []


def test_access_denied_without_any_gift_card_scope_but_write_implies_read(
    clock: Clock, http: httpx.Client
) -> None:
    shop = FakeShopify(scopes={"read_customers"}, clock=clock)
    with shop:
        body = http.post(
            shop.graphql_url,
            headers={"X-Shopify-Access-Token": shop.token},
            json={"query": FIND, "variables": {"query": ""}},
        ).json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["requiredAccess"] == "`read_gift_cards` access scope."
    shop = FakeShopify(scopes={"write_gift_cards"}, clock=clock)
    with shop:
        body = http.post(
            shop.graphql_url,
            headers={"X-Shopify-Access-Token": shop.token},
            json={"query": FIND, "variables": {"query": ""}},
        ).json()
        assert "errors" not in body


# -- throttling and cost -------------------------------------------------------------------------------


def test_every_executed_answer_carries_the_cost(shop: FakeShopify, client: httpx.Client) -> None:
    body = gql(client, shop, "{ shop { name } }")
    assert body["extensions"] == {
        "cost": {
            "requestedQueryCost": 1,
            "actualQueryCost": 1,
            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 1999, "restoreRate": 100},
        }
    }
    created = gql(client, shop, CREATE, input={"initialValue": "5"})
    assert created["extensions"]["cost"]["requestedQueryCost"] == 10
    assert created["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1989


def test_throttle_answers_200_throttled_with_the_cost(shop: FakeShopify, client: httpx.Client) -> None:
    shop.throttle()
    response = client.post(
        shop.graphql_url, json={"query": CREATE, "variables": {"input": {"initialValue": "5"}}}
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" not in body
    assert body["errors"] == [
        {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"},
        }
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 10
    assert body["extensions"]["cost"]["actualQueryCost"] is None
    assert set(body["extensions"]["cost"]["throttleStatus"]) == {
        "maximumAvailable",
        "currentlyAvailable",
        "restoreRate",
    }
    assert shop.gift_cards() == []
    assert create(client, shop, initialValue="5")["userErrors"] == []


def test_an_empty_bucket_throttles_until_it_restores(
    shop: FakeShopify, client: httpx.Client, clock: Clock
) -> None:
    shop.bucket.available = 5
    shop.bucket.updated = clock.now
    body = gql(client, shop, CREATE, input={"initialValue": "5"})
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 5
    clock.advance(0.05)  # 100 points a second: 5 more points
    assert (
        gql(client, shop, CREATE, input={"initialValue": "5"})["data"]["giftCardCreate"]["userErrors"] == []
    )


# -- faults: exactly once ------------------------------------------------------------------------------


def test_dropped_connection_after_the_card_was_made(shop: FakeShopify, client: httpx.Client) -> None:
    """The client sees an error but the card exists: finding it by note before retrying avoids a double."""
    note = "feedbackloop:2026-11-20-web-analytics-joe"
    shop.inject(Fault.drop(), match="POST /admin/api/*/graphql.json", after=True)
    with pytest.raises(httpx.TransportError):
        client.post(
            shop.graphql_url,
            json={"query": CREATE, "variables": {"input": {"initialValue": "30", "note": note}}},
        )

    assert len(shop.gift_cards()) == 1
    assert len(shop.issued_codes) == 1  # issued, and lost with the connection
    [found] = find_by_note(client, shop, "2026-11-20", note)
    assert found["id"] == shop.gift_cards()[0]["id"]


def test_a_refused_request_changes_nothing(shop: FakeShopify, client: httpx.Client) -> None:
    shop.inject(Fault.status(503, body={"errors": "Service Unavailable"}))
    response = client.post(
        shop.graphql_url, json={"query": CREATE, "variables": {"input": {"initialValue": "30"}}}
    )
    assert response.status_code == 503
    assert shop.gift_cards() == []


def test_no_output_but_the_create_answer_holds_the_code(shop: FakeShopify, client: httpx.Client) -> None:
    """Every other answer and every accessor can be searched for a leak of `issued_codes`."""
    outputs: list[str] = []
    created = client.post(
        shop.graphql_url, json={"query": CREATE, "variables": {"input": {"initialValue": "30", "note": "n"}}}
    )
    card_id = created.json()["data"]["giftCardCreate"]["giftCard"]["id"]
    for query, variables in (
        (FIND, {"query": "created_at:>=2026-11-01"}),
        ("query($id: ID!) { giftCard(id: $id) { id lastCharacters maskedCode note } }", {"id": card_id}),
        (UPDATE, {"id": card_id, "input": {"note": None}}),
        (DEACTIVATE, {"id": card_id}),
    ):
        outputs.append(client.post(shop.graphql_url, json={"query": query, "variables": variables}).text)
    outputs.append(json.dumps(shop.gift_cards()))
    outputs.append(repr([(r.line, r.body) for r in shop.requests]))
    [code] = shop.issued_codes
    assert code in created.text
    for output in outputs:
        assert code not in output


def test_seeded_cards_never_hand_out_codes(shop: FakeShopify, client: httpx.Client) -> None:
    shop.add_gift_card(note="seed", created_at=START, expires_on=date(2027, 1, 1))
    assert shop.issued_codes == []
    [node] = gql(client, shop, FIND, query="")["data"]["giftCards"]["nodes"]
    assert node["note"] == "seed"
