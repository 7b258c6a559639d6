"""The team's settings (`[tool.feedbackloop]` in pyproject.toml) and the environment.

Every setting is declared once, below, with its default and one line of documentation; the README's
settings table is checked against these declarations by a test. Secrets and endpoints never live here:
they come from the environment only (`Environment`).
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from feedbackloop.errors import UsageError


@dataclass(frozen=True, slots=True)
class Teammate:
    """Someone on the team: their GitHub login, and where to reach them."""

    github: str
    slack: str = ""
    email: str = ""  # for calendar invitations only; never written to an interview file


@dataclass(frozen=True, slots=True)
class RewardKind:
    amount: Decimal
    currency: str


def _setting(default: Any, doc: str, choices: tuple[str, ...] = ()) -> Any:
    if isinstance(default, list | dict):
        # A deep copy: `rewards` holds tables, and no two Settings may share one.
        return field(
            default_factory=lambda: copy.deepcopy(default), metadata={"doc": doc, "choices": choices}
        )
    return field(default=default, metadata={"doc": doc, "choices": choices})


@dataclass(frozen=True)
class Settings:
    # -- where things are ------------------------------------------------------------------------
    interviews_dir: str = _setting(
        "interviews", "Folder of the interview files, relative to the repository root."
    )
    templates_dir: str = _setting("templates", "Folder of the Jinja2 templates a team edits.")
    branch: str = _setting("main", "The branch interviews are merged into and write-backs are committed to.")
    include_examples: bool = _setting(
        False, "Also publish and remind about records marked `example: true` (the shipped examples)."
    )
    max_file_kib: int = _setting(256, "Largest interview file accepted, in KiB.")
    # -- what a valid record is ------------------------------------------------------------------
    roster: list[dict[str, str]] = _setting(
        [], "The team: `{ github = login, slack = member id, email = for calendar invites }` per person."
    )
    allow_emails: bool = _setting(
        False, "Allow e-mail addresses in interview files (store the profile link instead)."
    )
    posthog_profiles: bool = _setting(False, "Require `user.profile` to be a PostHog person URL.")
    repository_public: bool = _setting(
        False,
        "The interviews repository is public (in Actions, GitHub's event also says so): validation warns "
        "about personal data in records.",
    )
    body_has_personal_data: bool = _setting(
        True, "Interview notes may name the person: `forget` clears the notes too, not only the fields."
    )
    # -- GitHub issues ---------------------------------------------------------------------------
    issues_repository: str = _setting(
        "", "`owner/name` where request issues are filed; empty: this repository."
    )
    issue_label: str = _setting(
        "user-feedback", "Label on every issue feedbackloop files; it finds them by it."
    )
    type_labels: dict[str, str] = _setting(
        {"bug": "bug", "feature": "enhancement"}, "The label added for each request type."
    )
    extra_labels: list[str] = _setting([], "More labels for every filed issue.")
    public_repositories: list[str] = _setting(
        [], "Repositories whose issues users can see: only those are linked in follow-ups."
    )
    api_budget: int = _setting(
        300, "Most API requests one run may make; it stops between two records or reminders when spent."
    )
    # -- Slack -----------------------------------------------------------------------------------
    slack_channel: str = _setting(
        "", "Channel id for interview summaries and channel reminders (empty: off)."
    )
    slack_reminders: str = _setting(
        "dm", "How owners are reminded: `dm` (a direct message each) or `channel`.", ("dm", "channel")
    )
    # -- Google ----------------------------------------------------------------------------------
    google_doc_id: str = _setting("", "The shared Google Doc that gets one entry per interview (empty: off).")
    google_calendar_id: str = _setting("", "The shared calendar calls are put on (empty: off).")
    call_minutes: int = _setting(30, "How long a call is blocked on the calendar, in minutes.")
    timezone: str = _setting("UTC", "Time zone of the call times written in interview files (IANA name).")
    # -- rewards and follow-ups ------------------------------------------------------------------
    rewards: dict[str, dict[str, Any]] = _setting(
        {
            "merch": {"amount": "30", "currency": "USD"},
            "open-collective": {"amount": "30", "currency": "USD"},
        },
        "Amount and currency per reward kind.",
    )
    rewards_on_publish: bool = _setting(False, "`publish` also issues pending merch gift cards.")
    shopify_api_version: str = _setting("2025-10", "Shopify Admin API version used for gift cards.")
    gift_card_expiry_days: int = _setting(0, "Days until a gift card expires; 0: it never does.")
    gift_card_delivery: str = _setting(
        "interviewer",
        "Who gets the code: `interviewer` (a Slack DM) or `shopify` (Shopify e-mails the customer).",
        ("interviewer", "shopify"),
    )
    open_collective_page: str = _setting(
        "", "The organisation's Open Collective gift-card page, for rewards that cannot be automated."
    )
    # -- reminders -------------------------------------------------------------------------------
    reward_overdue_days: int = _setting(7, "Days after the call before a pending reward is flagged.")
    follow_up_overdue_days: int = _setting(7, "Days after the call before a pending follow-up is flagged.")
    notes_overdue_days: int = _setting(2, "Days after a scheduled call before missing notes are flagged.")
    monthly_call_day: int = _setting(15, "Day of the month from which teammates without a call are flagged.")
    # -- intake and recruiting -------------------------------------------------------------------
    intake_notes: str = _setting(
        "pull-request",
        "How shared feedback lands: `main` (committed directly) or `pull-request`.",
        ("main", "pull-request"),
    )
    recruit_rollout: int = _setting(25, "Survey rollout percentage for cohorts over 1,000 people (20 to 30).")
    recruit_wait_days: int = _setting(14, "Days a user waits between two surveys.")

    # -- derived views ---------------------------------------------------------------------------
    @property
    def team(self) -> tuple[Teammate, ...]:
        return tuple(Teammate(**person) for person in self.roster)

    def teammate(self, login: str) -> Teammate | None:
        folded = login.casefold()
        return next((t for t in self.team if t.github.casefold() == folded), None)

    def reward_kind(self, kind: str) -> RewardKind | None:
        spec = self.rewards.get(kind)
        if spec is None:
            return None
        return RewardKind(Decimal(str(spec["amount"])), str(spec["currency"]))


SETTINGS = {f.name: f for f in fields(Settings)}

_NESTED: dict[str, tuple[str, ...]] = {
    "roster": ("github", "slack", "email"),
    "rewards": ("amount", "currency"),
}


def suggest(word: str, choices: Sequence[str]) -> str:
    """ "Did you mean …?" for a typo, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean `{close[0]}`?" if close else ""


