"""A stateful fake of the Shopify Admin GraphQL API, gift cards only, served over HTTP on 127.0.0.1.

Requests are executed for real with graphql-core against `specs/shopify-admin-giftcards.graphql`, a
slice of Shopify's schema, so unknown fields, wrong argument types, syntax errors and bad variables
are refused the way Shopify refuses them (HTTP 200, top-level `errors`, graphql-ruby wording and
`extensions.code`). Every executed answer carries `extensions.cost` from a leaky bucket
(2000 points, 100/s restore, as recorded from a real shop) on an injectable clock.

    with FakeShopify() as shop:
        httpx.post(shop.graphql_url, headers={"X-Shopify-Access-Token": shop.token}, json={...})
        shop.gift_cards()          # state, never the codes
        shop.issued_codes          # every code handed out, to search outputs for a leak
        shop.throttle()            # next request answers THROTTLED
        shop.queue_user_error(...) # next giftCardCreate answers this userError

Facts behind the behaviour (messages, codes, field paths, amounts like "10.0", lower-case
16-character generated codes, `•••• •••• •••• abcd`) come from Shopify's reference and from live
responses recorded in the public repository airhorns/shopify-draft-proxy; see the report that
came with this file and the header of the SDL slice.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import secrets
import socket
import string
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    build_schema,
    execute_sync,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_enum_type,
    is_input_object_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_scalar_type,
    parse,
    print_ast,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.language import EnumValueNode, FloatValueNode, IntValueNode
from graphql.pyutils import Undefined
from graphql.validation import (
    FieldsOnCorrectTypeRule,
    ScalarLeafsRule,
    ValidationRule,
    ValuesOfCorrectTypeRule,
)

from .server import FakeService, HTTPError, Request, Response, route

SPEC_PATH = Path(__file__).parent / "specs" / "shopify-admin-giftcards.graphql"

#: API versions whose gift-card schema is the slice in SPEC_PATH (2026-10 changes GiftCardCreateInput).
SUPPORTED_VERSIONS: tuple[str, ...] = ("2025-10", "2026-01", "2026-04", "2026-07")

INVALID_TOKEN_BODY = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
ACCESS_SCOPES_DOC = "https://shopify.dev/api/usage/access-scopes"
RATE_LIMITS_DOC = "https://shopify.dev/api/usage/rate-limits"
MAX_PAGE_SIZE = 250
CODE_ALPHABET = string.ascii_lowercase + string.digits
CURRENCY_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "NZD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}

_VERSION_RE = re.compile(r"^\d{4}-(01|04|07|10)$")


# -- value formatting ------------------------------------------------------------------------------


def format_amount(value: Decimal) -> str:
    """Shopify's Decimal output: `10.0`, `27.84`, `3000.0` (Ruby BigDecimal#to_s("F") style)."""
    text = format(value.normalize(), "f")
    if "." not in text:
        return text + ".0"
    return text


def format_datetime(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_limit(amount: Decimal, currency: str) -> str:
    """`$3,000.00 CAD`, the way Shopify writes the shop's issue limit in GIFT_CARD_LIMIT_EXCEEDED."""
    return f"{CURRENCY_SYMBOLS.get(currency, '')}{amount:,.2f} {currency}"


def _parse_decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise GraphQLError(f"Could not coerce value {json.dumps(value, default=str)} to Decimal")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise GraphQLError(f"Could not coerce value {json.dumps(value)} to Decimal") from None
    if not result.is_finite():
        raise GraphQLError(f"Could not coerce value {json.dumps(value)} to Decimal")
    return result


def _parse_date(value: Any) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise GraphQLError(f"Could not coerce value {json.dumps(value, default=str)} to Date")


def _parse_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise GraphQLError(f"Could not coerce value {json.dumps(value, default=str)} to DateTime")


def _literal_python(node: ValueNode) -> Any:
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, FloatValueNode):
        return node.value  # keep the digits for Decimal
    raise GraphQLError(f"Could not coerce value {print_ast(node)}")


def _install_scalars(schema: GraphQLSchema) -> None:
    """Give the SDL's custom scalars Shopify's coercion (works with graphql-core 3.2 and 3.3)."""

    def install(name: str, out: Callable[[Any], Any], parse_in: Callable[[Any], Any]) -> None:
        scalar = schema.type_map[name]
        assert isinstance(scalar, GraphQLScalarType)

        def literal(node: ValueNode, _variables: Any = None) -> Any:
            return parse_in(_literal_python(node))

        for attr, fn in (
            ("serialize", out),
            ("coerce_output_value", out),
            ("parse_value", parse_in),
            ("coerce_input_value", parse_in),
            ("parse_literal", literal),
        ):
            setattr(scalar, attr, fn)

    install("Decimal", lambda value: format_amount(Decimal(value)), _parse_decimal)
    install("Date", lambda value: value.isoformat() if isinstance(value, date) else str(value), _parse_date)
    install(
        "DateTime",
        lambda value: format_datetime(value) if isinstance(value, datetime) else str(value),
        _parse_datetime,
    )


# -- state -----------------------------------------------------------------------------------------


@dataclass
class _Customer:
    id: str
    display_name: str
    email: str | None


@dataclass
class _Card:
    number: int
    code: str  # never leaves the fake except once, in the giftCardCreate answer
    initial_value: Decimal
    balance: Decimal
    currency: str
    created_at: datetime
    updated_at: datetime
    note: str | None = None
    expires_on: date | None = None
    customer_id: str | None = None
    template_suffix: str | None = None
    recipient: dict[str, Any] | None = None
    deactivated_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"gid://shopify/GiftCard/{self.number}"

    @property
    def last_characters(self) -> str:
        return self.code[-4:]

    @property
    def masked_code(self) -> str:
        return f"•••• •••• •••• {self.last_characters}"


