"""Shopify Admin GraphQL through httpx: issue a gift card, find gift cards again, rewrite a card's note.

Thin: one method per operation, plain return values, the shared retries and budget. Shopify answers
most refusals with HTTP 200 and says why in the body: top-level `errors` (a document the API version
does not know, a missing access scope, `THROTTLED`) or a mutation's `userErrors`. Each becomes a
ServiceError that names the fix. `THROTTLED` is retried after the wait the cost extension gives (the
points missing over the restore rate), through the shared Policy, so tests never sleep.

A gift card's code is money. Shopify shows it once, in giftCardCreate's `giftCardCode`: it is handed
to the caller in `IssuedCard.code`, kept out of `repr`, and never put in a message or an exception.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from feedbackloop.services.http import JsonService
from feedbackloop.services.retry import Budget, Failure, Policy, ServiceError, call, retry_after_seconds

SERVICE = "shopify"
PAGE = 100  # gift cards a page: 2 + 100 x 2 = 202 cost points of the shop's 2,000
KNOWN_VERSIONS = "2025-10 to 2026-07"  # GiftCardCreateInput.initialValue changes in 2026-10

_CARD = "id lastCharacters createdAt note enabled expiresOn initialValue { amount currencyCode }"

CREATE = f"""
mutation IssueReward($input: GiftCardCreateInput!) {{
  giftCardCreate(input: $input) {{
    giftCard {{ {_CARD} }}
    giftCardCode
    userErrors {{ field message code }}
  }}
}}"""

FIND = f"""
query FindRewards($query: String!, $after: String) {{
  shop {{ currencyCode }}
  giftCards(first: {PAGE}, after: $after, query: $query, sortKey: CREATED_AT) {{
    nodes {{ {_CARD} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""

UPDATE_NOTE = f"""
mutation SetRewardNote($id: ID!, $input: GiftCardUpdateInput!) {{
  giftCardUpdate(id: $id, input: $input) {{
    giftCard {{ {_CARD} }}
    userErrors {{ field message }}
  }}
}}"""

_HTTP_FIXES = {
    401: "SHOPIFY_ADMIN_TOKEN is not an Admin API access token of this store: check the secret "
    "(the `shpat_…` token of the store's custom app) and SHOPIFY_STORE",
    402: "the store is frozen (its plan is unpaid): Shopify refuses API calls until it is paid",
    403: "the app may not use this store's Admin API: check that the custom app is installed",
    404: "nothing answers at this address: check SHOPIFY_STORE (your-store.myshopify.com) and "
    f"`shopify_api_version` in [tool.feedbackloop] ({KNOWN_VERSIONS} are known to work)",
    423: "the store is locked: ask its owner to unlock it",
}

_USER_ERROR_FIXES = {
    "GREATER_THAN": "give the reward an amount above 0: `reward.amount`, or `rewards` in [tool.feedbackloop]",
    "GIFT_CARD_LIMIT_EXCEEDED": "lower the amount, or raise the store's gift card limit in Shopify "
    "(Settings → Gift cards)",
    "CUSTOMER_NOT_FOUND": "the Shopify customer does not exist: check the customer id",
    "RECIPIENT_NOT_FOUND": "the Shopify customer does not exist: check the customer id",
    "TOO_LONG": "shorten the value Shopify names (the note holds the interview id and the profile link)",
    "TOO_SHORT": "lengthen the value Shopify names",
    "INVALID": "check `gift_card_expiry_days` in [tool.feedbackloop] (0: the card never expires)",
    "MISSING_ARGUMENT": "this is a bug in feedbackloop: please report it with the message",
    "TAKEN": "a gift card with this code exists already; feedbackloop lets Shopify choose codes",
    "INTERNAL_ERROR": "Shopify failed and created nothing: run again later",
}


@dataclass(frozen=True, slots=True)
class GiftCard:
    """A gift card as feedbackloop sees it: never its code (only its last characters)."""

    id: str
    last_characters: str
    note: str | None
    created_at: datetime
    enabled: bool
    amount: Decimal
    currency: str
    expires_on: date | None = None


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """A card just created, and its code: shown this once by Shopify, and never printed by us."""

    card: GiftCard
    code: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Listing:
    """The gift cards created since a day, and the shop's currency (asked in the same request)."""

    cards: tuple[GiftCard, ...]
    currency: str


class _Refused(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def _classify(error: Exception) -> Failure | None:
    if isinstance(error, _Refused):
        return error.failure
    if isinstance(error, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError):
        return Failure(None, f"no answer ({type(error).__name__})")
    return None


def _card(raw: dict[str, Any]) -> GiftCard:
    value = raw.get("initialValue") or {}
    try:
        amount = Decimal(str(value.get("amount", "0")))
    except InvalidOperation:
        amount = Decimal(0)
    expires = raw.get("expiresOn")
    return GiftCard(
        id=str(raw["id"]),
        last_characters=str(raw.get("lastCharacters") or ""),
        note=raw.get("note"),
        created_at=datetime.fromisoformat(str(raw["createdAt"]).replace("Z", "+00:00")),
        enabled=bool(raw.get("enabled", True)),
        amount=amount,
        currency=str(value.get("currencyCode", "")),
        expires_on=date.fromisoformat(expires) if isinstance(expires, str) else None,
    )


def throttle_wait(body: dict[str, Any]) -> float | None:
    """Seconds until the shop's cost bucket holds what the throttled request asked for, when it says."""
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    numbers: list[float] = []
    for value in (
        cost.get("requestedQueryCost"),
        status.get("currentlyAvailable"),
        status.get("restoreRate"),
    ):
        if not isinstance(value, int | float) or isinstance(value, bool):
            return None
        numbers.append(float(value))
    requested, available, rate = numbers
    return max(0.0, (requested - available) / rate) if rate > 0 else None


def _codes(errors: list[dict[str, Any]]) -> list[str]:
    return [str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)]


class Shopify(JsonService):
    """One store's Admin GraphQL endpoint (`<origin>/admin/api/<version>/graphql.json`)."""

    name = SERVICE

    def __init__(self, token: str, api_url: str, policy: Policy, budget: Budget) -> None:
        super().__init__(api_url, {"X-Shopify-Access-Token": token}, policy, budget)
        self.endpoint = api_url
        self.version = api_url.rstrip("/").split("/")[-2]
        self.served_version: str | None = None  # Shopify serves a retired version as its oldest one

    # -- the shared wrapper ----------------------------------------------------------------------
    def _read(self, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        self.served_version = response.headers.get("x-shopify-api-version") or self.served_version
        if not response.is_success:
            transient = status == 429 or status >= 500
            wait = retry_after_seconds(response.headers, self.policy.clock()) if transient else None
            raise _Refused(
                Failure(status, self.describe_error(response), wait, transient, _HTTP_FIXES.get(status, ""))
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A 200 that is not Shopify's answer (a proxy, a cut connection): the request may have run.
            raise _Refused(Failure(None, "the answer is not JSON"))
        self._note_rate(body)
        errors = body.get("errors")
        if isinstance(errors, list) and "THROTTLED" in _codes(errors):
            # Not executed: the bucket lacked the points. Safe to send again, mutations included.
            raise _Refused(
                Failure(
                    429,
                    "throttled: the store's API cost bucket is empty",
                    throttle_wait(body),
                    transient=True,
                    fix="the next run continues; fewer rewards per run spend fewer points",
                )
            )
        return body

    def _note_rate(self, body: dict[str, Any]) -> None:
        cost = (body.get("extensions") or {}).get("cost") or {}
        available = (cost.get("throttleStatus") or {}).get("currentlyAvailable")
        if isinstance(available, int | float):
            self.budget.rate_left[SERVICE] = int(available)

    def _post(self, what: str, query: str, variables: dict[str, Any], *, idempotent: bool) -> dict[str, Any]:
        """One GraphQL request with retries; its `data`, or a ServiceError that says what to fix."""
        payload = {"query": query, "variables": variables}
        body = call(
            lambda: self._read(self.client.post(self.endpoint, json=payload)),
            service=SERVICE,
            what=what,
            classify=_classify,
            policy=self.policy,
            budget=self.budget,
            idempotent=idempotent,
        )
        errors = body.get("errors")
        if errors:
            raise self._refusal(what, errors)
        data = body.get("data")
        if not isinstance(data, dict):
            raise ServiceError(SERVICE, f"{what}: the answer holds no data", "run again later")
        return data

    def _refusal(self, what: str, errors: Any) -> ServiceError:
        """Top-level `errors` in words: a missing scope names the scope; anything else, the version."""
        found = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
        for error in found:
            extensions = error.get("extensions") or {}
            if extensions.get("code") == "ACCESS_DENIED":
                named = re.search(r"`(\w+)`", str(extensions.get("requiredAccess") or error.get("message")))
                scope = named[1] if named else "write_gift_cards"
                return ServiceError(
                    SERVICE,
                    f"{what}: the app's access token lacks the `{scope}` access scope",
                    f"add `{scope}` (and `read_gift_cards`) to the custom app's Admin API access scopes "
                    "(Shopify admin → Settings → Apps and sales channels → Develop apps → the app → "
                    "Configuration), install the app again, and put its new token in SHOPIFY_ADMIN_TOKEN",
                    403,
                )
        messages = [str(e.get("message", "")).strip() for e in found] or [str(errors)]
        return ServiceError(
            SERVICE,
            f"{what}: Shopify refused the request: {'; '.join(m for m in messages[:3] if m)}",
            f"`shopify_api_version` is {self.version}: feedbackloop's queries are known to work with "
            f"{KNOWN_VERSIONS}; set one of those. If it is one already, please report this as a bug.",
            400,
        )

    # -- gift cards ------------------------------------------------------------------------------
    def gift_cards_since(self, day: date) -> Listing:
        """Every gift card created on or after `day` (Shopify's search cannot look inside notes), and
        the shop's currency: one request per 100 cards."""
        cards: list[GiftCard] = []
        currency = ""
        after: str | None = None
        page = 1
        while True:
            data = self._post(
                f"list the gift cards created since {day.isoformat()} (page {page})",
                FIND,
                {"query": f"created_at:>={day.isoformat()}", "after": after},
                idempotent=True,
            )
            currency = str((data.get("shop") or {}).get("currencyCode") or currency)
            connection = data.get("giftCards") or {}
            cards += [_card(node) for node in connection.get("nodes") or []]
            info = connection.get("pageInfo") or {}
            after = info.get("endCursor")
            if not info.get("hasNextPage") or not after:
                return Listing(tuple(cards), currency)
            page += 1

    def create_gift_card(
        self,
        amount: Decimal,
        note: str,
        expires_on: date | None = None,
        customer_id: str | None = None,
    ) -> IssuedCard:
        """Issue a gift card. Not idempotent: a lost answer raises Ambiguous (look it up by its note)."""
        card_input: dict[str, Any] = {"initialValue": str(amount), "note": note}
        if expires_on is not None:
            card_input["expiresOn"] = expires_on.isoformat()
        if customer_id is not None:
            card_input["customerId"] = customer_id
        data = self._post("issue a gift card", CREATE, {"input": card_input}, idempotent=False)
        payload = data.get("giftCardCreate") or {}
        self._user_errors("issue a gift card", payload)
        raw, code = payload.get("giftCard"), payload.get("giftCardCode")
        if not isinstance(raw, dict) or not isinstance(code, str) or not code:
            raise ServiceError(
                SERVICE,
                "issue a gift card: Shopify's answer has no card or no code",
                "look for the card in Shopify admin (Gift cards) before running again",
                502,
            )
        return IssuedCard(_card(raw), code)

    def set_note(self, card_id: str, note: str | None) -> bool:
        """Rewrite (None: clear) a card's internal note; False when the card does not exist."""
        data = self._post(
            "rewrite a gift card's note",
            UPDATE_NOTE,
            {"id": card_id, "input": {"note": note}},
            idempotent=True,
        )
        payload = data.get("giftCardUpdate") or {}
        errors = payload.get("userErrors") or []
        if any(e.get("field") == ["id"] for e in errors if isinstance(e, dict)):
            return False
        self._user_errors("rewrite a gift card's note", payload)
        return True

    def _user_errors(self, what: str, payload: dict[str, Any]) -> None:
        errors = [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]
        if not errors:
            return
        first = errors[0]
        code = str(first.get("code") or "")
        field_path = [str(p) for p in first.get("field") or [] if p != "input"]
        where = f" (`{'.'.join(field_path)}`)" if field_path else ""
        fix = _USER_ERROR_FIXES.get(code) or (
            _USER_ERROR_FIXES["TAKEN"]
            if "taken" in str(first.get("message", "")).lower()
            else "see Shopify's message"
        )
        raise ServiceError(
            SERVICE,
            f"{what}: Shopify refused it{where}: {first.get('message', 'no reason given')}"
            + (f" [{code}]" if code else ""),
            fix,
            422,
        )