def _check_type(name: str, value: Any, default: Any, where: str) -> None:
    expected = type(default)
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if isinstance(default, list):
        inner = dict if name == "roster" else str
        ok = isinstance(value, list) and all(isinstance(v, inner) for v in value)
    if not ok:
        raise UsageError(
            f"{where}: `{name}` must be {_describe(default, name)}, not {value!r}",
            f"set it like the default: {name} = {_toml(default)}",
        )


def _describe(default: Any, name: str) -> str:
    if name == "roster":
        return "a list of tables"
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number"
    if isinstance(default, list):
        return "a list of strings"
    if isinstance(default, dict):
        return "a table"
    return "a string"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    return str(value)


def settings_from_table(table: Mapping[str, Any], where: str = "[tool.feedbackloop]") -> Settings:
    """Check a `[tool.feedbackloop]` table against the declarations and build the settings."""
    values: dict[str, Any] = {}
    for name, value in table.items():
        declared = SETTINGS.get(name)
        if declared is None:
            raise UsageError(
                f"{where}: `{name}` is not a setting.{suggest(name, list(SETTINGS))}",
                "see the settings table in README.md",
            )
        default = declared.default_factory() if callable(declared.default_factory) else declared.default
        _check_type(name, value, default, where)
        choices = declared.metadata["choices"]
        if choices and value not in choices:
            raise UsageError(
                f"{where}: `{name}` must be one of {', '.join(choices)}, not {value!r}."
                + suggest(value, choices),
                f"set {name} = {_toml(choices[0])}",
            )
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            raise UsageError(
                f"{where}: `{name}` must not be negative, not {value}",
                f"set it to 0 or more, like the default: {name} = {_toml(default)}",
            )
        values[name] = value
    _check_nested(values, where)
    settings = Settings(**values)
    if not 20 <= settings.recruit_rollout <= 30:
        raise UsageError(
            f"{where}: `recruit_rollout` must be between 20 and 30, not {settings.recruit_rollout}",
            "the handbook rolls a recruiting survey out to 20-30% of a large cohort",
        )
    if not 1 <= settings.monthly_call_day <= 28:
        raise UsageError(f"{where}: `monthly_call_day` must be between 1 and 28", "set monthly_call_day = 15")
    return settings


