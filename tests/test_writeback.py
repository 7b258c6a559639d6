"""Write-back: `apply_changes` edits only the lines of the fields it is asked to change.

Every test compares the whole text before and after with difflib and asserts the exact lines that
were removed and added; everything else (comments, key order, quoting, blank lines, the body) must
be byte for byte what it was.
"""

from __future__ import annotations

import difflib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop.errors import FeedbackloopError
from feedbackloop.records.model import Interview, Key
from feedbackloop.records.parse import parse
from feedbackloop.records.writeback import DELETE, Change, apply_changes, render_scalar

PATH = "interviews/2026/2026-11-20-web-analytics-joe.md"
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "interviews").rglob("*.md"))

# Every kind of YAML a person writes: comments at the end of lines and between keys, a commented-out
# key, blank lines, single and double quotes, folded and literal scalars, flow collections, a body
# holding colons, hashes and a `---` line.
TEXT = """\
---
# An interview, with every kind of YAML a person writes.
id: 2026-11-20-web-analytics-joe   # stable
topic: 'Web analytics'
date: 2026-11-20
status: completed  # scheduled | completed
interviewers: [alice, bob]
user:
  first_name: "Joe"
  profile: https://us.posthog.com/project/2/person/01HXYZ
  # company: left out on purpose
  role: CTO
summary: >-
  Uses funnels daily;
  wants cohorts.
requests:
  - type: bug  # the crash
    title: "Funnel breakdown crashes: 50+ steps"
    details: |
      Line one.
      Line two.

  # a comment between items
  - {type: feature, title: Break down by cohort}
reward:
  kind: merch
  amount: 30
  status: pending
  # sent_on: 2026-11-22                 # required once status is sent

follow_up:
  status: pending
---
## Notes

- Body line with: colons, # hashes and `key: value`.
---
Not frontmatter.
"""

ISSUE = "https://github.com/acme/product/issues/123"


def diff(before: str, after: str) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The lines removed (numbered in `before`) and added (numbered in `after`), 1-based."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag in ("replace", "delete"):
            removed += [(i + 1, old[i]) for i in range(i1, i2)]
        if tag in ("replace", "insert"):
            added += [(j + 1, new[j]) for j in range(j1, j2)]
    return removed, added


def interview(text: str) -> Interview:
    parsed = parse(text, PATH)
    assert parsed.problems == [], parsed.problems
    assert isinstance(parsed.record, Interview)
    return parsed.record


def test_the_text_is_a_sound_interview() -> None:
    record = interview(TEXT)
    assert record.requests[0].details == "Line one.\nLine two."
    assert record.notes.endswith("---\nNot frontmatter.\n")


def test_no_change_is_no_change() -> None:
    assert apply_changes(TEXT, {}) == TEXT


# -- setting ------------------------------------------------------------------------------------------
def test_set_an_existing_scalar() -> None:
    after = apply_changes(TEXT, {("reward", "status"): "issued"})
    assert diff(TEXT, after) == ([(28, "  status: pending\n")], [(28, "  status: issued\n")])


def test_set_a_scalar_and_keep_its_trailing_comment() -> None:
    after = apply_changes(TEXT, {("status",): "cancelled"})
    assert diff(TEXT, after) == (
        [(6, "status: completed  # scheduled | completed\n")],
        [(6, "status: cancelled  # scheduled | completed\n")],
    )


def test_set_a_quoted_scalar_writes_it_plainly_when_that_reads_the_same() -> None:
    after = apply_changes(TEXT, {("user", "first_name"): "Jo"})
    assert diff(TEXT, after) == ([(9, '  first_name: "Joe"\n')], [(9, "  first_name: Jo\n")])


def test_set_a_folded_scalar_keeps_the_next_key_on_its_own_line() -> None:
    after = apply_changes(TEXT, {("summary",): "Short."})
    assert diff(TEXT, after) == (
        [(13, "summary: >-\n"), (14, "  Uses funnels daily;\n"), (15, "  wants cohorts.\n")],
        [(13, "summary: Short.\n")],
    )
    assert interview(after).summary == "Short."


