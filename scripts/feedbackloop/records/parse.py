"""The strict reader: bytes of an interview file in, a record or problems out. Pure; never raises.

YAML is composed by libyaml when it is present, with a resolver that reads every scalar as text, so
nothing is guessed from YAML 1.1 (`NO`, `on`, `01234`, `12:30` stay text); the schema below decides what
a value means and says where it is wrong. Aliases, tags, duplicate keys and deep nesting are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

import yaml
from frontmatter.default_handlers import YAMLHandler

from feedbackloop.config import suggest
from feedbackloop.records.model import (
    FOLLOW_UP_STATUSES,
    RECEIVED_VIA,
    RECRUITED_VIA,
    REQUEST_TYPES,
    REWARD_KINDS,
    REWARD_STATUSES,
    STATUSES,
    FollowUp,
    Interview,
    Key,
    Note,
    Person,
    Positions,
    Published,
    Question,
    Record,
    Recording,
    Request,
    Reward,
    Where,
    dotted,
)
from feedbackloop.records.problems import Problem

DEFAULT_MAX_BYTES = 256 * 1024
MAX_DEPTH = 16
_BOUNDARY = YAMLHandler.FM_BOUNDARY  # python-frontmatter's own idea of a `---` line

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_TAG_OF = {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))

_ODD_BREAK = re.compile("[\x85\u2028\u2029]|\r(?!\n)")
_YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _yaml_lines(frontmatter: str) -> tuple[tuple[int, int], ...]:
    """For each line as YAML counts them, the frontmatter line it is on and where on it it starts."""
    lines, line, line_start = [(0, 0)], 0, 0
    for found in _YAML_BREAK.finditer(frontmatter):
        if found.group()[-1] == "\n":
            line, line_start = line + 1, found.end()
            lines.append((line, 0))
        else:
            lines.append((line, found.end() - line_start))
    return tuple(lines)


_BaseLoader: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _TextLoader(_BaseLoader):  # type: ignore[misc]
    """Composes YAML with every implicit scalar resolved as text: the schema gives it meaning."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        return _TAG_OF[kind]


