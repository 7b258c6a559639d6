"""Hostile input: the record parser and the issue-form parser read anything a person (or someone who is
not a person) can put in a file or an issue, and answer with clean problems: never an exception, never
a hang, never a line that would be read as a workflow command.

Property-based (hypothesis) over arbitrary text, arbitrary bytes and YAML-ish structures (nested lists
and maps, anchors, aliases, tags, huge scalars, control characters, the line breaks YAML sees and a file
does not), each input bounded by a deadline; then the worst cases by hand, each bounded by a timer.
Deterministic (derandomize, no example database) and fast: a few seconds in all."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from feedbackloop.commands.new import interview_stub
from feedbackloop.config import Environment, Settings
from feedbackloop.context import Context
from feedbackloop.errors import FeedbackloopError
from feedbackloop.plan import intake as forms
from feedbackloop.plan.intake import FEEDBACK_FIELDS, INTERVIEW_FIELDS, FormProblem
from feedbackloop.plan.publish import markers
from feedbackloop.records.parse import Parsed, parse
from feedbackloop.records.problems import Problem, as_json
from feedbackloop.records.rules import check_record
from feedbackloop.render import render

PROJECT = Path(__file__).resolve().parent.parent
PATH = "interviews/2026/2026-11-20-web-analytics-joe.md"
TODAY = date(2026, 11, 28)
# Every input within two seconds (a parse takes milliseconds); the same examples on every run.
HOSTILE = settings(derandomize=True, database=None, deadline=timedelta(seconds=2), max_examples=100)
PUBLIC = Settings(repository_public=True, posthog_profiles=True, roster=[{"github": "alice"}])
CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

VALID: dict[str, Any] = {
    "id": "2026-11-20-web-analytics-joe",
    "topic": "Web analytics",
    "date": "2026-11-20",
    "status": "completed",
    "interviewers": ["alice"],
    "user": {
        "first_name": "Joe",
        "profile": "https://us.posthog.com/project/2/person/01HX",
        "company": "Acme",
    },
    "recruited_via": "survey",
    "recording": {
        "consent": True,
        "url": "https://example.com/calls/1",
        "title": "Web analytics user interview with Joe",
    },
    "summary": "Uses funnels daily.",
    "requests": [{"type": "bug", "title": "Funnels crash"}],
    "questions": [{"question": "Can cohorts be exported?", "answer": "Yes."}],
    "reward": {"kind": "merch", "amount": 30, "status": "pending"},
    "follow_up": {"status": "pending"},
}
FIELDS = sorted({*VALID, "kind", "time", "published", "example", "feedback", "received_by", "received_via"})

# Characters that break parsers: controls, the line breaks YAML sees (U+0085, U+2028, U+2029, a lone CR)
# and a file does not, a byte order mark, zero-width and private-use characters, the last code point.
ODD = "\x00\x01\x08\x0b\x0c\x1b\x7f\x85\u2028\u2029\ufeff\u200b\u202e\ue000\U0010ffff\r\n\t"
YAML_PUNCT = ":-[]{}#&*!|>'\"%@`,?~<=\\"
characters = st.one_of(
    st.characters(exclude_categories=("Cs",)),  # anything but lone surrogates (which UTF-8 cannot hold)
    st.sampled_from(list(ODD + YAML_PUNCT)),
)
texts = st.text(alphabet=characters, max_size=200)

# YAML features as fragments, put together line by line.
FRAGMENTS = [
    "&a",
    "*a",
    "&a [1, 2]",
    "<<: *a",
    "!!str",
    "!!binary aGk=",
    "!!python/object/apply:os.system ['true']",
    "!local x",
    "!<tag:yaml.org,2002:int> 1",
    "? [a, b]",
    "? a\n: b",
    "%YAML 1.1",
    "%TAG ! tag:example.com,2000:",
    "---",
    "...",
    "|",
    ">-",
    "|+\n  kept\n\n",
    "{",
    "}",
    "[",
    "]",
    "{a: [b, {c: d}]}",
    "'unclosed",
    '"unclosed',
    '"\\x00\\u2028\\UFFFFFFFF"',
    "- ",
    ": ",
    "#",
    "\t",
    "\u2028",
    "\x85",
    "\r",
    "\ufeff",
    "NO",
    "on",
    "0o17",
    "1e400",
    ".nan",
    "~",
    "2026-02-30",
    "12:30:00",
    "x" * 3000,
    "@here <!channel> <!-- feedbackloop:request {} -->",
]
KEYS = st.one_of(st.sampled_from(FIELDS), st.text(alphabet=characters, max_size=12))
fragment_lines = st.lists(
    st.tuples(
        st.integers(0, 8),
        KEYS,
        st.lists(
            st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=characters, max_size=20)), max_size=5
        ),
    ),
    max_size=15,
).map(lambda lines: "".join(f"{' ' * indent}{key}: {' '.join(parts)}\n" for indent, key, parts in lines))

# Well-formed YAML of any shape, dumped in every style, over a valid record or instead of its fields.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.dates().map(str),
    st.text(alphabet=characters, max_size=40),
)
structures = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(alphabet=characters, max_size=8), inner, max_size=4),
    ),
    max_leaves=15,
)


def dumped(data: Any, flow: bool | None, unicode: bool, width: int) -> str:
    text: str = yaml.safe_dump(
        data, default_flow_style=flow, allow_unicode=unicode, width=width, sort_keys=False
    )
    return text


documents = st.builds(
    lambda overrides, whole, flow, unicode, width: dumped(
        {**VALID, **overrides} if not whole else overrides, flow, unicode, width
    ),
    st.dictionaries(KEYS, structures, max_size=6),
    st.booleans(),
    st.sampled_from([None, True, False]),
    st.booleans(),
    st.sampled_from([20, 80, 10_000]),
)


# -- what clean means -------------------------------------------------------------------------------
def assert_clean(problems: list[Problem], lines: int) -> None:
    """Each problem is one, well-formed, and says where: it reaches logs, annotations and the job summary."""
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.path == PATH
        assert 1 <= problem.line <= lines, (problem, lines)
        assert problem.column >= 1
        assert CODE.fullmatch(problem.code), problem.code
        assert problem.message
        assert problem.severity in ("error", "warning")
        # one line each: a line break would let a file write its own `::workflow-command::` into the log
        assert not re.search("[\r\n\x85\u2028\u2029]", problem.text()), problem.text()
        assert not re.search("[\r\n]", problem.annotation()), problem.annotation()  # %0A: GitHub's own
    json.loads(as_json(problems))


def checked(data: bytes | str) -> Parsed:
    """Parse `data`, check it is a record or problems, and run the rules over a record."""
    parsed = parse(data, PATH)
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    lines = raw.count(b"\n") + 1
    assert (parsed.record is None) == bool(parsed.problems), parsed.problems
    assert_clean(parsed.problems, lines)
    if parsed.record is not None:
        assert parsed.positions is not None
        assert_clean(check_record(parsed.record, parsed.positions, parsed.text, PUBLIC, TODAY), lines)
    return parsed


def frontmatter(text: str) -> str:
    return f"---\n{text}\n---\n## Notes\n\nSome notes.\n"


# -- the record parser, by property ----------------------------------------------------------------
@HOSTILE
@given(texts)
def test_any_text(text: str) -> None:
    checked(text)
    checked(frontmatter(text))


@HOSTILE
@given(st.binary(max_size=600))
def test_any_bytes(data: bytes) -> None:
    checked(data)
    checked(b"---\n" + data + b"\n---\nnotes\n")


@HOSTILE
@given(fragment_lines)
def test_yaml_features_put_together_anyhow(text: str) -> None:
    checked(frontmatter(text))


@HOSTILE
@given(documents)
def test_any_yaml_structure_in_any_style(text: str) -> None:
    checked(frontmatter(text))


@HOSTILE
@given(st.sampled_from(sorted(VALID)), structures)
def test_any_value_in_any_field_of_a_valid_record(field: str, value: Any) -> None:
    checked(frontmatter(dumped({**VALID, field: value}, None, True, 80)))
    checked(frontmatter(dumped({**VALID, "user": {**VALID["user"], "first_name": value}}, None, True, 80)))


# -- the issue-form parser, by property ------------------------------------------------------------
LABELS = [f.label for f in (*INTERVIEW_FIELDS, *FEEDBACK_FIELDS)]
answers = st.one_of(
    texts,
    st.just(forms.NO_RESPONSE),
    st.lists(st.tuples(st.sampled_from(" xX?"), texts), max_size=4).map(
        lambda boxes: "\n".join(f"- [{mark}] {label}" for mark, label in boxes)
    ),
    st.sampled_from(
        ["2026-12-03", "14:30", "alice, @bob", "https://us.posthog.com/project/2/person/x", "survey"]
    ),
    st.builds(lambda a, b: f"{a}\n### {b}\n", texts, st.sampled_from(LABELS)),  # a heading inside an answer
)
bodies = st.one_of(
    texts,
    st.lists(
        st.tuples(st.one_of(st.sampled_from(LABELS), texts), answers, st.sampled_from(["\n", "\r\n", "\r"])),
        max_size=12,
    ).map(lambda sections: "".join(f"### {label}{nl}{nl}{answer}{nl}{nl}" for label, answer, nl in sections)),
)


@pytest.fixture(scope="module")
def context() -> Context:
    """The project's own settings and templates, as intake renders the record a form makes."""
    return Context(PROJECT, Environment({}), TODAY)