@dataclass
class _Bucket:
    """Shopify's calculated-query-cost leaky bucket."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    available: float = 2000.0
    updated: datetime | None = None

    def refill(self, now: datetime) -> None:
        if self.updated is not None:
            elapsed = max((now - self.updated).total_seconds(), 0.0)
            self.available = min(self.maximum, self.available + elapsed * self.restore_rate)
        self.updated = now

    def status(self) -> dict[str, float | int]:
        return {
            "maximumAvailable": _number(self.maximum),
            "currentlyAvailable": _number(round(self.available)),
            "restoreRate": _number(self.restore_rate),
        }


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else round(value, 2)


@dataclass
class _Context:
    scopes: frozenset[str]

    def has(self, scope: str) -> bool:
        if scope in self.scopes:
            return True
        # a write scope implies the read scope of the same resource
        return scope.startswith("read_") and "write_" + scope[len("read_") :] in self.scopes


@dataclass
class QueuedUserError:
    mutation: str
    message: str
    field: list[str] | None
    code: str | None


# -- validation rules that word errors the way Shopify (graphql-ruby) does ---------------------------


def _ancestor_path(ancestors: Iterable[Any]) -> list[str]:
    path: list[str] = []
    for node in ancestors:
        if isinstance(node, OperationDefinitionNode):
            label = node.operation.value
            path.append(f"{label} {node.name.value}" if node.name else label)
        elif isinstance(node, FragmentDefinitionNode):
            path.append(f"fragment {node.name.value}")
        elif isinstance(node, InlineFragmentNode):
            path.append(f"... on {node.type_condition.name.value}" if node.type_condition else "...")
        elif isinstance(node, FieldNode):
            path.append((node.alias or node.name).value)
    return path


class _UndefinedFieldRule(ValidationRule):
    """`Field 'x' doesn't exist on type 'T'`, code undefinedField (replaces FieldsOnCorrectTypeRule)."""

    def enter_field(self, node: FieldNode, _key: Any, _parent: Any, _path: Any, ancestors: Any) -> None:
        parent_type = self.context.get_parent_type()
        if parent_type is None or self.context.get_field_def() is not None:
            return
        name = node.name.value
        self.report_error(
            GraphQLError(
                f"Field '{name}' doesn't exist on type '{parent_type.name}'",
                node,
                extensions={
                    "code": "undefinedField",
                    "typeName": parent_type.name,
                    "fieldName": name,
                    "_path": [*_ancestor_path(ancestors), name],
                },
            )
        )


class _SelectionRule(ValidationRule):
    """`Field must have selections (...)`, code selectionMismatch (replaces ScalarLeafsRule)."""

    def enter_field(self, node: FieldNode, _key: Any, _parent: Any, _path: Any, ancestors: Any) -> None:
        type_ = self.context.get_type()
        if type_ is None:
            return
        named = get_named_type(type_)
        name = node.name.value
        path = [*_ancestor_path(ancestors), name]
        ext = {
            "code": "selectionMismatch",
            "nodeName": f"field '{name}'",
            "typeName": named.name,
            "_path": path,
        }
        if is_leaf_type(named) and node.selection_set:
            message = (
                f"Selections can't be made on {'enums' if is_enum_type(named) else 'scalars'} "
                f"(field '{name}' returns {named.name} but has selections "
                f"[{', '.join(_selection_names(node.selection_set))}])"
            )
            self.report_error(GraphQLError(message, node, extensions=ext))
        elif not is_leaf_type(named) and not node.selection_set:
            message = (
                f"Field must have selections (field '{name}' returns {named.name} but has no selections. "
                f"Did you mean '{name} {{ ... }}'?)"
            )
            self.report_error(GraphQLError(message, node, extensions=ext))


def _selection_names(selection_set: SelectionSetNode) -> list[str]:
    return [sel.name.value for sel in selection_set.selections if isinstance(sel, FieldNode)]


class _ArgumentLiteralRule(ValidationRule):
    """Literal argument values checked against their types (replaces ValuesOfCorrectTypeRule)."""

    def enter_argument(self, node: Any, *_args: Any) -> None:
        arg_def = self.context.get_argument()
        field_def = self.context.get_field_def()
        parent = self.context.get_parent_type()
        if arg_def is None or field_def is None or parent is None:
            return
        field_name = next(
            (name for name, definition in getattr(parent, "fields", {}).items() if definition is field_def),
            "?",
        )
        problem = _literal_problem(node.value, arg_def.type)
        if problem is None:
            return
        kind, input_type, input_field, value_node, expected = problem
        if kind == "missing":
            self.report_error(
                GraphQLError(
                    f"Argument '{input_field}' on InputObject '{input_type}' is required. "
                    f"Expected type {expected}",
                    node,
                    extensions={
                        "code": "missingRequiredInputObjectAttribute",
                        "argumentName": input_field,
                        "argumentType": expected,
                        "inputObjectType": input_type,
                    },
                )
            )
        elif kind == "unknown":
            self.report_error(
                GraphQLError(
                    f"InputObject '{input_type}' doesn't accept argument '{input_field}'",
                    node,
                    extensions={
                        "code": "argumentNotAccepted",
                        "name": input_type,
                        "typeName": "InputObject",
                        "argumentName": input_field,
                    },
                )
            )
        elif input_type is None:
            self.report_error(
                GraphQLError(
                    f"Argument '{node.name.value}' on Field '{field_name}' has an invalid value "
                    f"({print_ast(value_node)}). Expected type '{expected}'.",
                    node,
                    extensions={
                        "code": "argumentLiteralsIncompatible",
                        "typeName": "Field",
                        "argumentName": node.name.value,
                    },
                )
            )
        else:
            self.report_error(
                GraphQLError(
                    f"Argument '{input_field}' on InputObject '{input_type}' has an invalid value "
                    f"({print_ast(value_node)}). Expected type '{expected}'.",
                    node,
                    extensions={
                        "code": "argumentLiteralsIncompatible",
                        "typeName": "InputObject",
                        "argumentName": input_field,
                    },
                )
            )


_Problem = tuple[str, str | None, str | None, ValueNode, str]


def _literal_problem(
    node: ValueNode,
    type_: GraphQLInputType,
    owner: str | None = None,
    owner_field: str | None = None,
) -> _Problem | None:
    """The first problem of a literal `node` against `type_`: (kind, input type, field, node, expected)."""
    if isinstance(node, VariableNode):
        return None  # VariablesInAllowedPositionRule and the variable coercion handle these
    expected = str(type_)
    if isinstance(node, NullValueNode):
        return ("invalid", owner, owner_field, node, expected) if is_non_null_type(type_) else None
    inner = get_nullable_type(type_)
    if is_list_type(inner):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        for item in items:
            problem = _literal_problem(item, inner.of_type, owner, owner_field)
            if problem:
                return problem
        return None
    if is_input_object_type(inner):
        if not isinstance(node, ObjectValueNode):
            return ("invalid", owner, owner_field, node, expected)
        given = {f.name.value: f.value for f in node.fields}
        for name in given:
            if name not in inner.fields:
                return ("unknown", inner.name, name, node, expected)
        for name, input_field in inner.fields.items():
            if name not in given:
                if is_non_null_type(input_field.type) and input_field.default_value is Undefined:
                    return ("missing", inner.name, name, node, str(input_field.type))
                continue
            problem = _literal_problem(given[name], input_field.type, inner.name, name)
            if problem:
                return problem
        return None
    if is_enum_type(inner):
        if not isinstance(node, EnumValueNode) or node.value not in inner.values:
            return ("invalid", owner, owner_field, node, expected)
        return None
    if is_scalar_type(inner):
        if isinstance(node, (ListValueNode, ObjectValueNode, EnumValueNode)):
            return ("invalid", owner, owner_field, node, expected)
        try:
            inner.parse_literal(node)
        except (GraphQLError, ValueError, TypeError):
            return ("invalid", owner, owner_field, node, expected)
    return None


_RULES = [
    rule
    for rule in specified_rules
    if rule not in (FieldsOnCorrectTypeRule, ScalarLeafsRule, ValuesOfCorrectTypeRule)
] + [_UndefinedFieldRule, _SelectionRule, _ArgumentLiteralRule]


def _reword_validation_error(error: GraphQLError) -> GraphQLError:
    """Give graphql-core's remaining validation messages Shopify's wording where it is known."""
    message = error.message
    ext = dict(error.extensions or {})
    if "code" in ext:
        return error
    found = re.match(r"Unknown argument '(\w+)' on field '\w+\.(\w+)'\.", message)
    if found:
        arg, fld = found.groups()
        message = f"Field '{fld}' doesn't accept argument '{arg}'"
        ext = {"code": "argumentNotAccepted", "name": fld, "typeName": "Field", "argumentName": arg}
    elif found := re.match(r"Argument '\w+\.(\w+)\((\w+):\)' of type '.+' is required", message) or re.match(
        r"Field '(\w+)' argument '(\w+)' of type '.+' is required", message
    ):
        fld, arg = found.groups()
        message = f"Field '{fld}' is missing required arguments: {arg}"
        ext = {"code": "missingRequiredArguments", "className": "Field", "name": fld, "arguments": arg}
    elif found := re.match(r"Variable '\$(\w+)' is never used", message):
        ext = {"code": "variableNotUsed", "variableName": found.group(1)}
    elif found := re.match(r"Variable '\$(\w+)' is not defined", message):
        ext = {"code": "undefinedVariable", "variableName": found.group(1)}
    elif found := re.match(r"Unknown type '(\w+)'", message):
        ext = {"code": "undefinedType", "typeName": found.group(1)}
    else:
        ext = {"code": "validationError"}
    return GraphQLError(message, error.nodes, extensions=ext)


def _format_error(error: GraphQLError) -> dict[str, Any]:
    out: dict[str, Any] = {"message": error.message}
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    ext = dict(error.extensions or {})
    path = ext.pop("_path", None) or (list(error.path) if error.path else None)
    if path:
        out["path"] = path
    if ext:
        out["extensions"] = ext
    return out


def _syntax_error(error: GraphQLError) -> dict[str, Any]:
    loc = error.locations[0] if error.locations else None
    where = f" at [{loc.line}, {loc.column}]" if loc else ""
    description = error.message.removeprefix("Syntax Error: ").rstrip(".")
    if "<EOF>" in description:
        description = "unexpected end of file"
    out: dict[str, Any] = {"message": f"syntax error, {description}{where}"}
    if loc:
        out["locations"] = [{"line": loc.line, "column": loc.column}]
    out["extensions"] = {"code": "PARSE_ERROR"}
    return out


def _variable_problems(
    value: Any, type_: GraphQLInputType, path: list[str | int]
) -> list[tuple[list[str | int], str]]:
    """Problems of a JSON variable value, worded as graphql-ruby's INVALID_VARIABLE `problems`."""
    if is_non_null_type(type_):
        if value is None:
            return [(path, "Expected value to not be null")]
        return _variable_problems(value, type_.of_type, path)
    if value is None:
        return []
    if is_list_type(type_):
        items = value if isinstance(value, list) else [value]
        problems: list[tuple[list[str | int], str]] = []
        for index, item in enumerate(items):
            problems += _variable_problems(item, type_.of_type, [*path, index])
        return problems
    if is_input_object_type(type_):
        if not isinstance(value, dict):
            return [(path, f"Expected {json.dumps(value)} to be a key-value object.")]
        problems = [
            (([*path, key]), f"Field is not defined on {type_.name}")
            for key in value
            if key not in type_.fields
        ]
        for name, input_field in type_.fields.items():
            if name in value:
                problems += _variable_problems(value[name], input_field.type, [*path, name])
            elif is_non_null_type(input_field.type) and input_field.default_value is Undefined:
                problems.append(([*path, name], "Expected value to not be null"))
        return problems
    if is_enum_type(type_):
        if not isinstance(value, str) or value not in type_.values:
            return [(path, f"Expected {json.dumps(value)} to be one of: {', '.join(type_.values)}")]
        return []
    assert is_scalar_type(type_)
    try:
        type_.parse_value(value)
    except (GraphQLError, ValueError, TypeError):
        return [(path, f"Could not coerce value {json.dumps(value)} to {type_.name}")]
    return []