class Plain(str):
    """A plain (unquoted) scalar: the schema may read it as a boolean, a number, a date or nothing."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """What reading one file gave: the record when it is sound, and every problem found."""

    path: str
    record: Record | None
    problems: list[Problem]
    text: str = ""
    positions: Positions | None = None


class _Stop(Exception):
    """Ends reading a file after a problem that leaves nothing else to check."""


class _Reader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.positions = Positions()
        self.base_line = 0
        self.frontmatter = ""

    # -- reporting -------------------------------------------------------------------------------
    def problem(self, where: Where, code: str, message: str, fix: str = "") -> None:
        self.problems.append(Problem(self.path, where[0], where[1], code, message, fix))

    def stop(self, where: Where, code: str, message: str, fix: str = "") -> NoReturn:
        self.problem(where, code, message, fix)
        raise _Stop

    def at(self, key: Key) -> Where:
        return self.positions.of(key)

    # -- bytes to frontmatter --------------------------------------------------------------------
    def decode(self, data: bytes | str, max_bytes: int) -> str:
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        if len(data) > max_bytes:
            self.stop(
                (1, 1),
                "too-large",
                f"the file is {-(-len(data) // 1024)} KiB, over the {max_bytes / 1024:g} KiB limit",
                "keep long material (transcripts, exports) out of the file and link to it",
            )
        if not data.strip():
            self.stop((1, 1), "empty-file", "the file is empty", "start from `feedbackloop new`")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
            self.stop(
                (line, column),
                "not-utf8",
                f"the file is not UTF-8 (byte 0x{data[error.start]:02x})",
                "save the file as UTF-8",
            )
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\x00" in text:
            at = text.index("\x00")
            line, column = text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)
            self.stop((line, column), "binary", "the file contains a NUL character", "save it as plain text")
        return text

    def split(self, text: str) -> tuple[str, str, int]:
        """The frontmatter, the body, and the line the body starts on."""
        boundaries = _BOUNDARY.finditer(text)
        first = next(boundaries, None)
        if first is None or first.start() != 0:
            self.stop(
                (1, 1),
                "no-frontmatter",
                "the file does not start with a `---` line of frontmatter",
                "begin the file with `---`, the YAML fields, and `---`; see templates/interview.md.j2",
            )
        second = next(boundaries, None)
        if second is None:
            self.stop(
                (1, 1),
                "no-frontmatter",
                "the frontmatter has no closing `---` line",
                "end the YAML fields with a line of `---` before the notes",
            )
        self.base_line = self.positions.base_line = text.count("\n", 0, first.end())
        end_line = text.count("\n", 0, second.start()) + 1
        self.positions.frontmatter_end = end_line
        body_start = second.end() + 1 if text[second.end() : second.end() + 1] == "\n" else second.end()
        return text[first.end() : second.start()], text[body_start:], end_line + 1

    # -- YAML to plain values with positions ---------------------------------------------------
    def compose(self, frontmatter: str) -> yaml.Node:
        self.frontmatter = frontmatter
        if _ODD_BREAK.search(frontmatter):
            self.positions.yaml_lines = _yaml_lines(frontmatter)
        loader = _TextLoader(frontmatter)
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            self.yaml_error(error)
        except yaml.reader.ReaderError as error:
            character = chr(error.character) if isinstance(error.character, int) else str(error.character)
            self.stop(
                self.offset_where(max(frontmatter.find(character), 0)),
                "yaml-syntax",
                f"the fields contain the control character U+{ord(character):04X}, which YAML does not allow",
                "delete it (it is invisible in most editors; it often comes with pasted text)",
            )
        except yaml.YAMLError as error:
            self.stop((self.base_line + 1, 1), "yaml-syntax", f"YAML syntax: {error}", "fix the YAML syntax")
        finally:
            loader.dispose()
        if node is None:
            self.stop(
                (self.base_line + 1, 1),
                "empty-frontmatter",
                "the frontmatter is empty",
                "add the record's fields",
            )
        if not isinstance(node, yaml.MappingNode):
            self.stop(
                self.where(node.start_mark),
                "not-a-mapping",
                "the frontmatter must be a mapping of fields (`key: value` lines), not a "
                + ("list" if isinstance(node, yaml.SequenceNode) else "single value"),
                "write one `key: value` per line; see templates/interview.md.j2",
            )
        return node

    def where(self, mark: Any) -> Where:
        return self.positions.place(mark)

    def offset_where(self, index: int) -> Where:
        """The file position of a character of the frontmatter, by its index."""
        line = self.frontmatter.count("\n", 0, index)
        return (self.base_line + line + 1, index - self.frontmatter.rfind("\n", 0, index))

    def yaml_error(self, error: yaml.MarkedYAMLError) -> NoReturn:
        problem = (error.problem or "not valid YAML").strip()
        mark, context = error.problem_mark, error.context_mark
        if mark is None:
            self.stop((self.base_line + 1, 1), "yaml-syntax", f"YAML syntax: {problem}", _yaml_fix(problem))
        if "nesting depth" in problem:
            self.stop(self.where(mark), "too-deep", "the fields are nested too deeply", "flatten them")
        line, column = self.where(mark)
        lines = self.frontmatter.split("\n")
        at = line - self.base_line - 1
        found = lines[at][column - 1 : column] if at < len(lines) else ""
        if found == "\t":
            self.stop(
                self.where(mark), "yaml-syntax", "YAML syntax: a tab in the indentation", _yaml_fix("tab")
            )
        opener = _unclosed_bracket(self.frontmatter)
        if opener is not None and opener.line < mark.line:
            # libyaml notices an unclosed bracket only lines later: point at where it opens.
            bracket = self.frontmatter[opener.index]  # the pure-Python scanner's marks have an index
            close = "]" if bracket == "[" else "}"
            self.stop(
                self.where(opener),
                "yaml-syntax",
                f"YAML syntax: the `{bracket}` opened here is never closed"
                f" (no `{close}` before line {self.where(mark)[0]})",
                f"close it with `{close}` on this line, or quote the whole value",
            )
        if "quoted scalar" in (error.context or "") and context is not None and context.line < mark.line:
            self.stop(
                self.where(context),
                "yaml-syntax",
                "YAML syntax: the quote opened here is never closed"
                f" (no closing quote before line {self.where(mark)[0]})",
                "end the value with the same quote it starts with",
            )
        odd = _ODD_BREAK.search(self.frontmatter)
        if odd:
            line, column = self.offset_where(odd.start())
            fix = (
                f"line {line}, column {column} holds an invisible line separator"
                f" (U+{ord(odd.group()[0]):04X}) that YAML reads as a line break: replace it with a space"
            )
        self.stop(
            self.where(mark), "yaml-syntax", f"YAML syntax: {problem}", fix if odd else _yaml_fix(problem)
        )

    def alias_at(self, fallback: Where) -> Where:
        """Where the first alias is: the composed graph only knows the anchored node's mark."""
        try:
            for event in yaml.parse(self.frontmatter, Loader=yaml.SafeLoader):
                if isinstance(event, yaml.AliasEvent):
                    return self.where(event.start_mark)
        except yaml.YAMLError:
            pass
        return fallback

    def values(self, root: yaml.Node) -> dict[str, Any]:
        seen: set[int] = set()
        values_at, keys_at = self.positions.values, self.positions.keys

        def walk(node: yaml.Node, key: Key) -> Any:
            if id(node) in seen:
                self.stop(
                    self.alias_at(self.where(node.start_mark)),
                    "yaml-alias",
                    "YAML aliases (`*name`) are not allowed",
                    "write the value out in full",
                )
            seen.add(id(node))
            values_at[key] = node.start_mark
            if node.tag not in (_STR, _SEQ, _MAP):
                self.stop(
                    self.where(node.start_mark),
                    "yaml-tag",
                    f"YAML tags such as `{node.tag.replace('tag:yaml.org,2002:', '!!')}` are not allowed",
                    "remove the tag and write a plain value",
                )
            if len(key) > MAX_DEPTH:
                self.stop(
                    self.where(node.start_mark),
                    "too-deep",
                    "the fields are nested too deeply",
                    "flatten them",
                )
            if isinstance(node, yaml.ScalarNode):
                return Plain(node.value) if not node.style else str(node.value)
            if isinstance(node, yaml.SequenceNode):
                return [walk(item, (*key, index)) for index, item in enumerate(node.value)]
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if id(key_node) in seen:
                    self.stop(
                        self.alias_at(self.where(key_node.start_mark)),
                        "yaml-alias",
                        "YAML aliases (`*name`) are not allowed",
                        "write the value out in full",
                    )
                if not isinstance(key_node, yaml.ScalarNode):
                    self.stop(
                        self.where(key_node.start_mark),
                        "bad-key",
                        "a key must be a plain word",
                        "write `name: value`",
                    )
                name = str(key_node.value)
                if name in mapping:
                    first = self.positions.key((*key, name))[0]
                    self.stop(
                        self.where(key_node.start_mark),
                        "duplicate-key",
                        f"`{name}` is set twice (first on line {first})",
                        "keep one of them",
                    )
                keys_at[(*key, name)] = key_node.start_mark
                mapping[name] = walk(value_node, (*key, name))
            return mapping

        result = walk(root, ())
        assert isinstance(result, dict)
        return result