def assert_form_problems(problems: list[FormProblem]) -> None:
    for problem in problems:
        assert isinstance(problem, FormProblem)
        assert problem.field
        assert problem.message
    comment = forms.problems_comment(7, problems)
    # what the issue said cannot forge our marker, nor mention anyone, nor make a comment GitHub refuses
    assert [kind for kind, _ in markers(comment)] == ["intake"]
    assert comment.count("<!--") == 1
    assert not re.search(r"@\w", comment)
    assert len(comment) <= 65_536


def made_record(text: str, path: str) -> None:
    parsed = parse(text, path)
    assert (parsed.record is None) == bool(parsed.problems)
    if parsed.record is not None and parsed.positions is not None:
        found = check_record(parsed.record, parsed.positions, text, PUBLIC, TODAY)
        assert_form_problems(forms.form_problems([*parsed.problems, *found], INTERVIEW_FIELDS))


@HOSTILE
@given(bodies)
def test_any_issue_body_for_the_interview_form(context: Context, body: str) -> None:
    form, problems = forms.read_interview_form(body)
    assert (form is None) == bool(problems)
    assert_form_problems(problems)
    if form is None:
        return
    title = forms.pull_title(form)
    assert len(title) <= forms.TITLE_MAX
    assert "\n" not in title
    try:
        path, text = interview_stub(context, form.stub_values())
    except FeedbackloopError as error:  # a value a record cannot hold: intake says so on the issue
        assert_form_problems([FormProblem("The form", error.message, error.fix)])
        return
    made_record(text, path)