def test_set_a_literal_scalar_in_a_list_item_keeps_the_blank_line_after_it() -> None:
    after = apply_changes(TEXT, {("requests", 0, "details"): "One line."})
    assert diff(TEXT, after) == (
        [(19, "    details: |\n"), (20, "      Line one.\n"), (21, "      Line two.\n")],
        [(19, "    details: One line.\n")],
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  role:\n", "  role: CEO\n"),
        ("  role:  # to ask\n", "  role: CEO  # to ask\n"),
        ("  role: ~\n", "  role: CEO\n"),
        ("  role: null\n", "  role: CEO\n"),
    ],
)
def test_set_an_empty_value(line: str, expected: str) -> None:
    text = TEXT.replace("  role: CTO\n", line)
    after = apply_changes(text, {("user", "role"): "CEO"})
    assert diff(text, after) == ([(12, line)], [(12, expected)])
    assert interview(after).user.role == "CEO"


# -- adding -------------------------------------------------------------------------------------------
def test_add_a_key_to_a_block_mapping_after_the_comments_that_belong_to_it() -> None:
    after = apply_changes(TEXT, {("reward", "issued_on"): date(2026, 11, 21)})
    # After `# sent_on: …` (indented as the mapping's keys), before the blank line.
    assert diff(TEXT, after) == ([], [(30, "  issued_on: 2026-11-21\n")])
    assert interview(after).reward.issued_on == date(2026, 11, 21)


def test_add_a_key_to_a_mapping_inside_a_list_item() -> None:
    after = apply_changes(TEXT, {("requests", 0, "issue"): ISSUE})
    # After the literal's text, before the blank line and the comment between the items.
    assert diff(TEXT, after) == ([], [(22, f"    issue: {ISSUE}\n")])
    record = interview(after)
    assert record.requests[0].issue == ISSUE
    assert record.requests[0].details == "Line one.\nLine two."


def test_add_a_key_to_a_flow_mapping() -> None:
    after = apply_changes(TEXT, {("requests", 1, "issue"): ISSUE})
    assert diff(TEXT, after) == (
        [(24, "  - {type: feature, title: Break down by cohort}\n")],
        [(24, f"  - {{type: feature, title: Break down by cohort, issue: {ISSUE}}}\n")],
    )
    assert interview(after).requests[1].issue == ISSUE


def test_create_a_missing_parent_mapping() -> None:
    changes: dict[Key, Change] = {
        ("published", "slack"): "https://acme.slack.com/p1",
        ("published", "doc"): "r1",
    }
    after = apply_changes(TEXT, changes)
    assert diff(TEXT, after) == (
        [],
        [(33, "published:\n"), (34, "  slack: https://acme.slack.com/p1\n"), (35, "  doc: r1\n")],
    )
    published = interview(after).published
    assert (published.slack, published.doc) == ("https://acme.slack.com/p1", "r1")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("published:\n", "published:\n"),
        ("published: ~\n", "published:\n"),
        ("published: null\n", "published:\n"),
        ("published:  # written by feedbackloop\n", "published:  # written by feedbackloop\n"),
        ("published: null  # written by feedbackloop\n", "published:   # written by feedbackloop\n"),
    ],
)
def test_fill_a_published_mapping_that_is_null(line: str, expected: str) -> None:
    text = TEXT.replace("follow_up:\n", line + "follow_up:\n")
    after = apply_changes(text, {("published", "digest"): "0123456789ab"})
    removed, added = diff(text, after)
    if line == expected:
        assert (removed, added) == ([], [(32, "  digest: 0123456789ab\n")])
    else:
        assert (removed, added) == ([(31, line)], [(31, expected), (32, "  digest: 0123456789ab\n")])
    assert interview(after).published.digest == "0123456789ab"


def test_a_top_level_key_goes_after_the_last_one_even_after_a_block_collection() -> None:
    # The last top-level value is a block list of block mappings: its own end mark is past the text.
    questions = "questions:\n  - question: Why?\n    answer: Because.\n"
    text = TEXT.replace("  status: pending\n---\n", "  status: pending\n" + questions + "---\n")
    after = apply_changes(text, {("example",): True})
    assert diff(text, after) == ([], [(36, "example: true\n")])
    assert interview(after).example is True