def _unclosed_bracket(frontmatter: str) -> Any:
    """The mark of the innermost `[` or `{` still open where YAML's scanner stops, if any."""
    opened: list[Any] = []
    try:
        for token in yaml.scan(frontmatter, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.FlowSequenceStartToken | yaml.FlowMappingStartToken):
                opened.append(token.start_mark)
            elif isinstance(token, yaml.FlowSequenceEndToken | yaml.FlowMappingEndToken) and opened:
                opened.pop()
    except yaml.YAMLError:
        pass
    return opened[-1] if opened else None


def _yaml_fix(problem: str) -> str:
    if "alias" in problem or "anchor" in problem:
        return "write the value out in full; aliases are not allowed"
    if "tab" in problem:
        return "indent with spaces, not tabs"
    if "mapping values" in problem:
        return (
            "if this line starts a new key, line it up with the keys above it; if it continues a value,"
            " quote that value (it contains `: `)"
        )
    if "expected <block end>" in problem or "indentation" in problem:
        return "line up the keys of one mapping at the same indentation"
    return "check the quoting and indentation on and just before this line"


# -- the schema ----------------------------------------------------------------------------------
class _Invalid(Exception):
    """A value the schema refuses. `private` says the same without quoting the value: for the person's
    own fields, whose problems reach logs and job summaries (which name no one)."""

    def __init__(self, code: str, message: str, fix: str = "", private: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.fix, self.private = code, message, fix, private or message


Convert = Callable[[Any], Any]


def _type_name(value: Any, private: bool = False) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if private:
        return "a single value"
    # A quoted value is text: show its quotes, or `"true"` would read "must be true or false, not `true`".
    return f"`{value}`" if isinstance(value, Plain) else f'`"{value}"`'


def text(value: Any) -> str | None:
    if isinstance(value, Plain) and value in _NULLS:
        return None
    if not isinstance(value, str):
        raise _Invalid("wrong-type", f"must be text, not {_type_name(value)}", "write a single line of text")
    return value.strip() or None


def boolean(value: Any) -> bool | None:
    if isinstance(value, Plain):
        if value in _NULLS:
            return None
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
    raise _Invalid(
        "wrong-type",
        f"must be true or false, not {_type_name(value)}",
        "write true or false, without quotes" + ("" if isinstance(value, Plain) else " (it is quoted)"),
        "must be true or false" + ("" if isinstance(value, Plain) else ", not a quoted value"),
    )


def amount(value: Any) -> Decimal | None:
    if isinstance(value, Plain):
        if value in _NULLS:
            return None
        if re.fullmatch(r"\d{1,6}(\.\d{1,2})?", value):
            return Decimal(value)
    raise _Invalid(
        "wrong-type", f"must be an amount such as 30 or 30.00, not {_type_name(value)}", "write 30"
    )


def iso_date(value: Any) -> date | None:
    if isinstance(value, Plain) and value in _NULLS:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid(
        "bad-date",
        f"must be a date written YYYY-MM-DD, not {_type_name(value)}",
        "write the date like 2026-11-20",
        "must be a date written YYYY-MM-DD",
    )


def clock(value: Any) -> str | None:
    found = text(value)
    if found is None:
        return None
    matched = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", found)
    if not matched:
        raise _Invalid("bad-value", f"must be a time written HH:MM, not `{found}`", 'write it like "14:30"')
    return f"{int(matched[1]):02d}:{matched[2]}"


def url(value: Any) -> str | None:
    found = text(value)
    if found is None:
        return None
    if not re.fullmatch(r"https?://[^\s/$.?#][^\s]*", found):
        raise _Invalid(
            "bad-url",
            f"must be an http(s) link, not `{found}`",
            "paste the full link, starting with https://",
            "must be an http(s) link",
        )
    return found


_LOGIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}")


