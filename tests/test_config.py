"""Settings: `[tool.feedbackloop]` in pyproject.toml, its defaults, its errors, and the README's table."""

from __future__ import annotations

import re
import shutil
from dataclasses import MISSING, fields
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from feedbackloop.config import Settings, Teammate, load_settings, settings_from_table
from feedbackloop.errors import UsageError
from helpers_repo import PROJECT, TODAY, assert_no_traceback, feedbackloop


def _default(name: str) -> Any:
    declared = {f.name: f for f in fields(Settings)}[name]
    return declared.default_factory() if declared.default_factory is not MISSING else declared.default


def write(folder: Path, table: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "team"\n\n{table}', encoding="utf-8")
    return folder


# -- defaults -----------------------------------------------------------------------------------------
def test_no_pyproject_means_the_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()


def test_a_pyproject_without_the_table_means_the_defaults(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "[tool.ruff]\nline-length = 100\n")) == Settings()


def test_the_defaults_are_the_documented_ones() -> None:
    defaults = Settings()
    assert (defaults.interviews_dir, defaults.templates_dir, defaults.branch) == (
        "interviews",
        "templates",
        "main",
    )
    assert (defaults.max_file_kib, defaults.api_budget, defaults.allow_emails) == (256, 300, False)
    assert defaults.roster == []
    assert defaults.team == ()
    assert defaults.reward_kind("merch") is not None
    assert defaults.reward_kind("merch") == defaults.reward_kind("open-collective")
    assert defaults.reward_kind("none") is None


def test_mutable_defaults_are_not_shared() -> None:
    first, second = Settings(), Settings()
    first.roster.append({"github": "alice"})
    first.rewards["merch"]["amount"] = "99"
    assert second.roster == []
    assert second.rewards["merch"]["amount"] == "30"


def test_settings_are_read(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        "[tool.feedbackloop]\n"
        'slack_channel = "C123"\n'
        "max_file_kib = 64\n"
        "allow_emails = true\n"
        'roster = [{ github = "Alice", slack = "U1" }]\n'
        'rewards = { merch = { amount = 25, currency = "EUR" } }\n',
    )
    settings = load_settings(folder)
    assert (settings.slack_channel, settings.max_file_kib, settings.allow_emails) == ("C123", 64, True)
    assert settings.team == (Teammate(github="Alice", slack="U1"),)
    assert settings.teammate("alice") == Teammate(github="Alice", slack="U1")  # logins ignore case
    assert settings.teammate("bob") is None
    kind = settings.reward_kind("merch")
    assert kind is not None
    assert (kind.amount, kind.currency) == (Decimal(25), "EUR")
    assert settings.reward_kind("open-collective") is None  # the table replaces the default one


def test_this_repositorys_own_settings_are_valid() -> None:
    settings = load_settings(PROJECT)
    assert [t.github for t in settings.team] == ["alice", "bob", "carol"]


# -- errors -------------------------------------------------------------------------------------------
BAD_TABLES = [
    # (the table's lines, fragments the message must hold)
    ('slak_channel = "C1"', ["`slak_channel` is not a setting", "Did you mean `slack_channel`?"]),
    ('interview_dir = "x"', ["Did you mean `interviews_dir`?"]),
    ('max_file_kib = "big"', ["`max_file_kib` must be a whole number, not 'big'"]),
    ("max_file_kib = 2.5", ["`max_file_kib` must be a whole number"]),
    ("api_budget = true", ["`api_budget` must be a whole number, not True"]),
    ('allow_emails = "yes"', ["`allow_emails` must be true or false"]),
    ("include_examples = 1", ["`include_examples` must be true or false"]),
    ("slack_channel = 123", ["`slack_channel` must be a string"]),
    ("extra_labels = [1, 2]", ["`extra_labels` must be a list of strings"]),
    ('extra_labels = "feedback"', ["`extra_labels` must be a list of strings"]),
    ('roster = "alice"', ["`roster` must be a list of tables"]),
    ('roster = ["alice"]', ["`roster` must be a list of tables"]),
    ('type_labels = "bug"', ["`type_labels` must be a table"]),
    ('type_labels = { bugs = "bug" }', ["`type_labels.bugs`"]),
    ('slack_reminders = "email"', ["`slack_reminders` must be one of dm, channel, not 'email'"]),
    ('gift_card_delivery = "shopfy"', ["Did you mean `shopify`?"]),
    ('intake_notes = "pr"', ["`intake_notes` must be one of main, pull-request"]),
    ('roster = [{ gihtub = "alice" }]', ["unknown key `gihtub`", "Did you mean `github`?"]),
    ('roster = [{ slack = "U1" }]', ["a roster entry has no `github` login"]),
    ('roster = [{ github = "alice", slack = 1 }]', ["roster `slack` must be a string, not 1"]),
    (
        'rewards = { mearch = { amount = "30", currency = "USD" } }',
        ["`rewards.mearch`", "Did you mean `merch`?"],
    ),
    ('rewards = { merch = "30" }', ["`rewards.merch` must be a table of amount and currency"]),
    (
        'rewards = { merch = { amount = "30", currency = "USD", note = "x" } }',
        ["`rewards.merch` must be a table"],
    ),
    (
        'rewards = { merch = { amount = "thirty", currency = "USD" } }',
        ["`rewards.merch.amount` is not a number"],
    ),
    ('rewards = { merch = { amount = "30" } }', ["`rewards.merch`", "currency"]),
    (
        'rewards = { merch = { amount = "-30", currency = "EUR" } }',
        ["`rewards.merch.amount` must be more than 0, not '-30'"],
    ),
    ('rewards = { merch = { amount = 0, currency = "EUR" } }', ["must be more than 0, not 0"]),
    ('rewards = { merch = { amount = "Infinity", currency = "EUR" } }', ["must be more than 0"]),
    ('rewards = { merch = { amount = "NaN", currency = "EUR" } }', ["must be more than 0"]),
    ('rewards = { merch = { amount = true, currency = "EUR" } }', ["is not a number: True"]),
    (
        'rewards = { open-collective = { amount = "30", currency = "EURO" } }',
        ["`rewards.open-collective.currency` must be a three-letter ISO 4217 code", "not 'EURO'"],
    ),
    ('rewards = { merch = { amount = "30", currency = "usd" } }', ["ISO 4217", "not 'usd'"]),
    ('rewards = { merch = { amount = "30", currency = 840 } }', ["ISO 4217", "not 840"]),
    ("recruit_rollout = 50", ["`recruit_rollout` must be between 20 and 30, not 50"]),
    ("monthly_call_day = 31", ["`monthly_call_day` must be between 1 and 28"]),
    ("max_file_kib = -1", ["`max_file_kib` must not be negative"]),
    ("reward_overdue_days = -7", ["`reward_overdue_days` must not be negative"]),
]