def _check_nested(values: dict[str, Any], where: str) -> None:
    for person in values.get("roster", []):
        for key, value in person.items():
            if key not in _NESTED["roster"]:
                raise UsageError(
                    f"{where}: roster entry has an unknown key `{key}`.{suggest(key, _NESTED['roster'])}",
                    'write each person as { github = "login", slack = "U123", email = "…" }',
                )
            if not isinstance(value, str):
                raise UsageError(
                    f"{where}: roster `{key}` must be a string, not {value!r}",
                    f'quote it: {key} = "{value}"',
                )
        if not person.get("github"):
            raise UsageError(f"{where}: a roster entry has no `github` login", 'add github = "their-login"')
    for kind, spec in values.get("rewards", {}).items():
        if kind not in ("merch", "open-collective"):
            raise UsageError(
                f"{where}: `rewards.{kind}` is not a reward kind."
                + suggest(kind, ("merch", "open-collective")),
                "reward kinds are merch and open-collective",
            )
        if not isinstance(spec, dict) or set(spec) != set(_NESTED["rewards"]):
            raise UsageError(
                f"{where}: `rewards.{kind}` must be a table of amount and currency",
                f'write rewards.{kind} = {{ amount = "30", currency = "USD" }}',
            )
        example = f'rewards.{kind} = {{ amount = "30", currency = "USD" }}'
        try:
            amount = Decimal(str(spec.get("amount", "")))
        except InvalidOperation:
            amount = None
        if amount is None or isinstance(spec["amount"], bool):
            raise UsageError(
                f"{where}: `rewards.{kind}.amount` is not a number: {spec.get('amount')!r}",
                f"write the amount in digits: {example}",
            )
        if not amount.is_finite() or amount <= 0:
            # Sent as is to Shopify and written in the follow-up ("-30 EURO"): it must be money.
            raise UsageError(
                f"{where}: `rewards.{kind}.amount` must be more than 0, not {spec['amount']!r}",
                f"write the gift's value: {example}",
            )
        currency = spec["currency"]
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
            raise UsageError(
                f"{where}: `rewards.{kind}.currency` must be a three-letter ISO 4217 code in capitals "
                f"(USD, EUR, GBP), not {currency!r}",
                f"write the store's currency code: {example}",
            )
    for name in ("type_labels",):
        for key, value in values.get(name, {}).items():
            if key not in ("bug", "feature") or not isinstance(value, str):
                raise UsageError(
                    f"{where}: `{name}.{key}` must map bug or feature to a label name."
                    + suggest(key, ("bug", "feature")),
                    f'write {name} = {{ bug = "bug", feature = "enhancement" }}',
                )


def load_settings(root: Path) -> Settings:
    """Read `[tool.feedbackloop]` from `root/pyproject.toml`; defaults when there is none."""
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return Settings()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UsageError(
            f"{pyproject}: not valid TOML: {error}", "fix the syntax of pyproject.toml"
        ) from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise UsageError(
            f"{pyproject}: [tool] must be a table", "write the settings under [tool.feedbackloop]"
        )
    for name in tool if "feedbackloop" not in tool else ():
        if _looks_like_ours(name):
            # Read as nothing at all, it would leave every setting at its default without a word.
            raise UsageError(
                f"{pyproject}: [tool.{name}] is not read. Did you mean [tool.feedbackloop]?",
                f"rename the table's header from [tool.{name}] to [tool.feedbackloop]",
            )
    table = tool.get("feedbackloop", {})
    if not isinstance(table, dict):
        raise UsageError(
            f"{pyproject}: [tool.feedbackloop] must be a table",
            "write the settings as `name = value` lines under a [tool.feedbackloop] header",
        )
    settings = settings_from_table(table, f"{pyproject.name} [tool.feedbackloop]")
    _inside(root, settings.interviews_dir, "interviews_dir", f"{pyproject.name} [tool.feedbackloop]")
    return settings


def _looks_like_ours(name: str) -> bool:
    """A `[tool.*]` table name that is ours misspelt (feedbackloops, feedback-loop, feedbakloop, …),
    asked only when there is no [tool.feedbackloop]: another tool's [tool.feedback_widget] is left be."""
    folded = name.casefold().replace("-", "").replace("_", "").replace(".", "")
    return difflib.SequenceMatcher(None, folded, "feedbackloop").ratio() >= 0.8


def _inside(root: Path, folder: str, name: str, where: str) -> None:
    """A folder setting must name a folder inside the repository: outside it, nothing is versioned."""
    base = root.resolve()
    if not (base / folder).resolve().is_relative_to(base):
        raise UsageError(
            f"{where}: `{name}` = {folder!r} is outside the repository",
            f'give a folder inside it, relative to its root, like {name} = "{SETTINGS[name].default}"',
        )


@dataclass(frozen=True)
class Environment:
    """Secrets and endpoints: only ever from the environment (DESIGN.md, "The contract")."""

    values: Mapping[str, str]

    @classmethod
    def from_os(cls) -> Environment:
        return cls(dict(os.environ))

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, "").strip() or default

    @property
    def in_actions(self) -> bool:
        return self.get("GITHUB_ACTIONS") == "true"

    @property
    def github_api_url(self) -> str:
        return self.get("GITHUB_API_URL", "https://api.github.com")

    @property
    def slack_api_url(self) -> str:
        return self.get("SLACK_API_URL", "https://slack.com/api/")

    @property
    def google_docs_api_url(self) -> str:
        return self.get("GOOGLE_DOCS_API_URL", "https://docs.googleapis.com/")

    @property
    def google_calendar_api_url(self) -> str:
        return self.get("GOOGLE_CALENDAR_API_URL", "https://www.googleapis.com/calendar/v3/")

    @property
    def posthog_host(self) -> str:
        return self.get("POSTHOG_HOST", "https://us.posthog.com")

    def shopify_api_url(self, version: str) -> str:
        origin = self.get("SHOPIFY_ADMIN_API_URL") or f"https://{self.get('SHOPIFY_STORE')}"
        return f"{origin.rstrip('/')}/admin/api/{version}/graphql.json"

    def missing(self, *names: str) -> str | None:
        """The first of `names` that is not set, or None when all are."""
        return next((name for name in names if not self.get(name)), None)