def login(value: Any) -> str | None:
    found = text(value)
    if found is None:
        return None
    found = found.removeprefix("@")
    if not _LOGIN.fullmatch(found):
        raise _Invalid("bad-value", f"`{found}` is not a GitHub login", "write the GitHub login, like alice")
    return found


def choice(*allowed: str) -> Convert:
    def convert(value: Any) -> str | None:
        found = text(value)
        if found is None:
            return None
        if found not in allowed:
            raise _Invalid(
                "bad-value",
                f"`{found}` is not one of {', '.join(allowed)}.{suggest(found, allowed)}".rstrip("."),
                f"write one of: {', '.join(allowed)}",
            )
        return found

    return convert


@dataclass(frozen=True)
class Fields:
    """A mapping with known keys; `required` keys must be present and not empty."""

    fields: Mapping[str, Convert | Fields | ListOf]
    required: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ListOf:
    item: Convert | Fields


PERSON = Fields(
    {
        "first_name": text,
        "profile": url,
        "company": text,
        "role": text,
        "technical": boolean,
        "forgotten_on": iso_date,
    }
)
REQUEST = Fields(
    {
        "type": choice(*REQUEST_TYPES),
        "title": text,
        "details": text,
        "issue": url,
        "evidence": url,
        "told_on": iso_date,
    },
    frozenset({"type", "title"}),
)
PUBLISHED = Fields({"slack": url, "doc": text, "digest": text, "calendar": text, "pull_request": url})
COMMON: dict[str, Convert | Fields | ListOf] = {
    "id": text,
    "kind": choice("interview", "note"),
    "example": boolean,
    "date": iso_date,
    "user": PERSON,
    "requests": ListOf(REQUEST),
    "published": PUBLISHED,
}
INTERVIEW = Fields(
    {
        **COMMON,
        "topic": text,
        "time": clock,
        "status": choice(*STATUSES),
        "interviewers": ListOf(login),
        "recruited_via": choice(*RECRUITED_VIA),
        "recording": Fields({"consent": boolean, "url": url, "title": text}),
        "summary": text,
        "questions": ListOf(Fields({"question": text, "answer": text}, frozenset({"question"}))),
        "reward": Fields(
            {
                "kind": choice(*REWARD_KINDS),
                "amount": amount,
                "status": choice(*REWARD_STATUSES),
                "issued_on": iso_date,
                "sent_on": iso_date,
                "card": text,
                "card_last": text,
            },
            frozenset({"kind", "status"}),
        ),
        "follow_up": Fields(
            {"status": choice(*FOLLOW_UP_STATUSES), "done_on": iso_date}, frozenset({"status"})
        ),
    },
    frozenset({"id", "topic", "date", "status", "user"}),
)
NOTE = Fields(
    {**COMMON, "received_by": login, "received_via": choice(*RECEIVED_VIA), "feedback": text},
    frozenset({"id", "kind", "date", "received_by", "user", "feedback"}),
)


