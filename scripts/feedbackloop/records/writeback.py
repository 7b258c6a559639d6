"""Write ledger fields back into a record's text, touching only the lines of those fields.

A round-trip YAML library re-emits the whole document (sequence indentation, line width, quoting of
scalars nobody asked it to touch). Here each change is a splice at the marks of the YAML nodes: the new
value replaces the old value's characters, or a new `key: value` line is inserted after the last entry
of its mapping, at that mapping's indentation. Comments, key order, quoting and the body stay byte for
byte; the result is re-read to prove the change landed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import yaml

from feedbackloop.errors import FeedbackloopError
from feedbackloop.records.model import Key
from feedbackloop.records.parse import _BOUNDARY

Scalar = str | int | bool | date | Decimal


class _Delete:
    """Remove the key (and its value) instead of setting it."""

    def __repr__(self) -> str:
        return "DELETE"


DELETE = _Delete()

# The empty key path names the body (the notes below the frontmatter): `{BODY: "new notes\n"}`.
BODY: tuple[str | int, ...] = ()
Change = Scalar | _Delete

_NEEDS_ESCAPES = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_BOM = "\ufeff"

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


def _by_kind(loader: Any, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
    """Both composers' `resolve`: a node's tag says only its kind (nothing is turned into a value)."""
    return {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}[kind]


class _MarkLoader(yaml.SafeLoader):
    """The pure-Python composer: its marks index characters, which the splices need."""

    resolve = _by_kind


_CLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)


class _FastMarkLoader(_CLoader or yaml.SafeLoader):  # type: ignore[misc]
    """libyaml's composer, some twenty times faster: its marks index characters too (it counts code
    points, as Python does), and only a plain scalar's style differs (`""` for None), which the
    splices read as the same. A write-back composes the frontmatter once per changed key."""

    resolve = _by_kind


def render_scalar(value: Scalar) -> str:
    """One YAML scalar as it would be written by hand: plain where that reads back the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | int | Decimal):
        return str(value) if not isinstance(value, date) else value.isoformat()
    # A line break (YAML 1.1 also counts U+0085, U+2028, U+2029) or a control character: one
    # double-quoted line with escapes, not a single-quoted scalar folded over several lines.
    style = '"' if _NEEDS_ESCAPES.search(value) else None
    dumped = yaml.safe_dump(
        value, default_flow_style=True, default_style=style, width=math.inf, allow_unicode=True
    )
    return str(dumped).removesuffix("\n...\n").removesuffix("\n")


def _frontmatter_span(text: str) -> tuple[int, int]:
    bom = len(_BOM) if text.startswith(_BOM) else 0  # a byte order mark stays where it is
    boundaries = list(_BOUNDARY.finditer(text[bom:]))
    if len(boundaries) < 2 or boundaries[0].start() != 0:
        raise FeedbackloopError("the record has no frontmatter to write back into")
    return bom + boundaries[0].end(), bom + boundaries[1].start()


def _compose(frontmatter: str) -> yaml.MappingNode:
    try:
        node = yaml.compose(frontmatter, Loader=_FastMarkLoader)
    except yaml.YAMLError:
        node = None  # said in the pure-Python composer's words, below
    if node is None:
        node = _compose_slowly(frontmatter)
    if not isinstance(node, yaml.MappingNode):
        raise FeedbackloopError("the record's frontmatter is not a mapping")
    return node


def _compose_slowly(frontmatter: str) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(frontmatter, Loader=_MarkLoader)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or "it cannot be read"
        raise FeedbackloopError(
            f"the record's frontmatter is not valid YAML ({problem}), so nothing is written back",
            "run `feedbackloop validate` on it and fix what it says",
        ) from None
    return node


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(part, int):
        if isinstance(node, yaml.SequenceNode) and part < len(node.value):
            item: yaml.Node = node.value[part]
            return item
        return None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == part:
                found: yaml.Node = value_node
                return found
    return None


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _line_end(text: str, index: int) -> int:
    end = text.find("\n", index)
    return len(text) if end == -1 else end + 1


def _is_null(node: yaml.Node) -> bool:
    return (
        isinstance(node, yaml.ScalarNode)
        and not node.style
        and node.value in ("", "~", "null", "Null", "NULL")
    )