def test_nested_keys_created_inside_a_flow_mapping() -> None:
    text = TEXT.replace(
        "reward:\n  kind: merch\n  amount: 30\n  status: pending\n",
        "reward: {kind: merch, status: pending}\n",
    )
    after = apply_changes(text, {("reward", "card"): "gid://shopify/GiftCard/9"})
    assert "reward: {kind: merch, status: pending, card: gid://shopify/GiftCard/9}\n" in after
    assert interview(after).reward.card == "gid://shopify/GiftCard/9"


# -- deleting -----------------------------------------------------------------------------------------
def test_delete_a_key() -> None:
    after = apply_changes(TEXT, {("reward", "amount"): DELETE})
    assert diff(TEXT, after) == ([(27, "  amount: 30\n")], [])
    assert interview(after).reward.amount is None


def test_delete_a_key_holding_a_block() -> None:
    after = apply_changes(TEXT, {("summary",): DELETE})
    assert diff(TEXT, after) == (
        [(13, "summary: >-\n"), (14, "  Uses funnels daily;\n"), (15, "  wants cohorts.\n")],
        [],
    )


def test_delete_the_first_key_of_a_list_item_keeps_the_item() -> None:
    after = apply_changes(TEXT, {("requests", 0, "type"): DELETE})
    assert diff(TEXT, after) == (
        [(17, "  - type: bug  # the crash\n"), (18, '    title: "Funnel breakdown crashes: 50+ steps"\n')],
        [(17, '  - title: "Funnel breakdown crashes: 50+ steps"\n')],
    )


def test_delete_what_is_not_there_changes_nothing() -> None:
    assert apply_changes(TEXT, {("published", "slack"): DELETE, ("reward", "card"): DELETE}) == TEXT


def test_delete_from_a_flow_mapping_is_refused_not_guessed() -> None:
    with pytest.raises(FeedbackloopError, match="flow mapping"):
        apply_changes(TEXT, {("requests", 1, "title"): DELETE})


# -- refusals -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        (TEXT, ("requests",), "holds a list or mapping"),
        (TEXT, ("requests", 5, "issue"), "item 5 does not exist"),
        (TEXT, ("interviewers", "x"), "parent is not a mapping"),
        ("# no frontmatter\n", ("id",), "no frontmatter"),
        ("---\nid: [\n---\n", ("id",), "not valid YAML"),
        ("---\n- a\n---\n", ("id",), "not a mapping"),
    ],
)
def test_what_cannot_be_written_is_an_error_and_the_text_unchanged(text: str, key: Key, message: str) -> None:
    with pytest.raises(FeedbackloopError, match=message):
        apply_changes(text, {key: "x"})


# -- values that need quoting -------------------------------------------------------------------------
TRICKY = [
    "a: b", "#x", "x #y", "true", "False", "no", "on", "01234", "12:30", "2026-11-20", "1e3", "0x1F",
    "null", "~", "zoë ☃ 𝄞", "'q'", '"dq"', "- a", "[x]", "{x}", "@me", "`b`", "!tag", "&a", "*a",
    "%x", "|", ">", "?", "a\tb", "two\nlines", "a\\b", "trailing\\", "\u2028", "x\u2028y", "\x07bell",
    "\ufeffbom", "  spaced  ",
]  # fmt: skip