def _check(reader: _Reader, spec: Convert | Fields | ListOf, value: Any, key: Key) -> Any:
    """Convert `value` by `spec`; report what is wrong at its line, and give None for it."""
    if isinstance(spec, Fields):
        if isinstance(value, Plain) and value in _NULLS:
            return {}
        if not isinstance(value, dict):
            names = ", ".join(spec.fields)
            reader.problem(
                reader.at(key),
                "wrong-type",
                f"`{dotted(key)}` must be a mapping of fields, not "
                + _type_name(value, private=key[:1] == ("user",)),
                f"write the item as `- name: value` lines, with names from: {names}"
                if isinstance(key[-1], int)
                else f"write its fields on the lines below `{key[-1]}:`, indented: {names}",
            )
            return None
        out: dict[str, Any] = {}
        failed: set[str] = set()
        for name, item in value.items():
            if name not in spec.fields:
                reader.problem(
                    reader.positions.key((*key, name)),
                    "unknown-key",
                    f"`{dotted((*key, name))}` is not a field.{suggest(name, list(spec.fields))}".rstrip("."),
                    f"fields here are: {', '.join(spec.fields)}",
                )
                continue
            before = len(reader.problems)
            out[name] = _check(reader, spec.fields[name], item, (*key, name))
            if len(reader.problems) > before:
                failed.add(name)
        for name in sorted(spec.required - failed):
            if out.get(name) in (None, [], {}):
                reader.problem(
                    reader.positions.key(key) if key else (reader.base_line + 2, 1),
                    "missing-key",
                    f"`{dotted((*key, name))}` is required",
                    f"add `{name}:` with a value",
                )
        return out
    if isinstance(spec, ListOf):
        if isinstance(value, Plain) and value in _NULLS:
            return []
        if not isinstance(value, list):
            reader.problem(
                reader.at(key),
                "wrong-type",
                f"`{dotted(key)}` must be a list",
                "write one `- item` per line, or [a, b]",
            )
            return None
        items = []
        for index, item in enumerate(value):
            before = len(reader.problems)
            converted = _check(reader, spec.item, item, (*key, index))
            if converted is None and len(reader.problems) == before and not isinstance(spec.item, Fields):
                # `- ` alone, or `[alice, ~]`: an empty login is no interviewer (and no crash later)
                reader.problem(
                    reader.at((*key, index)),
                    "bad-value",
                    f"`{dotted((*key, index))}` is empty",
                    "remove the empty item, or write its value",
                )
            items.append(converted)
        return items
    try:
        return spec(value)
    except _Invalid as invalid:
        message = invalid.private if key[:1] == ("user",) else invalid.message
        reader.problem(reader.at(key), invalid.code, f"`{dotted(key)}` {message}", invalid.fix)
        return None