@pytest.mark.parametrize(("table", "fragments"), BAD_TABLES, ids=[t for t, _ in BAD_TABLES])
def test_a_bad_setting_is_a_usage_error_with_a_fix(table: str, fragments: list[str]) -> None:
    import tomllib

    with pytest.raises(UsageError) as raised:
        settings_from_table(tomllib.loads(table))
    for fragment in fragments:
        assert fragment in raised.value.message
    assert raised.value.fix, f"no fix for: {raised.value.message}"
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (
            "[tool.feedbackloop]\nslak_channel = 'C1'\n",
            ["`slak_channel` is not a setting", "`slack_channel`"],
        ),
        ("[tool.feedbackloop]\nslack_channel = 'C1\n", ["pyproject.toml: not valid TOML"]),
        ("[tool.feedbackloop]\nroster = [{ github = 'a' }]\nroster = []\n", ["not valid TOML"]),
        ("[tool]\nfeedbackloop = 1\n", ["[tool.feedbackloop] must be a table"]),
        ("tool = 'x'\n", ["[tool] must be a table"]),
        (
            "[tool.feedbackloop]\nmax_file_kib = 'big'\n",
            ["pyproject.toml [tool.feedbackloop]: `max_file_kib`"],
        ),
        (
            "[tool.feedbackloops]\nslack_channel = 'C1'\n",
            ["[tool.feedbackloops] is not read. Did you mean [tool.feedbackloop]?"],
        ),
        ("[tool.feedback-loop]\n", ["[tool.feedback-loop] is not read"]),
        (
            "[tool.feedbackloop]\ninterviews_dir = '../elsewhere'\n",
            ["`interviews_dir` = '../elsewhere' is outside the repository"],
        ),
        ("[tool.feedbackloop]\ninterviews_dir = '/tmp'\n", ["is outside the repository"]),
    ],
    ids=[
        "unknown-key",
        "invalid-toml",
        "duplicate-key",
        "not-a-table",
        "tool-not-a-table",
        "wrong-type",
        "look-alike-table",
        "look-alike-hyphen",
        "interviews-outside",
        "interviews-absolute",
    ],
)
def test_through_the_cli_a_bad_pyproject_exits_2_with_the_message_and_no_traceback(
    tmp_path: Path, content: str, fragments: list[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(content, encoding="utf-8")
    ran = feedbackloop("validate", "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert ran.code == 2, ran.output
    assert_no_traceback(ran)
    assert ran.stdout == ""
    assert ran.stderr.startswith("error: ")
    for fragment in fragments:
        assert fragment in ran.stderr
    assert "\n  fix: " in ran.stderr


@pytest.mark.parametrize(
    "args", [["status"], ["new", "--topic", "Web", "--first-name", "Jo", "--interviewer", "alice"]]
)
def test_other_commands_refuse_a_bad_pyproject_the_same_way(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\nslak_channel = 'C1'\n", encoding="utf-8")
    ran = feedbackloop(*args, "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert ran.code == 2
    assert_no_traceback(ran)
    assert "`slak_channel` is not a setting. Did you mean `slack_channel`?" in ran.stderr
    assert not (tmp_path / "interviews").exists()


@pytest.mark.parametrize("args", [["validate"], ["status"]])
def test_an_interviews_dir_that_is_not_there_exits_2_with_a_suggestion(
    tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "interviews" / "2026").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\ninterviews_dir = 'interview'\n")
    ran = feedbackloop(*args, "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert ran.code == 2, ran.output
    assert_no_traceback(ran)
    assert "`interviews_dir` = 'interview': the repository has no such folder" in ran.stderr
    assert "Did you mean `interviews`?" in ran.stderr
    assert "files checked" not in ran.output


def test_a_nested_interviews_dir_is_suggested_among_its_siblings(tmp_path: Path) -> None:
    (tmp_path / "research" / "interviews").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\ninterviews_dir = 'research/interviws'\n")
    ran = feedbackloop("validate", "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert ran.code == 2, ran.output
    assert "Did you mean `research/interviews`?" in ran.stderr
    # with nothing like it, no guess; the default folder missing is a team with no interview yet
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\ninterviews_dir = 'calls'\n")
    nothing = feedbackloop("validate", "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert nothing.code == 2
    assert "Did you mean" not in nothing.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\nbranch = 'main'\n")
    empty = feedbackloop("validate", "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert (empty.code, empty.stdout) == (0, "0 files checked: 0 errors, 0 warnings\n")


def test_new_creates_the_folder_interviews_dir_names(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.feedbackloop]\ninterviews_dir = 'calls'\n")
    shutil.copytree(PROJECT / "templates", tmp_path / "templates")
    args = ["--topic", "Web", "--first-name", "Jo", "--interviewer", "alice", "--date", "2026-11-20"]
    ran = feedbackloop("new", *args, "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert ran.code == 0, ran.output
    assert (tmp_path / "calls" / "2026" / "2026-11-20-web-jo.md").is_file()
    checked = feedbackloop("validate", "--root", tmp_path, "--today", TODAY, cwd=tmp_path)
    assert "1 file checked" in checked.stdout, checked.output  # a stub to fill in: read, not skipped


def test_a_pyproject_that_is_not_utf8_exits_2(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_bytes(b"[tool.feedbackloop]\nbranch = '\xe9'\n")
    ran = feedbackloop("validate", "--root", tmp_path, cwd=tmp_path)
    assert ran.code == 2
    assert_no_traceback(ran)
    assert "not valid TOML" in ran.stderr


# -- the README stays true -------------------------------------------------------------------------
def _toml(value: Any) -> str:
    """A default as the README writes it: TOML."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(map(_toml, value)) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def _readme_settings() -> dict[str, tuple[str, str]]:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| `(.*?)` \| (.*) \|$", section, flags=re.MULTILINE)
    return {name: (default, doc) for name, default, doc in rows}


def test_every_setting_is_in_the_readme_with_its_default_and_its_doc() -> None:
    documented = _readme_settings()
    for declared in fields(Settings):
        assert declared.name in documented, f"README.md's settings table lacks `{declared.name}`"
        default, doc = documented[declared.name]
        assert default == _toml(_default(declared.name)), declared.name
        assert doc == declared.metadata["doc"], declared.name


def test_the_readme_documents_no_setting_that_does_not_exist() -> None:
    assert set(_readme_settings()) == {f.name for f in fields(Settings)}


def test_every_setting_has_one_line_of_documentation() -> None:
    for declared in fields(Settings):
        doc = declared.metadata["doc"]
        assert doc, declared.name
        assert "\n" not in doc, declared.name
        assert doc.endswith("."), declared.name


def test_today_is_the_teams_day_where_the_team_is(tmp_path: Path) -> None:
    """Late on the 28th in UTC it is already the 29th in Kiritimati (UTC+14): a call held there that
    morning is not "in the future"."""
    from datetime import UTC, datetime, timedelta

    from feedbackloop.context import Context

    (tmp_path / "pyproject.toml").write_text('[tool.feedbackloop]\ntimezone = "Pacific/Kiritimati"\n')
    expected = (datetime.now(UTC) + timedelta(hours=14)).date()
    assert Context.create(tmp_path).today == expected
    (tmp_path / "pyproject.toml").write_text('[tool.feedbackloop]\ntimezone = "Etc/GMT+12"\n')
    assert Context.create(tmp_path).today == (datetime.now(UTC) - timedelta(hours=12)).date()


def test_another_tools_table_named_like_ours_is_left_alone(tmp_path: Path) -> None:
    """Only a look-alike with no [tool.feedbackloop] beside it is a misspelling of ours."""
    from feedbackloop.context import Context

    (tmp_path / "pyproject.toml").write_text(
        "[tool.feedback_widget]\ncolor = 'blue'\n\n[tool.feedbackloop]\nslack_channel = 'C1'\n"
    )
    assert Context.create(tmp_path).settings.slack_channel == "C1"
    (tmp_path / "pyproject.toml").write_text("[tool.feedback_widget]\ncolor = 'blue'\n")
    assert Context.create(tmp_path).settings.slack_channel == Settings().slack_channel