@HOSTILE
@given(bodies, st.text(alphabet=characters, max_size=20))
def test_any_issue_body_for_the_feedback_form(context: Context, body: str, author: str) -> None:
    form, problems = forms.read_feedback_form(body, author, TODAY)
    assert (form is None) == bool(problems)
    assert_form_problems(problems)
    if form is None:
        return
    text = render(
        PROJECT / "templates",
        "note.md.j2",
        **forms.note_values(form, f"{form.date.isoformat()}-feedback", "https://github.com/acme/i/issues/7"),
    )
    made_record(text, f"interviews/{form.date.year}/{form.date.isoformat()}-feedback.md")


# -- the worst cases, by hand, each within a timer ---------------------------------------------------
@contextmanager
def at_most(seconds: float) -> Iterator[None]:
    """Fail (not hang) when the block runs longer than `seconds`."""

    def expire(_signal: int, _frame: FrameType | None) -> None:
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


DEEP = 10_000
WORST = {
    "[[[[… 10,000 deep": frontmatter("summary: " + "[" * DEEP),
    "[[[[…]]]] 10,000 deep, closed": frontmatter("summary: " + "[" * DEEP + "]" * DEEP),
    "{a: {a: … 10,000 deep": frontmatter("summary: " + "{a: " * DEEP),
    "- - - … 10,000 deep": frontmatter("requests: " + "- " * DEEP + "x"),
    "a block mapping 400 levels deep": frontmatter("".join("  " * i + f"k{i}:\n" for i in range(400))),
    "a 200,000-character value": frontmatter("summary: " + "x" * 200_000),
    "a 200,000-character key": frontmatter("x" * 200_000 + ": 1"),
    "a 200,000-character comment": frontmatter("# " + "x" * 200_000),
    "a 200,000-character body line": frontmatter("id: a") + "x" * 200_000,
    "a 200,000-character quoted scalar, never closed": frontmatter('summary: "' + "x" * 200_000),
    "10,000 keys": frontmatter("".join(f"k{i}: v\n" for i in range(DEEP))),
    "10,000 requests": frontmatter(
        "\n".join(f"{k}: {json.dumps(v)}" for k, v in VALID.items() if k != "requests")
        + "\nrequests:\n"
        + "".join(f"  - {{type: bug, title: t{i}}}\n" for i in range(DEEP))
    ),
    "the same key 10,000 times": frontmatter("summary: a\n" * DEEP),
    "10,000 anchors": frontmatter("summary: [" + ", ".join(f"&a{i} x" for i in range(DEEP)) + "]"),
    "a billion laughs": frontmatter(
        "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))
    ),
    "10,000 tags": frontmatter("summary: " + "!t " * DEEP + "x"),
    "10,000 line separators": frontmatter("summary: a" + "\u2028" * DEEP + "b"),
    "10,000 NEL and lone CR": frontmatter("summary: a" + "\x85\r" * DEEP),
    "10,000 control characters": frontmatter("summary: " + "\x1b" * DEEP),
    "100,000 fences": "---\n" * 100_000,
    "a NUL after 200,000 characters": frontmatter("summary: " + "x" * 200_000 + "\x00"),
    "just over the size limit": frontmatter("summary: " + "x" * (256 * 1024)),
}


