"""Write ledger fields back into a record's text, touching only the lines of those fields.

A round-trip YAML library re-emits the whole document (sequence indentation, line width, quoting of
scalars nobody asked it to touch). Here each change is a splice at the marks of the YAML nodes: the new
value replaces the old value's characters, or a new `key: value` line is inserted after the last entry
of its mapping, at that mapping's indentation. Comments, key order, quoting and the body stay byte for
byte; the result is re-read to prove the change landed.
"""

from __future__ import annotations

import math
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
Change = Scalar | _Delete

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _MarkLoader(yaml.SafeLoader):
    """The pure-Python composer: its marks index characters, which the splices need."""

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: Any) -> str:
        return {yaml.ScalarNode: _STR, yaml.SequenceNode: _SEQ, yaml.MappingNode: _MAP}[kind]


def render_scalar(value: Scalar) -> str:
    """One YAML scalar as it would be written by hand: plain where that reads back the same."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | int | Decimal):
        return str(value) if not isinstance(value, date) else value.isoformat()
    dumped = yaml.safe_dump(value, default_flow_style=True, width=math.inf, allow_unicode=True)
    return str(dumped).removesuffix("\n...\n").removesuffix("\n")


def _frontmatter_span(text: str) -> tuple[int, int]:
    boundaries = list(_BOUNDARY.finditer(text))
    if len(boundaries) < 2 or boundaries[0].start() != 0:
        raise FeedbackloopError("the record has no frontmatter to write back into")
    return boundaries[0].end(), boundaries[1].start()


def _compose(frontmatter: str) -> yaml.MappingNode:
    node = yaml.compose(frontmatter, Loader=_MarkLoader)
    if not isinstance(node, yaml.MappingNode):
        raise FeedbackloopError("the record's frontmatter is not a mapping")
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


def _block(key: Key, value: Scalar, indent: int) -> str:
    """`key: value` lines for a key path whose first parts do not exist yet."""
    lines, pad = [], " " * indent
    for depth, part in enumerate(key[:-1]):
        lines.append(f"{pad}{'  ' * depth}{part}:")
    lines.append(f"{pad}{'  ' * (len(key) - 1)}{key[-1]}: {render_scalar(value)}")
    return "\n".join(lines) + "\n"


def _apply(frontmatter: str, key: Key, value: Change) -> str:
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
            start, end = existing.start_mark.index, existing.end_mark.index
            return frontmatter[:start] + render_scalar(value) + frontmatter[end:]
    if isinstance(rest[0], int):
        raise FeedbackloopError(f"cannot write `{'.'.join(map(str, key))}`: item {rest[0]} does not exist")
    if not isinstance(parent, yaml.MappingNode):
        raise FeedbackloopError(f"cannot write `{'.'.join(map(str, key))}`: its parent is not a mapping")
    # An empty or null value on `parent_key:` — write the new block beneath it.
    null_child = _child(parent, rest[0]) if len(rest) > 1 else None
    if null_child is not None and _is_null(null_child):
        indent = _indent_of(parent, frontmatter) + 2
        at = null_child.start_mark.index
        at = _line_end(frontmatter, at)
        return frontmatter[:at] + _block(rest[1:], value, indent) + frontmatter[at:]
    if parent.flow_style:
        closing = parent.end_mark.index - 1
        inner = ", ".join(f"{p}: {{" for p in rest[:-1]) + f"{rest[-1]}: {render_scalar(value)}"
        inner += "}" * (len(rest) - 1)
        separator = ", " if parent.value else ""
        return frontmatter[:closing] + separator + inner + frontmatter[closing:]
    indent = _indent_of(parent, frontmatter)
    _, last_value = parent.value[-1]
    end = last_value.end_mark.index
    # A block value ends at the start of the line after it; a scalar ends on its own line.
    at = end if end == _line_start(frontmatter, end) else _line_end(frontmatter, end)
    at = _skip_trailing_comments(frontmatter, at, indent)
    return frontmatter[:at] + _block(rest, value, indent) + frontmatter[at:]


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
    for key_node, value_node in parent.value:
        if key_node.value == rest[0]:
            start = _line_start(frontmatter, key_node.start_mark.index)
            end_index = value_node.end_mark.index
            end = (
                end_index
                if end_index == _line_start(frontmatter, end_index)
                else _line_end(frontmatter, end_index)
            )
            if frontmatter[start : key_node.start_mark.index].strip(" -"):
                raise FeedbackloopError(f"cannot remove `{rest[0]}`: it shares its line with another key")
            return frontmatter[:start] + frontmatter[end:]
    return frontmatter


def apply_changes(text: str, changes: Mapping[Key, Change]) -> str:
    """`text` with each key path set to its value (or removed); nothing else changes."""
    start, end = _frontmatter_span(text)
    frontmatter = text[start:end]
    for key, value in changes.items():
        frontmatter = _apply(frontmatter, key, value)
    result = text[:start] + frontmatter + text[end:]
    _verify(result, changes)
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