# -- building the records -------------------------------------------------------------------------
def _person(data: Mapping[str, Any] | None) -> Person:
    return Person(**(data or {}))


def _requests(items: list[Any] | None) -> tuple[Request, ...]:
    return tuple(Request(**item) for item in items or () if item)


def _common(path: str, data: dict[str, Any], notes: str) -> dict[str, Any]:
    """The fields every kind of record has."""
    return {
        "path": path,
        "id": data["id"],
        "date": data["date"],
        "user": _person(data.get("user")),
        "requests": _requests(data.get("requests")),
        "published": Published(**(data.get("published") or {})),
        "example": bool(data.get("example")),
        "notes": notes,
    }


def _interview(path: str, data: dict[str, Any], notes: str) -> Interview:
    return Interview(
        **_common(path, data, notes),
        topic=data["topic"],
        time=data.get("time"),
        status=data["status"],
        interviewers=tuple(data.get("interviewers") or ()),
        recruited_via=data.get("recruited_via"),
        recording=Recording(**(data.get("recording") or {})),
        summary=data.get("summary"),
        questions=tuple(Question(**q) for q in data.get("questions") or () if q),
        reward=Reward(**(data.get("reward") or {})),
        follow_up=FollowUp(**(data.get("follow_up") or {})),
    )


def _note(path: str, data: dict[str, Any], notes: str) -> Note:
    return Note(
        **_common(path, data, notes),
        received_by=data["received_by"],
        received_via=data.get("received_via"),
        feedback=data["feedback"],
    )


def parse(data: bytes | str, path: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Read one record. Every problem carries the file, line and column; nothing raises."""
    reader = _Reader(path)
    text = ""
    try:
        text = reader.decode(data, max_bytes)
        frontmatter, body, _ = reader.split(text)
        body = body.replace("\r\n", "\n")  # the notes read the same from a CRLF checkout
        raw = reader.values(reader.compose(frontmatter))
    except _Stop:
        return Parsed(path, None, reader.problems, text)
    except RecursionError:
        reader.problem((1, 1), "too-deep", "the fields are nested too deeply", "flatten them")
        return Parsed(path, None, reader.problems, text)
    kind = raw.get("kind", "interview")
    spec = NOTE if kind == "note" else INTERVIEW
    checked = _check(reader, spec, raw, ())
    if reader.problems or not isinstance(checked, dict):
        return Parsed(path, None, reader.problems, text, reader.positions)
    build = _note if kind == "note" else _interview
    return Parsed(path, build(path, checked, body), [], text, reader.positions)