def _block(key: Key, value: Scalar, indent: int, newline: str) -> str:
    """`key: value` lines for a key path whose first parts do not exist yet."""
    lines, pad = [], " " * indent
    for depth, part in enumerate(key[:-1]):
        lines.append(f"{pad}{'  ' * depth}{part}:")
    lines.append(f"{pad}{'  ' * (len(key) - 1)}{key[-1]}: {render_scalar(value)}")
    return newline.join(lines) + newline


def _last_end(node: yaml.Node, frontmatter: str) -> int:
    """Where the text of a value ends: a block collection's own end mark lies at the next token,
    which can be on a later line (after the next list item's dash), so follow its last entry."""
    while isinstance(node, yaml.MappingNode | yaml.SequenceNode) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(node, yaml.MappingNode) else last
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, yaml.ScalarNode) and node.style in ("|", ">"):
        indicator = frontmatter[start : _line_end(frontmatter, start)]
        if "+" not in indicator.split("#")[0]:
            # Blank lines after a clipped or stripped block scalar are not its text: a new key goes
            # before them. (With `+` they are its text, and stay with it.)
            return start + len(frontmatter[start:end].rstrip())
    return end


def _replace_scalar(frontmatter: str, node: yaml.ScalarNode, value: Scalar, newline: str) -> str:
    start, end = node.start_mark.index, node.end_mark.index
    new = render_scalar(value)
    if node.style in ("|", ">"):
        # A block scalar runs to the start of the line after its text (and over blank lines it
        # keeps): replace its indicator and text lines, keep the line break and those blank lines.
        content = start + len(frontmatter[start:end].rstrip())
        end = _line_end(frontmatter, content)
        new += newline if end > content else ""
    elif start == end and frontmatter[start - 1 : start] not in (" ", "\t"):
        new = " " + new  # an empty value right after its colon: `issue:` becomes `issue: value`
    return frontmatter[:start] + new + frontmatter[end:]


def _clear_null(frontmatter: str, node: yaml.Node) -> str:
    """`key: ~` or `key: null` becomes `key:`, so entries can be written beneath it."""
    start, end = node.start_mark.index, node.end_mark.index
    if start == end:
        return frontmatter
    rest = frontmatter[end : _line_end(frontmatter, end)]
    if not rest.strip():  # nothing after the token: take the spaces before it too
        while start > 0 and frontmatter[start - 1] == " ":
            start -= 1
    return frontmatter[:start] + frontmatter[end:]


def _apply(frontmatter: str, key: Key, value: Change) -> str:
    newline = "\r\n" if "\r\n" in frontmatter else "\n"
    root = _compose(frontmatter)
    parent: yaml.Node = root
    depth = 0
    for depth, part in enumerate(key[:-1]):  # noqa: B007 - depth is used after the loop
        child = _child(parent, part)
        if child is None or _is_null(child):
            break
        parent = child
    else:
        depth = len(key) - 1
    rest = key[depth:]
    if isinstance(value, _Delete):
        return _delete(frontmatter, parent, rest) if len(rest) == 1 else frontmatter
    if len(rest) == 1:
        existing = _child(parent, rest[0])
        if existing is not None:
            if not isinstance(existing, yaml.ScalarNode):
                raise FeedbackloopError(
                    f"cannot write `{'.'.join(map(str, key))}`: it holds a list or mapping"
                )
            return _replace_scalar(frontmatter, existing, value, newline)
    if isinstance(rest[0], int):
        raise FeedbackloopError(f"cannot write `{'.'.join(map(str, key))}`: item {rest[0]} does not exist")
    if not isinstance(parent, yaml.MappingNode):
        raise FeedbackloopError(f"cannot write `{'.'.join(map(str, key))}`: its parent is not a mapping")
    # An empty or null value on `parent_key:` — write the new block beneath it.
    null_child = _child(parent, rest[0]) if len(rest) > 1 else None
    if null_child is not None and _is_null(null_child):
        indent = _indent_of(parent, frontmatter) + 2
        line = _line_start(frontmatter, null_child.start_mark.index)  # the clearing keeps it
        frontmatter = _clear_null(frontmatter, null_child)
        at = _line_end(frontmatter, line)
        return frontmatter[:at] + _block(rest[1:], value, indent, newline) + frontmatter[at:]
    if parent.flow_style:
        closing = parent.end_mark.index - 1
        inner = "".join(f"{p}: {{" for p in rest[:-1]) + f"{rest[-1]}: {render_scalar(value)}"
        inner += "}" * (len(rest) - 1)
        separator = ", " if parent.value else ""
        return frontmatter[:closing] + separator + inner + frontmatter[closing:]
    indent = _indent_of(parent, frontmatter)
    _, last_value = parent.value[-1]
    end = _last_end(last_value, frontmatter)
    # A block scalar ends at the start of the line after it; any other value ends on its own line.
    at = end if end == _line_start(frontmatter, end) else _line_end(frontmatter, end)
    at = _skip_trailing_comments(frontmatter, at, indent)
    return frontmatter[:at] + _block(rest, value, indent, newline) + frontmatter[at:]