@pytest.mark.parametrize("text", WORST.values(), ids=list(WORST))
def test_the_worst_files_get_problems_quickly(text: str) -> None:
    with at_most(10):
        parsed = checked(text)
        assert parsed.record is None or parsed.problems == []


WORST_FORMS = {
    "a 200,000-character answer": "### Topic\n\n" + "x" * 200_000,
    "a 200,000-character date": "### Date of the call\n\n" + "x" * 200_000,
    "10,000 logins that are not": "### Interviewers\n\n" + ", ".join(f"-bad{i}-" for i in range(DEEP)),
    "10,000 headings": "### Topic\n\n" * DEEP,
    "10,000 headings of every label": "".join(f"### {label}\n\nx\n\n" for label in LABELS * 500),
    "10,000 checkboxes": "### Recording\n\n" + "- [X] I will ask for consent before recording\n" * DEEP,
    "10,000 interviewers": "### Interviewers\n\n" + ", ".join(f"@login{i}" for i in range(DEEP)),
    "10,000 line separators": "### Topic\n\n" + "\u2028" * DEEP,
    "[[[[… 10,000 deep": "### Topic\n\n" + "[" * DEEP,
}


@pytest.mark.parametrize("body", WORST_FORMS.values(), ids=list(WORST_FORMS))
def test_the_worst_issue_bodies_get_problems_quickly(context: Context, body: str) -> None:
    with at_most(10):
        for form, problems in (
            forms.read_interview_form(body),
            forms.read_feedback_form(body, "alice", TODAY),
        ):
            assert (form is None) == bool(problems)
            assert_form_problems(problems)


@pytest.mark.parametrize("interviewers", ["[alice, ~]", "\n  - alice\n  -", "[null]"])
def test_an_empty_interviewer_is_a_problem_not_a_crash(interviewers: str) -> None:
    text = frontmatter(
        dumped(VALID, False, True, 80).replace("interviewers:\n- alice", f"interviewers: {interviewers}")
    )
    parsed = checked(text)
    assert [(p.code, p.message) for p in parsed.problems if p.code == "bad-value"] == [
        ("bad-value", f"`interviewers[{1 if 'alice' in interviewers else 0}]` is empty")
    ]


def test_a_problem_quoting_a_line_break_stays_on_one_line() -> None:
    parsed = checked(
        frontmatter('status: "completed\\n::error::forged"\n' + dumped({"id": "x"}, False, True, 80))
    )
    [problem] = [p for p in parsed.problems if p.code == "bad-value"]
    assert "\n" in problem.message  # the value, as the file holds it
    assert "`completed\\n::error::forged`" in problem.text()  # shown, not obeyed
    assert "\n" not in problem.annotation()
