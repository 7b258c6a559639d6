"""The services a command may use, built from the environment; a missing token skips the service with
one clear line instead of failing the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import click

from feedbackloop.context import Context
from feedbackloop.errors import UsageError

if TYPE_CHECKING:
    from feedbackloop.services.gdocs import GoogleDocs
    from feedbackloop.services.github import GitHub
    from feedbackloop.services.slack import Slack


@dataclass
class Services:
    """Clients made on first use; each says once why it is skipped."""

    context: Context
    said: set[str] = field(default_factory=set)
    err: bool = False  # say it on stderr: for commands whose stdout is their product (report)

    def skip(self, service: str, missing: str) -> None:
        if service not in self.said:
            self.said.add(service)
            click.echo(f"{service}: skipped, {missing} is not set", err=self.err)

    def github(self) -> GitHub | None:
        env = self.context.env
        missing = env.missing("GITHUB_TOKEN", "GITHUB_REPOSITORY")
        if missing:
            self.skip("GitHub", missing)
            return None
        from feedbackloop.services.github import GitHub

        return GitHub(env.get("GITHUB_TOKEN"), env.github_api_url, self.context.policy, self.context.budget)

    def slack(self, channel_needed: bool = True) -> Slack | None:
        """The Slack client; None when Slack is off (no channel, where one is needed) or has no token."""
        if channel_needed and not self.context.settings.slack_channel:
            return None
        if self.context.env.missing("SLACK_BOT_TOKEN"):
            self.skip("Slack", "SLACK_BOT_TOKEN")
            return None
        from feedbackloop.services.slack import Slack

        env = self.context.env
        return Slack(env.get("SLACK_BOT_TOKEN"), env.slack_api_url, self.context.policy, self.context.budget)

    def docs(self) -> GoogleDocs | None:
        if not self.context.settings.google_doc_id:
            return None
        from feedbackloop.services import google

        env = self.context.env
        if not google.configured(env):
            self.skip("Google Docs", google.MISSING)
            return None
        from feedbackloop.services.gdocs import GoogleDocs

        token = google.access_token(env, [google.DOCS_SCOPE], self.context.policy, self.context.budget)
        return GoogleDocs(token, env.google_docs_api_url, self.context.policy, self.context.budget)

    def unreachable(self) -> set[str]:
        """Of the services publish uses ("github", "slack", "doc"), those configured in the settings
        whose credentials are not set; each is said once, as when its client is asked for."""
        from feedbackloop.services import google

        env, settings = self.context.env, self.context.settings
        absent = set()
        missing = env.missing("GITHUB_TOKEN", "GITHUB_REPOSITORY")
        if missing:
            self.skip("GitHub", missing)
            absent.add("github")
        if settings.slack_channel and env.missing("SLACK_BOT_TOKEN"):
            self.skip("Slack", "SLACK_BOT_TOKEN")
            absent.add("slack")
        if settings.google_doc_id and not google.configured(env):
            self.skip("Google Docs", google.MISSING)
            absent.add("doc")
        return absent

    @property
    def repository(self) -> str:
        """The interviews' own repository, `owner/name`."""
        name = self.context.env.get("GITHUB_REPOSITORY")
        if not name:
            raise UsageError(
                "GITHUB_REPOSITORY is not set", "set it to owner/name of the interviews repository"
            )
        return name

    @property
    def issues_repository(self) -> str:
        return self.context.settings.issues_repository or self.repository

    def file_url(self, path: str) -> str:
        """A link to a record's file at the commit being published (or its path, off GitHub)."""
        env = self.context.env
        name = env.get("GITHUB_REPOSITORY")
        if not name:
            return path
        server = env.get("GITHUB_SERVER_URL", "https://github.com")
        ref = env.get("GITHUB_SHA") or self.context.settings.branch
        return f"{server}/{name}/blob/{ref}/{path}"