# -- search syntax ---------------------------------------------------------------------------------

_TOKEN = re.compile(r"""-?[A-Za-z_]+:(?:>=|<=|>|<|=)?(?:'[^']*'|"[^"]*"|\S+)|'[^']*'|"[^"]*"|\S+""")
_TERM = re.compile(r"""^(?P<neg>-)?(?P<field>[A-Za-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>.*)$""")


def _card_filter(query: str | None) -> Callable[[_Card], bool]:
    """`created_at:>=2026-11-01 AND created_at:<'2026-12-01T00:00:00Z'`; other terms are ignored."""
    predicates: list[Callable[[_Card], bool]] = []
    for token in _TOKEN.findall(query or ""):
        term = _TERM.match(token)
        if not term or term["field"].lower() != "created_at":
            continue  # AND, bare words, other fields: ignored, as Shopify ignores unsupported terms
        raw = term["value"].strip("'\"")
        op = term["op"] or "="
        predicate = _created_at_predicate(op, raw)
        if predicate is None:
            continue
        predicates.append(_negated(predicate) if term["neg"] else predicate)
    return lambda card: all(p(card) for p in predicates)


def _negated(predicate: Callable[[_Card], bool]) -> Callable[[_Card], bool]:
    return lambda card: not predicate(card)


def _created_at_predicate(op: str, raw: str) -> Callable[[_Card], bool] | None:
    compare: dict[str, Callable[[Any, Any], bool]] = {
        ">=": lambda a, b: a >= b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        "<": lambda a, b: a < b,
        "=": lambda a, b: a == b,
    }
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            return None
        return lambda card: compare[op](card.created_at.astimezone(UTC).date(), day)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return lambda card: compare[op](card.created_at, moment)