@pytest.mark.parametrize("value", TRICKY)
def test_a_value_that_needs_quoting_reads_back_identically(value: str) -> None:
    after = apply_changes(TEXT, {("published", "digest"): value})
    removed, added = diff(TEXT, after)
    assert removed == []
    assert added[0][1] == "published:\n"
    assert len(added) == 2, "one line for the value, whatever it holds"
    frontmatter = after.split("---\n")[1]
    as_text = yaml.load(frontmatter, Loader=yaml.BaseLoader)  # noqa: S506 - only str, list and dict
    assert as_text["published"]["digest"] == value
    # The reader strips text fields, and reads text that is only spaces as empty.
    assert interview(after).published.digest == (value.strip() or None)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (True, "true"),
        (False, "false"),
        (30, "30"),
        (Decimal("30.50"), "30.50"),
        (date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_other_scalars_are_written_plainly(value: bool | int | Decimal | date, written: str) -> None:
    assert render_scalar(value) == written


# -- line endings and byte order marks ----------------------------------------------------------------
CHANGES: dict[Key, Change] = {
    ("requests", 0, "issue"): ISSUE,
    ("requests", 1, "issue"): ISSUE,
    ("reward", "status"): "issued",
    ("reward", "issued_on"): date(2026, 11, 21),
    ("reward", "amount"): DELETE,
    ("published", "slack"): "https://acme.slack.com/p1",
}


def test_a_crlf_file_stays_crlf_and_changes_the_same_lines() -> None:
    crlf = TEXT.replace("\n", "\r\n")
    after = apply_changes(crlf, CHANGES)
    assert "\n" not in after.replace("\r\n", "")
    assert after == apply_changes(TEXT, CHANGES).replace("\n", "\r\n")
    assert parse(after, PATH).record == parse(apply_changes(TEXT, CHANGES), PATH).record


def test_a_byte_order_mark_stays_first() -> None:
    after = apply_changes("\ufeff" + TEXT, CHANGES)
    assert after == "\ufeff" + apply_changes(TEXT, CHANGES)


def test_a_tab_after_a_value_which_validation_accepts_does_not_stop_the_write_back() -> None:
    """The parser (libyaml) reads `status: completed<TAB>`; so must the write-back, or publish would
    find its effects again on every run and never record them."""
    tabbed = TEXT.replace("status: completed  # scheduled | completed", "status: completed\t")
    assert parse(tabbed, PATH).problems == []
    after = apply_changes(tabbed, CHANGES)
    assert after == apply_changes(TEXT, CHANGES).replace(
        "status: completed  # scheduled | completed", "status: completed\t"
    )


def test_several_changes_at_once_touch_only_their_lines() -> None:
    after = apply_changes(TEXT, CHANGES)
    removed, added = diff(TEXT, after)
    assert removed == [
        (24, "  - {type: feature, title: Break down by cohort}\n"),
        (27, "  amount: 30\n"),
        (28, "  status: pending\n"),
    ]
    assert [line for _, line in added] == [
        f"    issue: {ISSUE}\n",
        f"  - {{type: feature, title: Break down by cohort, issue: {ISSUE}}}\n",
        "  status: issued\n",
        "  issued_on: 2026-11-21\n",
        "published:\n",
        "  slack: https://acme.slack.com/p1\n",
    ]


# -- the shipped examples ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_round_trips(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert apply_changes(text, {}) == text
    after = apply_changes(text, {("published", "digest"): "0123456789ab"})
    removed, added = diff(text, after)
    assert removed == []
    assert [line for _, line in added][-1] == "  digest: 0123456789ab\n"
    assert parse(after, path.name).record is not None


# -- a property: any text in a ledger field, nothing else moves ---------------------------------------
LEDGER_TEXT_FIELDS: list[Key] = [
    ("published", "digest"),
    ("published", "doc"),
    ("published", "calendar"),
    ("reward", "card"),
    ("reward", "card_last"),
]


@settings(max_examples=150, deadline=None, database=None)
@given(
    key=st.sampled_from(LEDGER_TEXT_FIELDS),
    value=st.text(max_size=60),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_text_in_a_ledger_field_changes_only_its_line(key: Key, value: str, newline: str) -> None:
    base = TEXT.replace(
        "follow_up:\n", "published:\n  digest: old\n  doc: old\n  calendar: old\nfollow_up:\n"
    )
    base = base.replace(
        "  status: pending\n  # sent_on", "  status: pending\n  card: old\n  card_last: old\n  # sent_on"
    )
    text = base.replace("\n", newline)
    after = apply_changes(text, {key: value})
    before_lines, after_lines = text.split(newline), after.split(newline)
    assert len(after_lines) == len(before_lines)
    changed = [i for i, (a, b) in enumerate(zip(before_lines, after_lines, strict=True)) if a != b]
    target = before_lines.index(f"  {key[-1]}: old")
    assert changed in ([target], [])  # [] when the value is "old"
    record = interview(after)
    section = record.published if key[0] == "published" else record.reward
    assert getattr(section, str(key[1])) == (value.strip() or None)
