"""The strict reader: bytes in, a record (or problems with their line and column) out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop.config import Settings
from feedbackloop.records.model import (
    FollowUp,
    Interview,
    Note,
    Person,
    Published,
    Question,
    Recording,
    Request,
    Reward,
    profile_key,
)
from feedbackloop.records.parse import DEFAULT_MAX_BYTES, Parsed, parse
from feedbackloop.records.rules import check_across, check_record
from helpers_repo import CORPUS

GOOD = CORPUS / "good" / "interviews" / "2026"
PATH = "interviews/2026/2026-11-20-x.md"

MINIMAL = """\
---
id: 2026-11-20-x
topic: Web analytics
date: 2026-11-20
status: scheduled
user:
  first_name: Joe
{user}{extra}---
## Notes
"""


def minimal(extra: str = "", user: str = "") -> str:
    """A sound scheduled interview with `extra` top-level lines and `user` lines under `user:`."""
    return MINIMAL.format(extra=extra, user=user)


def read(name: str) -> Parsed:
    return parse((GOOD / name).read_bytes(), f"interviews/2026/{name}")


def problems(text: str | bytes, **kwargs: int) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.code) for p in parse(text, PATH, **kwargs).problems]


def field(extra: str) -> Interview:
    parsed = parse(minimal(extra), PATH)
    assert parsed.problems == []
    assert isinstance(parsed.record, Interview)
    return parsed.record


# -- the model ------------------------------------------------------------------------------------
def test_every_field_of_an_interview_lands_in_the_model() -> None:
    parsed = read("2026-11-20-every-field.md")
    assert parsed.problems == []
    assert parsed.record == Interview(
        path="interviews/2026/2026-11-20-every-field.md",
        id="2026-11-20-every-field",
        date=date(2026, 11, 20),
        user=Person(
            first_name="Joe",
            profile="https://us.posthog.com/project/2/person/01HXYZ",
            company="Acme",
            role="CTO",
            technical=True,
        ),
        requests=(
            Request(
                type="bug",
                title="Funnel breakdown crashes with more than 50 steps",
                details="Happens on the trends page too.",
                issue="https://github.com/acme/product/issues/123",
                evidence="https://github.com/acme/product/issues/123",
                told_on=date(2026, 11, 26),
            ),
            Request(type="feature", title="Break down funnels by cohort"),
        ),
        published=Published(
            slack="https://acme.slack.com/archives/C0FEEDBACK/p1700000000000100",
            doc="feedbackloop-2026-11-20-every-field",
            digest="0123456789ab",
            calendar="evt123",
            pull_request="https://github.com/acme/interviews/pull/7",
        ),
        example=False,
        notes=(
            "## Notes\n\n- Moved from Google Analytics in September.\n"
            "- Funnels with 50+ steps crash the breakdown view.\n"
        ),
        topic="Web analytics",
        time="14:30",
        status="completed",
        interviewers=("alice", "bob"),
        recruited_via="survey",
        recording=Recording(
            consent=True,
            url="https://app.buildbetter.app/calls/123",
            title="Web analytics user interview with Joe",
        ),
        summary="Uses funnels daily; wants breakdowns by cohort; hit a crash with long funnels.",
        questions=(
            Question("Can cohorts be exported?", "Yes, from the cohort page (CSV)."),
            Question("Is there an API for the dashboard?"),
        ),
        reward=Reward(
            kind="merch",
            amount=Decimal("30.50"),
            status="sent",
            issued_on=date(2026, 11, 21),
            sent_on=date(2026, 11, 22),
            card="gid://shopify/GiftCard/1",
            card_last="x9z2",
        ),
        follow_up=FollowUp(status="done", done_on=date(2026, 11, 24)),
    )


def test_a_feedback_note_is_a_note() -> None:
    parsed = read("2026-11-24-note.md")
    assert parsed.problems == []
    assert parsed.record == Note(
        path="interviews/2026/2026-11-24-note.md",
        id="2026-11-24-note",
        date=date(2026, 11, 24),
        user=Person(first_name="Ana", profile="https://us.posthog.com/project/2/person/ana"),
        requests=(Request(type="bug", title="SQL editor loses the query on reload"),),
        notes="Shared in the community Slack.\n",
        received_by="carol",
        received_via="community",
        feedback="The new SQL editor loses the query when the tab is reloaded.",
    )
    assert parsed.record.owners == ("carol",)
    assert parsed.record.summary == parsed.record.feedback


def test_a_note_has_its_own_fields_and_required_ones() -> None:
    text = "---\nkind: note\nid: 2026-11-24-n\ndate: 2026-11-24\ninterviewers: [alice]\n---\n"
    found = {(p.code, p.message.split(" ")[0]) for p in parse(text, PATH).problems}
    assert ("unknown-key", "`interviewers`") in found
    assert {("missing-key", f"`{name}`") for name in ("received_by", "user", "feedback")} <= found


def test_a_typo_in_kind_is_caught_with_a_suggestion() -> None:
    found = parse(minimal("kind: nte\n"), PATH).problems
    assert [(p.line, p.column, p.code) for p in found] == [(8, 7, "bad-value")]
    assert "Did you mean `note`?" in found[0].message


# -- scalars: text unless the schema says otherwise -----------------------------------------------
def test_yaml_11_look_alikes_stay_text() -> None:
    parsed = read("2026-11-21-yaml11-traps.md")
    assert parsed.problems == []
    record = parsed.record
    assert isinstance(record, Interview)
    assert (record.user.first_name, record.user.company, record.user.role) == ("NO", "on", "01234")
    assert record.time == "12:30"
    assert record.user.technical is False


@pytest.mark.parametrize(
    ("written", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("", None)],
)
def test_unquoted_booleans_are_booleans(written: str, value: bool | None) -> None:
    record = parse(minimal(user=f"  technical: {written}\n"), PATH)
    assert isinstance(record.record, Interview)
    assert record.record.user.technical is value


@pytest.mark.parametrize("written", ["yes", "no", "on", "off", "y", "1", '"true"', "'false'"])
def test_other_spellings_of_booleans_are_refused(written: str) -> None:
    text = minimal(user=f"  technical: {written}\n")
    found = parse(text, PATH).problems
    assert [(p.line, p.column, p.code) for p in found] == [(8, 14, "wrong-type")]
    assert "must be true or false" in found[0].message


@pytest.mark.parametrize(
    ("written", "value"), [("30", Decimal(30)), ("30.00", Decimal("30.00")), ("7.5", Decimal("7.5"))]
)
def test_unquoted_amounts_are_decimals(written: str, value: Decimal) -> None:
    record = field(f"reward:\n  kind: merch\n  amount: {written}\n  status: pending\n")
    assert record.reward.amount == value
    assert isinstance(record.reward.amount, Decimal)


@pytest.mark.parametrize("written", ["thirty", "30.123", "1234567", "-5", "3e1", "$30", '"30"'])
def test_what_is_not_an_amount_is_refused(written: str) -> None:
    text = minimal(f"reward:\n  kind: merch\n  amount: {written}\n  status: pending\n")
    assert problems(text) == [(10, 11, "wrong-type")]


@pytest.mark.parametrize("written", ["0", "0.00", "00"])
def test_a_reward_of_nothing_is_refused(written: str) -> None:
    text = minimal(f"reward:\n  kind: merch\n  amount: {written}\n  status: pending\n")
    parsed = parse(text, PATH)
    assert parsed.record is not None
    assert parsed.positions is not None
    found = check_record(parsed.record, parsed.positions, parsed.text, Settings(), date(2026, 11, 28))
    assert [(p.line, p.column, p.code) for p in found] == [(10, 11, "bad-value")]
    assert "a reward is worth more than nothing" in found[0].message


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("2026-11-20", date(2026, 11, 20)),
        ('"2026-11-20"', date(2026, 11, 20)),
        ("2028-02-29", date(2028, 2, 29)),
    ],
)
def test_iso_dates_are_dates(written: str, value: date) -> None:
    record = field(f"follow_up:\n  status: done\n  done_on: {written}\n")
    assert record.follow_up.done_on == value


@pytest.mark.parametrize(
    "written",
    ["2026-13-01", "2026-02-29", "20/11/2026", "2026-11-20T10:00", "2026-11-20 10:00", "Nov 20", "2026-1-5"],
)
def test_anything_else_is_not_a_date(written: str) -> None:
    text = minimal(f"follow_up:\n  status: done\n  done_on: {written}\n")
    found = parse(text, PATH).problems
    assert [(p.line, p.column, p.code) for p in found] == [(10, 12, "bad-date")]
    assert "YYYY-MM-DD" in found[0].message


@pytest.mark.parametrize(("written", "value"), [("9:05", "09:05"), ('"14:30"', "14:30"), ("23:59", "23:59")])
def test_times_are_normalised(written: str, value: str) -> None:
    assert field(f"time: {written}\n").time == value


def test_null_spellings_are_empty_but_quoted_ones_are_text() -> None:
    record = field("summary: ~\nrecruited_via: null\nrecording:\n  title: 'null'\n")
    assert (record.summary, record.recruited_via, record.recording.title) == (None, None, "null")


def test_a_github_login_may_start_with_an_at_sign() -> None:
    assert field('interviewers: ["@alice", bob]\n').interviewers == ("alice", "bob")


def test_tags_are_refused_except_the_ones_that_say_text() -> None:
    assert problems(minimal("summary: !custom x\n")) == [(8, 10, "yaml-tag")]
    assert problems(minimal("summary: !!int 123\n")) == [(8, 10, "yaml-tag")]
    assert problems(minimal("summary: !!binary aGk=\n")) == [(8, 10, "yaml-tag")]
    # `!!str` only says what every scalar already is here: text.
    assert field("summary: !!str 123\n").summary == "123"


# -- positions -------------------------------------------------------------------------------------
def test_positions_of_nested_keys_and_values() -> None:
    parsed = read("2026-11-20-every-field.md")
    assert parsed.positions is not None
    of, key = parsed.positions.of, parsed.positions.key
    assert of(("requests", 0, "title")) == (27, 12)
    assert key(("requests", 1, "title")) == (33, 5)
    assert of(("reward", "amount")) == (40, 11)
    assert key(("reward", "amount")) == (40, 3)
    assert of(("user", "technical")) == (16, 14)
    assert of(("interviewers", 1)) == (10, 23)
    assert of(("published", "pull_request")) == (54, 17)
    # A key that is not there: where its nearest enclosing value starts (the second request).
    assert of(("requests", 1, "issue")) == (32, 5)
    assert of(("nothing", "here")) == (1, 1)
    assert parsed.positions.frontmatter_end == 55


def test_positions_count_columns_in_characters_not_bytes() -> None:
    text = minimal("interviewers: [zoë, ünal, x y]\n")
    # In bytes `x y` would start at 29: zoë and ünal hold two-byte characters.
    assert problems(text) == [(8, 16, "bad-value"), (8, 21, "bad-value"), (8, 27, "bad-value")]


def test_a_byte_order_mark_is_skipped_and_lines_stay_right() -> None:
    parsed = read("2026-11-23-bom.md")
    assert parsed.problems == []
    assert isinstance(parsed.record, Interview)
    assert parsed.record.user.first_name == "Zoë"
    with_bom = "\ufeff" + minimal("sumary: x\n")
    assert problems(with_bom.encode()) == problems(with_bom) == [(8, 1, "unknown-key")]


def test_crlf_files_read_like_lf_files_with_the_same_lines() -> None:
    parsed = read("2026-11-22-crlf.md")
    assert parsed.problems == []
    assert isinstance(parsed.record, Interview)
    assert parsed.record.notes == "## Notes\nEvery line ends in CR LF.\n"
    lf = (GOOD / "2026-11-20-every-field.md").read_text(encoding="utf-8")
    crlf = parse(lf.replace("\n", "\r\n"), "interviews/2026/2026-11-20-every-field.md")
    assert crlf.record == read("2026-11-20-every-field.md").record
    broken = minimal("summary: >-\n  two\n  lines\nsumary: x\nrole: [\n")
    assert problems(broken.replace("\n", "\r\n")) == problems(broken)
    assert problems(broken) == [(12, 7, "yaml-syntax")]
    assert problems(minimal("summary: x\nsumary: y\n").replace("\n", "\r\n")) == [(9, 1, "unknown-key")]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\r"])
def test_a_line_break_yaml_sees_but_the_file_does_not_keeps_lines_right(separator: str) -> None:
    text = minimal(f'summary: "a{separator}b"\nsumary: x\n')
    assert problems(text) == [(9, 1, "unknown-key")]


def test_the_body_starts_after_the_closing_fence() -> None:
    record = field("")
    assert record.notes == "## Notes\n"
    text = minimal("").replace("---\n## Notes\n", "---\n---\nA horizontal rule above.\n")
    parsed = parse(text, PATH)
    assert isinstance(parsed.record, Interview)
    assert parsed.record.notes == "---\nA horizontal rule above.\n"


# -- limits ----------------------------------------------------------------------------------------
def _of_size(size: int) -> bytes:
    head = minimal("").encode()
    return head + b"x" * (size - len(head) - 1) + b"\n"


def test_the_size_cap() -> None:
    assert len(_of_size(DEFAULT_MAX_BYTES)) == DEFAULT_MAX_BYTES == 256 * 1024
    assert parse(_of_size(DEFAULT_MAX_BYTES), PATH).problems == []
    over = parse(_of_size(DEFAULT_MAX_BYTES + 1), PATH).problems
    assert [(p.line, p.column, p.code) for p in over] == [(1, 1, "too-large")]
    assert over[0].message == "the file is 257 KiB, over the 256 KiB limit"
    assert "link to it" in over[0].fix
    assert problems(_of_size(2048), max_bytes=1024) == [(1, 1, "too-large")]


def test_deep_nesting_is_refused_without_a_crash() -> None:
    assert problems(minimal("summary: " + "[" * 5000 + "]" * 5000 + "\n"))[0][2] == "too-deep"
    block = "".join("  " * depth + f"k{depth}:\n" for depth in range(40)) + "  " * 40 + "end: 1\n"
    found = problems(minimal(block.replace("k0:", "summary:", 1)))
    assert found == [(25, 35, "too-deep")]  # the 17th level: `k17:`, indented 34


# -- never a traceback -------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None, database=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_a_record_or_problems(data: bytes) -> None:
    parsed = parse(b"---\n" + data + b"\n---\n", PATH)
    assert (parsed.record is None) == bool(parsed.problems)
    for problem in parsed.problems:
        assert problem.line >= 1
        assert problem.column >= 1
        assert problem.fix


_yaml_ish = st.text(
    alphabet=st.sampled_from(list("ab:-[]{}#&*!|>'\"\n\t ,?%@`~0123456789é\u2028\r")), max_size=120
)


@settings(max_examples=200, deadline=None, database=None)
@given(_yaml_ish)
def test_any_yaml_ish_text_in_a_field_gives_a_record_or_problems(value: str) -> None:
    parsed = parse(minimal(f"summary: {value}\n"), PATH)
    lines = parsed.text.count("\n") + 1
    for problem in parsed.problems:
        assert 1 <= problem.line <= lines
        assert problem.fix
    if parsed.record is not None and parsed.positions is not None:
        check_record(parsed.record, parsed.positions, parsed.text, Settings(), date(2026, 11, 28))


def test_every_shipped_example_reads_clean() -> None:
    examples = sorted(Path(__file__).resolve().parent.parent.joinpath("interviews").rglob("*.md"))
    assert len(examples) >= 5
    for path in examples:
        assert parse(path.read_bytes(), path.name).problems == [], path


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("user2:\n\tx: 1\n", (10, 1, "a tab in the indentation")),
        ("role: [a,\n  b\n", (9, 7, "the `[` opened here is never closed")),
        ('role: "a\n', (9, 7, "the quote opened here is never closed")),
    ],
)
def test_yaml_errors_after_a_line_separator_are_on_the_right_line(
    extra: str, expected: tuple[int, int, str]
) -> None:
    found = parse(minimal('summary: "a\u2028b"\n' + extra), PATH).problems
    assert [(p.line, p.column) for p in found] == [expected[:2]]
    assert expected[2] in found[0].message


# -- one person, however the link is written ---------------------------------------------------------
LINK = "https://us.posthog.com/project/2/person/joe"


@pytest.mark.parametrize(
    "written",
    [
        LINK,
        LINK + "/",
        LINK + "?ref=slack",
        LINK + "/?ref=x#events",
        LINK + "?utm_source=newsletter&utm_medium=email#activeTab=sessionRecordings",
        "HTTPS://US.PostHog.com/project/2/person/joe",
        f"  {LINK}  ",
    ],
)
def test_a_profile_link_written_differently_is_the_same_person(written: str) -> None:
    assert profile_key(written) == LINK


def test_a_profile_link_that_differs_in_its_path_is_another_person() -> None:
    assert profile_key(LINK + "2") != profile_key(LINK)
    assert profile_key(LINK.replace("joe", "Joe")) != profile_key(LINK)  # paths are case-sensitive
    assert profile_key("not a link/") == "not a link"
    # a CRM names its contacts in the query or a hash route: two of them are two people
    crm = "https://crm.example.com/contact"
    assert profile_key(f"{crm}?id=41") != profile_key(f"{crm}?id=42")
    assert profile_key(f"{crm}?id=41&utm_source=x") == profile_key(f"{crm}/?id=41")
    assert profile_key("https://crm.example.com/#/contacts/41") != profile_key(
        "https://crm.example.com/#/contacts/42"
    )
    assert profile_key("http://[broken/") == "http://[broken"


def _merch(record_id: str, profile: str) -> Interview:
    return Interview(
        path=f"interviews/2026/{record_id}.md",
        id=record_id,
        date=date.fromisoformat(record_id[:10]),
        user=Person(first_name="Joe", profile=profile),
        status="completed",
        reward=Reward("merch", None, "sent", sent_on=date.fromisoformat(record_id[:10])),
    )


def _merch_reward(record_id: str, status: str) -> Interview:
    sent = date.fromisoformat(record_id[:10]) if status == "sent" else None
    return replace(_merch(record_id, LINK), reward=Reward("merch", None, status, sent_on=sent))  # type: ignore[arg-type]


def test_two_pending_merch_rewards_are_a_warning_on_the_later_one_as_reward_gives_one() -> None:
    first, second = _merch_reward("2026-06-18-first", "pending"), _merch_reward("2026-11-18-again", "pending")
    [problem] = check_across([second, first], lambda record, key: (1, 1))
    assert (problem.path, problem.code, problem.severity) == (second.path, "merch-twice", "warning")
    assert problem.message.startswith(
        "another interview of this person (2026-06-18-first) also has a pending merch reward"
    )
    assert "already received" not in problem.message


@pytest.mark.parametrize("given", ["issued", "sent"])
def test_merch_given_makes_any_other_merch_reward_an_error(given: str) -> None:
    june = _merch_reward("2026-06-18-first", "pending")
    july = _merch_reward("2026-07-01-given", given)
    november = _merch_reward("2026-11-18-again", "pending")
    found = check_across([june, july, november], lambda record, key: (1, 1))
    assert [(p.path, p.severity, p.message) for p in found] == [
        (june.path, "error", "this person already received merch (2026-07-01-given)"),
        (november.path, "error", "this person already received merch (2026-07-01-given)"),
    ]


def test_merch_twice_is_found_however_the_profile_link_is_written() -> None:
    first = _merch("2026-06-18-first", LINK)
    again = _merch("2026-11-18-again", "HTTPS://us.posthog.com/project/2/person/joe/?ref=survey")
    [problem] = check_across([first, again], lambda record, key: (1, 1))
    assert (problem.path, problem.code) == (again.path, "merch-twice")


def _rule_problems(text: str, settings: Settings | None = None) -> list[tuple[int, int, str]]:
    parsed = parse(text, PATH)
    assert parsed.record is not None
    assert parsed.positions is not None
    found = check_record(
        parsed.record, parsed.positions, parsed.text, settings or Settings(), date(2026, 11, 28)
    )
    return [(p.line, p.column, p.code) for p in found]


@pytest.mark.parametrize(
    ("written", "where"),
    [
        ('"joe\\x40acme.com"', (8, 12)),
        ('"joe\\u0040acme.com"', (8, 12)),
        ('"joe@ac\\\n    me.com"', (8, 12)),  # an escaped line break joins the two halves
    ],
)
def test_an_email_address_spelt_with_escapes_is_found(written: str, where: tuple[int, int]) -> None:
    text = minimal(user=f"  company: {written}\n")
    assert _rule_problems(text) == [(*where, "email-address")]
    assert _rule_problems(text, Settings(allow_emails=True)) == []


def test_an_email_address_written_plainly_beside_an_escape_is_reported_once() -> None:
    text = minimal(user='  company: "Acme\\tjoe@acme.com"\n')
    assert _rule_problems(text) == [(8, 18, "email-address")]