def _encode_cursor(card: _Card, value: Any) -> str:
    payload = json.dumps({"last_id": card.number, "last_value": str(value)}, separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode()


def _decode_cursor(cursor: str) -> int:
    try:
        payload = json.loads(base64.b64decode(cursor.encode(), validate=True))
        return int(payload["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise GraphQLError(
            "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
        ) from None


_SORT_KEYS: dict[str, Callable[[_Card], Any]] = {
    "ID": lambda c: c.number,
    "CREATED_AT": lambda c: c.created_at,
    "UPDATED_AT": lambda c: c.updated_at,
    "INITIAL_VALUE": lambda c: c.initial_value,
    "BALANCE": lambda c: c.balance,
    "EXPIRES_ON": lambda c: (c.expires_on is None, c.expires_on or date.max),
    "DISABLED_AT": lambda c: (c.deactivated_at is None, c.deactivated_at or datetime.max.replace(tzinfo=UTC)),
}


# -- the fake --------------------------------------------------------------------------------------


class FakeShopify(FakeService):
    """Shopify Admin GraphQL (gift cards) for one shop, one access token."""

    name = "shopify"

    def __init__(
        self,
        token: str = "shpat_test",  # noqa: S107 - a test token
        scopes: Iterable[str] = frozenset({"read_gift_cards", "write_gift_cards"}),
        currency: str = "USD",
        *,
        shop_name: str = "feedbackloop-test",
        issue_limit: str = "2000",
        versions: Iterable[str] = SUPPORTED_VERSIONS,
        note_max_length: int = 5000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.scopes = frozenset(scopes)
        self.currency = currency
        self.shop_name = shop_name
        self.issue_limit = Decimal(issue_limit)
        self.versions = tuple(versions)
        self.note_max_length = note_max_length
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.bucket = _Bucket()
        #: every gift card code handed out in an answer, to search any output for a leak
        self.issued_codes: list[str] = []
        self._cards: dict[int, _Card] = {}
        self._customers: dict[str, _Customer] = {}
        self._codes: set[str] = set()
        self._queued: list[QueuedUserError] = []
        self._throttled = 0
        self._next_number = 654879129906
        self._state_lock = threading.RLock()
        self.schema = build_schema(SPEC_PATH.read_text(encoding="utf-8"))
        _install_scalars(self.schema)
        self._install_resolvers()

    # -- public helpers for tests --------------------------------------------------------------------
    @property
    def graphql_url(self) -> str:
        return f"{self.url}admin/api/{self.versions[-1]}/graphql.json"

    def graphql_url_for(self, version: str) -> str:
        return f"{self.url}admin/api/{version}/graphql.json"

    def gift_cards(self) -> list[dict[str, Any]]:
        """Every gift card, oldest first, as plain dicts: never the code (see `issued_codes`)."""
        with self._state_lock:
            return [
                {
                    "id": card.id,
                    "note": card.note,
                    "initial_value": format_amount(card.initial_value),
                    "balance": format_amount(card.balance),
                    "currency": card.currency,
                    "expires_on": card.expires_on.isoformat() if card.expires_on else None,
                    "customer_id": card.customer_id,
                    "template_suffix": card.template_suffix,
                    "recipient": dict(card.recipient) if card.recipient else None,
                    "enabled": card.deactivated_at is None,
                    "deactivated_at": format_datetime(card.deactivated_at) if card.deactivated_at else None,
                    "created_at": format_datetime(card.created_at),
                    "updated_at": format_datetime(card.updated_at),
                    "last_characters": card.last_characters,
                    "masked_code": card.masked_code,
                }
                for card in sorted(self._cards.values(), key=lambda c: c.number)
            ]

    def add_gift_card(
        self,
        *,
        initial_value: str = "25",
        note: str | None = None,
        created_at: datetime | None = None,
        expires_on: date | None = None,
        customer_id: str | None = None,
    ) -> str:
        """Seed a card that exists before the test (its code is never handed out); returns its id."""
        with self._state_lock:
            card = self._new_card(
                _generated_code(self._codes), Decimal(initial_value), created_at or self.clock()
            )
            card.note, card.expires_on, card.customer_id = note, expires_on, customer_id
            return card.id

    def add_customer(self, display_name: str = "Joe Example", email: str | None = None) -> str:
        """A customer that `customerId` / `recipientAttributes.id` may name; returns its gid."""
        with self._state_lock:
            number = 10582524264754 + len(self._customers) * 32768
            customer = _Customer(f"gid://shopify/Customer/{number}", display_name, email)
            self._customers[customer.id] = customer
            return customer.id

    def queue_user_error(
        self,
        message: str,
        *,
        field: list[str] | None = None,
        code: str | None = "INTERNAL_ERROR",
        mutation: str = "giftCardCreate",
    ) -> None:
        """The next `mutation` answers this one userError and changes nothing."""
        with self._state_lock:
            self._queued.append(QueuedUserError(mutation, message, field, code))

    def throttle(self, times: int = 1) -> None:
        """The next `times` requests answer HTTP 200 `errors: [{message: "Throttled", ...}]`."""
        with self._state_lock:
            self._throttled += times

    def _dispatch(self, http: BaseHTTPRequestHandler) -> None:
        # Without TCP_NODELAY each exchange on a kept-alive connection waits ~40 ms for a delayed ACK.
        # (`disable_nagle_algorithm = True` on server.py's handler would do this for every fake.)
        with contextlib.suppress(OSError):
            http.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super()._dispatch(http)

    # -- HTTP ----------------------------------------------------------------------------------------
    def not_found(self, request: Request) -> Response:
        return Response(404, {"errors": "Not Found"})

    @route("POST", "/admin/api/{version}/graphql.json")
    def graphql_endpoint(self, request: Request, version: str) -> Response:
        served = self._served_version(version)
        if request.headers.get("x-shopify-access-token") != self.token:
            raise HTTPError(401, INVALID_TOKEN_BODY)
        headers = {"X-Shopify-API-Version": served}
        query, variables, operation_name = self._read_body(request)
        with self._state_lock:
            try:
                body = self._run(query, variables, operation_name)
            except Exception as exc:  # a bug in the fake: answer it instead of dropping the connection
                return Response(500, {"errors": f"fake Shopify failed: {exc!r}"})
        return Response(200, body, headers)

    def _served_version(self, version: str) -> str:
        if version in self.versions:
            return version
        if _VERSION_RE.match(version) and self.versions and version < self.versions[0]:
            return self.versions[0]  # a retired version falls forward to the oldest supported one
        raise HTTPError(404, {"errors": "Not Found"})

    def _read_body(self, request: Request) -> tuple[str, dict[str, Any], str | None]:
        missing = HTTPError(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if request.headers.get("content-type", "").startswith("application/graphql"):
            return request.body.decode("utf-8", "replace"), {}, None
        try:
            payload = request.json()
        except ValueError:
            raise missing from None
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            raise missing
        variables = payload.get("variables") or {}
        if not isinstance(variables, dict):
            raise missing
        operation_name = payload.get("operationName")
        return payload["query"], variables, operation_name if isinstance(operation_name, str) else None

    # -- GraphQL -------------------------------------------------------------------------------------
    def _run(self, query: str, variables: dict[str, Any], operation_name: str | None) -> dict[str, Any]:
        try:
            document = parse(query)
        except GraphQLError as error:
            return {"errors": [_syntax_error(error)]}
        errors = validate(self.schema, document, _RULES)
        if errors:
            return {"errors": [_format_error(_reword_validation_error(e)) for e in errors]}
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            message = (
                f'No operation named "{operation_name}"'
                if operation_name
                else "An operation name is required when sending multiple operations."
            )
            return {"errors": [{"message": message, "extensions": {"code": "OPERATION_NOT_FOUND"}}]}
        variable_errors = self._variable_errors(operation, variables)
        if variable_errors:
            return {"errors": variable_errors}

        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        requested = self._cost(operation, fragments, variables)
        now = self.clock()
        self.bucket.refill(now)
        if self._throttled > 0 or requested > self.bucket.available:
            self._throttled = max(self._throttled - 1, 0)
            return {
                "errors": [
                    {
                        "message": "Throttled",
                        "extensions": {"code": "THROTTLED", "documentation": RATE_LIMITS_DOC},
                    }
                ],
                "extensions": self._cost_extension(requested, None),
            }
        result = execute_sync(
            self.schema,
            document,
            variable_values=variables,
            operation_name=operation_name,
            context_value=_Context(self.scopes),
        )
        self.bucket.available = max(self.bucket.available - requested, 0.0)
        body: dict[str, Any] = {}
        if result.errors:
            body["errors"] = [_format_error(e) for e in result.errors]
        body["data"] = result.data
        body["extensions"] = self._cost_extension(requested, requested)
        return body

    def _cost_extension(self, requested: int, actual: int | None) -> dict[str, Any]:
        return {
            "cost": {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": self.bucket.status(),
            }
        }

    def _variable_errors(
        self, operation: OperationDefinitionNode, variables: dict[str, Any]
    ) -> list[dict[str, Any]]:
        errors: list[dict[str, Any]] = []
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            var_type = type_from_ast(self.schema, definition.type)
            if var_type is None:
                continue
            if name not in variables and definition.default_value is not None:
                continue
            value = variables.get(name)
            problems = _variable_problems(value, var_type, [])  # type: ignore[arg-type]
            if not problems:
                continue
            first_path, first_explanation = problems[0]
            message = f"Variable ${name} of type {var_type} was provided invalid value"
            if first_path:
                message += f" for {'.'.join(str(p) for p in first_path)} ({first_explanation})"
            loc = definition.loc.source.get_location(definition.loc.start) if definition.loc else None
            error: dict[str, Any] = {"message": message}
            if loc:
                error["locations"] = [{"line": loc.line, "column": loc.column}]
            error["extensions"] = {
                "code": "INVALID_VARIABLE",
                "value": value,
                "problems": [{"path": path, "explanation": explanation} for path, explanation in problems],
            }
            errors.append(error)
        return errors

    def _cost(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> int:
        """Shopify-like calculated cost: mutation 10, object 1, connection 2 + page size x node cost."""
        root = (
            self.schema.mutation_type
            if operation.operation == OperationType.MUTATION
            else self.schema.query_type
        )
        assert root is not None
        if operation.operation == OperationType.MUTATION:
            return 10 * len(list(_fields(operation.selection_set, fragments)))
        return self._selection_cost(operation.selection_set, root, fragments, variables)

    def _selection_cost(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> int:
        if selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        total = 0
        for node in _fields(selection_set, fragments):
            definition = parent.fields.get(node.name.value)
            if definition is None:
                continue
            named = get_named_type(definition.type)
            if is_leaf_type(named):
                continue
            inner = self._selection_cost(node.selection_set, named, fragments, variables)
            if named.name.endswith("Connection"):
                size = 0
                for arg in node.arguments or ():
                    if arg.name.value in ("first", "last"):
                        raw = (
                            variables.get(arg.value.name.value)
                            if isinstance(arg.value, VariableNode)
                            else getattr(arg.value, "value", 0)
                        )
                        size = min(int(raw or 0), MAX_PAGE_SIZE)
                per_node = max(inner - 1, 1)  # edges/nodes/pageInfo counted once, the node per item
                total += 2 + size * per_node
            else:
                total += 1 + inner
        return total

    # -- resolvers -----------------------------------------------------------------------------------
    def _install_resolvers(self) -> None:
        query = self.schema.query_type
        mutation = self.schema.mutation_type
        assert query is not None
        assert mutation is not None
        query.fields["shop"].resolve = self._resolve_shop
        query.fields["giftCard"].resolve = self._resolve_gift_card
        query.fields["giftCards"].resolve = self._resolve_gift_cards
        query.fields["giftCardsCount"].resolve = self._resolve_gift_cards_count
        query.fields["giftCardConfiguration"].resolve = self._resolve_configuration
        mutation.fields["giftCardCreate"].resolve = self._resolve_create
        mutation.fields["giftCardUpdate"].resolve = self._resolve_update
        mutation.fields["giftCardDeactivate"].resolve = self._resolve_deactivate

    @staticmethod
    def _require(info: GraphQLResolveInfo, scope: str) -> None:
        context: _Context = info.context
        if not context.has(scope):
            name = info.field_name
            raise GraphQLError(
                f"Access denied for {name} field. Required access: `{scope}` access scope.",
                extensions={
                    "code": "ACCESS_DENIED",
                    "documentation": ACCESS_SCOPES_DOC,
                    "requiredAccess": f"`{scope}` access scope.",
                },
            )

    def _money(self, amount: Decimal, currency: str | None = None) -> dict[str, Any]:
        return {"amount": amount, "currencyCode": currency or self.currency}

    def _customer_view(self, customer_id: str | None) -> dict[str, Any] | None:
        customer = self._customers.get(customer_id or "")
        if customer is None:
            return None
        return {
            "__typename": "Customer",
            "id": customer.id,
            "displayName": customer.display_name,
            "email": customer.email,
        }

    def _card_view(self, card: _Card) -> dict[str, Any]:
        recipient = None
        if card.recipient:
            recipient = {**card.recipient, "recipient": self._customer_view(card.recipient["id"])}
        return {
            "__typename": "GiftCard",
            "id": card.id,
            "balance": self._money(card.balance, card.currency),
            "createdAt": card.created_at,
            "customer": self._customer_view(card.customer_id),
            "deactivatedAt": card.deactivated_at,
            "enabled": card.deactivated_at is None,
            "expiresOn": card.expires_on,
            "initialValue": self._money(card.initial_value, card.currency),
            "lastCharacters": card.last_characters,
            "maskedCode": card.masked_code,
            "note": card.note,
            "recipientAttributes": recipient,
            "templateSuffix": card.template_suffix,
            "updatedAt": card.updated_at,
        }

    def _resolve_shop(self, _root: Any, _info: GraphQLResolveInfo) -> dict[str, Any]:
        return {
            "__typename": "Shop",
            "id": "gid://shopify/Shop/68817551410",
            "name": self.shop_name,
            "currencyCode": self.currency,
        }

    def _resolve_configuration(self, _root: Any, info: GraphQLResolveInfo) -> dict[str, Any]:
        self._require(info, "read_gift_cards")
        return {
            "issueLimit": self._money(self.issue_limit),
            "purchaseLimit": self._money(self.issue_limit * 5),
        }

    def _resolve_gift_card(self, _root: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any] | None:
        self._require(info, "read_gift_cards")
        card = self._card_by_gid(id)
        return self._card_view(card) if card else None

    def _card_by_gid(self, gid: str) -> _Card | None:
        found = re.fullmatch(r"gid://shopify/GiftCard/(\d+)", gid or "")
        return self._cards.get(int(found.group(1))) if found else None

    def _resolve_gift_cards_count(
        self, _root: Any, info: GraphQLResolveInfo, limit: int = 10000, query: str | None = None, **_: Any
    ) -> dict[str, Any]:
        self._require(info, "read_gift_cards")
        keep = _card_filter(query)
        matches = [c for c in self._cards.values() if keep(c)]
        if limit is not None and len(matches) > limit:
            return {"count": limit, "precision": "AT_LEAST"}
        return {"count": len(matches), "precision": "EXACT"}

    def _resolve_gift_cards(
        self,
        _root: Any,
        info: GraphQLResolveInfo,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        query: str | None = None,
        reverse: bool = False,
        sortKey: str = "ID",
        **_: Any,
    ) -> dict[str, Any]:
        self._require(info, "read_gift_cards")
        if first is None and last is None:
            raise GraphQLError("you must provide one of first or last", extensions={"code": "BAD_REQUEST"})
        for name, size in (("first", first), ("last", last)):
            if size is not None and size < 0:
                raise GraphQLError(f"{name} must be a positive integer", extensions={"code": "BAD_REQUEST"})
        key = _SORT_KEYS.get(sortKey, _SORT_KEYS["ID"])  # other sort keys: ID order (not modelled)
        keep = _card_filter(query)
        matching = [c for c in self._cards.values() if keep(c)]
        ordered = sorted(matching, key=lambda c: (key(c), c.number), reverse=reverse)
        start, end = 0, len(ordered)
        numbers = [c.number for c in ordered]
        if after is not None:
            number = _decode_cursor(after)
            if number not in numbers:
                raise GraphQLError(
                    "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
                )
            start = numbers.index(number) + 1
        if before is not None:
            number = _decode_cursor(before)
            if number not in numbers:
                raise GraphQLError(
                    "Invalid cursor for current pagination sort.", extensions={"code": "BAD_REQUEST"}
                )
            end = numbers.index(number)
        window = ordered[start:end]
        has_next = end < len(ordered)
        has_previous = start > 0
        if first is not None:
            first = min(first, MAX_PAGE_SIZE)
            has_next = has_next or len(window) > first
            window = window[:first]
        if last is not None:
            last = min(last, MAX_PAGE_SIZE)
            has_previous = has_previous or len(window) > last
            window = window[-last:] if last else []
        edges = [
            {"cursor": _encode_cursor(card, key(card)), "node": self._card_view(card)} for card in window
        ]
        return {
            "edges": edges,
            "nodes": [edge["node"] for edge in edges],
            "pageInfo": {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
        }

    def _take_queued(self, mutation: str) -> QueuedUserError | None:
        for queued in self._queued:
            if queued.mutation == mutation:
                self._queued.remove(queued)
                return queued
        return None

    def _resolve_create(self, _root: Any, info: GraphQLResolveInfo, input: dict[str, Any]) -> dict[str, Any]:
        self._require(info, "write_gift_cards")
        queued = self._take_queued("giftCardCreate")
        if queued:
            error = {"field": queued.field, "message": queued.message, "code": queued.code}
            return {"giftCard": None, "giftCardCode": None, "userErrors": [error]}
        errors = self._create_errors(input)
        if errors:
            return {"giftCard": None, "giftCardCode": None, "userErrors": errors[:1]}
        code = (
            _normalize_code(input["code"]) if input.get("code") is not None else _generated_code(self._codes)
        )
        card = self._new_card(code, input["initialValue"], self.clock())
        card.note = input.get("note")
        card.expires_on = input.get("expiresOn")
        card.customer_id = input.get("customerId")
        card.template_suffix = _template_suffix(input.get("templateSuffix"))
        if input.get("recipientAttributes"):
            card.recipient = _recipient(input["recipientAttributes"])
        self.issued_codes.append(code)
        return {"giftCard": self._card_view(card), "giftCardCode": code, "userErrors": []}

    def _create_errors(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Validation in the order the live shop showed: customer, value, limit, code, then the rest."""

        def error(path: list[str], code: str | None, message: str) -> list[dict[str, Any]]:
            return [{"field": ["input", *path], "code": code, "message": message}]

        if data.get("customerId") is not None and data["customerId"] not in self._customers:
            return error(["customerId"], "CUSTOMER_NOT_FOUND", "The customer could not be found.")
        value: Decimal = data["initialValue"]
        if value <= 0:
            return error(["initialValue"], "GREATER_THAN", "must be greater than 0")
        if value > self.issue_limit:
            return error(
                ["initialValue"],
                "GIFT_CARD_LIMIT_EXCEEDED",
                f"can't exceed {format_limit(self.issue_limit, self.currency)}",
            )
        if data.get("code") is not None:
            code = _normalize_code(data["code"])
            if len(code) < 8:
                return error(["code"], "TOO_SHORT", "Code must be at least 8 characters long")
            if len(code) > 20:
                return error(["code"], "TOO_LONG", "Code must be at most 20 characters long")
            if not re.fullmatch(r"[a-z0-9]+", code):
                return error(["code"], "INVALID", "Code can only contain letters(a-z) and numbers(0-9)")
            if code in self._codes:
                return error(["code"], None, "Code has already been taken")  # code: null, as recorded live
        expires_on: date | None = data.get("expiresOn")
        if expires_on is not None and expires_on < self.clock().astimezone(UTC).date():
            return error(["expiresOn"], "INVALID", "Expires on must be today or in the future")
        note: str | None = data.get("note")
        if note is not None and len(note) > self.note_max_length:
            return error(
                ["note"], "TOO_LONG", f"Note is too long (maximum is {self.note_max_length} characters)"
            )
        return self._recipient_errors(data.get("recipientAttributes"), with_code=True)

    def _recipient_errors(self, recipient: dict[str, Any] | None, *, with_code: bool) -> list[dict[str, Any]]:
        if not recipient:
            return []

        def error(name: str, code: str, message: str) -> list[dict[str, Any]]:
            found: dict[str, Any] = {"field": ["input", "recipientAttributes", name], "message": message}
            if with_code:
                found["code"] = code
            return [found]

        if recipient.get("preferredName") is not None and len(recipient["preferredName"]) > 255:
            return error("preferredName", "TOO_LONG", "preferredName is too long (maximum is 255)")
        if recipient.get("message") is not None and len(recipient["message"]) > 200:
            return error("message", "TOO_LONG", "message is too long (maximum is 200)")
        if recipient["id"] not in self._customers:
            return error("id", "RECIPIENT_NOT_FOUND", "Recipient could not be found")
        return []

    def _resolve_update(
        self,
        _root: Any,
        info: GraphQLResolveInfo,
        id: str,
        input: dict[str, Any],
    ) -> dict[str, Any]:
        self._require(info, "write_gift_cards")
        queued = self._take_queued("giftCardUpdate")
        if queued:
            return {"giftCard": None, "userErrors": [{"field": queued.field, "message": queued.message}]}
        card = self._card_by_gid(id)
        if card is None:
            return {
                "giftCard": None,
                "userErrors": [{"field": ["id"], "message": "The gift card could not be found."}],
            }
        if not input:
            message = "At least one argument is required in the input."
            return {"giftCard": None, "userErrors": [{"field": ["input"], "message": message}]}
        if card.deactivated_at is not None:
            for blocked in ("expiresOn", "customerId", "recipientAttributes"):
                if blocked in input:
                    error = {"field": ["input", blocked], "message": "The gift card is deactivated."}
                    return {"giftCard": None, "userErrors": [error]}
        if input.get("customerId") is not None and input["customerId"] not in self._customers:
            error = {"field": ["input", "customerId"], "message": "The customer could not be found."}
            return {"giftCard": None, "userErrors": [error]}
        if input.get("note") is not None and len(input["note"]) > self.note_max_length:
            message = f"Note is too long (maximum is {self.note_max_length} characters)"
            return {"giftCard": None, "userErrors": [{"field": ["input", "note"], "message": message}]}
        errors = self._recipient_errors(input.get("recipientAttributes"), with_code=False)
        if errors:
            return {"giftCard": None, "userErrors": errors}
        if "note" in input:
            card.note = input["note"]
        if "expiresOn" in input:
            card.expires_on = input["expiresOn"]
        if "templateSuffix" in input:
            card.template_suffix = _template_suffix(input["templateSuffix"])
        if input.get("customerId") is not None:
            card.customer_id = input["customerId"]
        if input.get("recipientAttributes"):
            card.recipient = _recipient(input["recipientAttributes"])
        card.updated_at = self.clock()
        return {"giftCard": self._card_view(card), "userErrors": []}

    def _resolve_deactivate(self, _root: Any, info: GraphQLResolveInfo, id: str) -> dict[str, Any]:
        self._require(info, "write_gift_cards")
        queued = self._take_queued("giftCardDeactivate")
        if queued:
            error = {"field": queued.field, "message": queued.message, "code": queued.code}
            return {"giftCard": None, "userErrors": [error]}
        card = self._card_by_gid(id)
        if card is None:
            error = {
                "field": ["id"],
                "code": "GIFT_CARD_NOT_FOUND",
                "message": "The gift card could not be found.",
            }
            return {"giftCard": None, "userErrors": [error]}
        if card.deactivated_at is None:
            card.deactivated_at = card.updated_at = self.clock()
        return {"giftCard": self._card_view(card), "userErrors": []}

    def _new_card(self, code: str, value: Decimal, created_at: datetime) -> _Card:
        number = self._next_number
        self._next_number += 32768
        card = _Card(number, code, value, value, self.currency, created_at, created_at)
        self._cards[number] = card
        self._codes.add(code)
        return card


def _fields(
    selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
) -> Iterable[FieldNode]:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments)
        else:  # a fragment spread
            fragment = fragments.get(selection.name.value)  # type: ignore[attr-defined]
            if fragment is not None:
                yield from _fields(fragment.selection_set, fragments)


def _normalize_code(code: str) -> str:
    """Shopify strips whitespace and dashes and keeps codes case-insensitively (lower case)."""
    return re.sub(r"[\s-]", "", code).lower()


def _generated_code(taken: set[str]) -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
        if code not in taken:
            return code


def _template_suffix(value: str | None) -> str | None:
    if value is None:
        return None
    return value.removeprefix("gift_card.")


def _recipient(data: dict[str, Any]) -> dict[str, Any]:
    send_at = data.get("sendNotificationAt")
    return {
        "id": data["id"],
        "message": data.get("message"),
        "preferredName": data.get("preferredName"),
        "sendNotificationAt": send_at,
    }


__all__ = ["INVALID_TOKEN_BODY", "SUPPORTED_VERSIONS", "FakeShopify", "format_amount", "format_datetime"]
