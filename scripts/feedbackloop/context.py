"""What every command runs with: the repository root, the settings, the environment and the date."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feedbackloop.actions import repository_public
from feedbackloop.config import Environment, Settings, load_settings
from feedbackloop.git import git_root
from feedbackloop.records.repo import Repository, load
from feedbackloop.services.retry import Budget, Policy


@dataclass
class Context:
    root: Path
    env: Environment = field(default_factory=Environment.from_os)
    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    policy: Policy = field(default_factory=Policy)

    @classmethod
    def create(cls, root: Path | None, today: date | None = None, env: Environment | None = None) -> Context:
        resolved = (root or git_root(Path.cwd())).resolve()
        context = cls(resolved, env or Environment.from_os())
        context.today = today or context.local_today()
        return context

    def now(self) -> datetime:
        """Now, by the retry policy's clock (the one tests move instead of sleeping)."""
        return datetime.fromtimestamp(self.policy.clock(), UTC)

    def local_today(self) -> date:
        """Today where the team is (`timezone`): a morning call east of UTC is not "in the future"."""
        try:
            zone: tzinfo = ZoneInfo(self.settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = UTC  # the calendar says what is wrong with the setting, where it matters
        return datetime.now(zone).date()

    @cached_property
    def settings(self) -> Settings:
        """The team's settings; `repository_public` also when GitHub's event says the repository is."""
        settings = load_settings(self.root)
        if not settings.repository_public and repository_public(self.env):
            settings = replace(settings, repository_public=True)
        return settings

    @cached_property
    def budget(self) -> Budget:
        return Budget(self.settings.api_budget)

    @cached_property
    def repository(self) -> Repository:
        return load(self.root, self.settings, self.today)