def _skip_trailing_comments(text: str, at: int, indent: int) -> int:
    """Do not split a mapping from comment lines indented as its own entries (they belong to it)."""
    while at < len(text):
        line = text[at : _line_end(text, at)]
        stripped = line.lstrip(" ")
        if stripped.startswith("#") and len(line) - len(stripped) >= indent and indent > 0:
            at = _line_end(text, at)
            continue
        break
    return at


def _indent_of(mapping: yaml.MappingNode, text: str) -> int:
    if mapping.value:
        column: int = mapping.value[0][0].start_mark.column
        return column
    return mapping.start_mark.column


def _delete(frontmatter: str, parent: yaml.Node, rest: Key) -> str:
    if not isinstance(parent, yaml.MappingNode) or parent.flow_style:
        if isinstance(parent, yaml.MappingNode):
            raise FeedbackloopError("cannot remove a key from a flow mapping `{...}`; write it as a block")
        return frontmatter
    for index, (key_node, value_node) in enumerate(parent.value):
        if key_node.value == rest[0]:
            start = _line_start(frontmatter, key_node.start_mark.index)
            end_index = _last_end(value_node, frontmatter)
            end = (
                end_index
                if end_index == _line_start(frontmatter, end_index)
                else _line_end(frontmatter, end_index)
            )
            before = frontmatter[start : key_node.start_mark.index]
            if before.strip(" ") == "-" or before.strip(" ").endswith(" -"):
                # The first key of a list item: the item's `- ` stays, the next key moves up to it.
                if index + 1 == len(parent.value):
                    raise FeedbackloopError(f"cannot remove `{rest[0]}`: it is all its list item holds")
                following = parent.value[index + 1][0].start_mark.index
                return frontmatter[: key_node.start_mark.index] + frontmatter[following:]
            if before.strip(" "):
                raise FeedbackloopError(f"cannot remove `{rest[0]}`: it shares its line with another key")
            return frontmatter[:start] + frontmatter[end:]
    return frontmatter


def apply_changes(text: str, changes: Mapping[Key, Change]) -> str:
    """`text` with each key path set to its value (or removed); nothing else changes.

    The key `BODY` replaces the notes below the frontmatter with its text."""
    start, end = _frontmatter_span(text)
    fields = {key: value for key, value in changes.items() if key != BODY}
    frontmatter = text[start:end]
    for key, value in fields.items():
        frontmatter = _apply(frontmatter, key, value)
    rest = text[end:]
    if BODY in changes:
        body = changes[BODY]
        closing = rest[: _line_end(rest, 0)]  # the closing `---` line, kept as it is
        rest = closing + ("" if isinstance(body, _Delete) else str(body))
    result = text[:start] + frontmatter + rest
    _verify(result, fields)
    return result


def _verify(text: str, changes: Mapping[Key, Change]) -> None:
    start, end = _frontmatter_span(text)
    root = _compose(text[start:end])
    for key, value in changes.items():
        node: yaml.Node | None = root
        for part in key:
            node = _child(node, part) if node is not None else None
        if isinstance(value, _Delete):
            ok = node is None
        else:
            ok = isinstance(node, yaml.ScalarNode) and node.value == _plain_value(value)
        if not ok:
            raise FeedbackloopError(
                f"writing `{'.'.join(map(str, key))}` back did not take; the file is unchanged"
            )


def _plain_value(value: Scalar) -> str:
    node = yaml.compose(render_scalar(value), Loader=_MarkLoader)
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""
