"""`feedbackloop report`: the feedback dashboard as markdown, the same one `remind` keeps in an issue.

Stdout is the markdown and nothing else (`feedbackloop report > dashboard.md`): every other line goes
to stderr."""

from __future__ import annotations

import click

from feedbackloop import actions
from feedbackloop.commands.connect import Services
from feedbackloop.commands.remind import active_records, files_url, read_issues
from feedbackloop.context import Context
from feedbackloop.errors import FAILED, OK
from feedbackloop.plan.remind import flags
from feedbackloop.plan.report import TITLE, dashboard


def run(context: Context, include_examples: bool) -> int:
    records = active_records(context, include_examples, err=True)
    github = Services(context, err=True).github()
    _, closed, _, failure = read_issues(context, github, records, err=True)
    if failure:
        click.echo(f"shipped requests not checked: {failure}", err=True)
    found = flags(records, context.settings, context.today, closed)
    content = dashboard(records, context.settings, context.today, found, files_url(context))
    click.echo(f"## {TITLE}\n\n{content}", nl=False)  # the content ends with its newline
    actions.summary(context.env, f"## {TITLE}\n\n{content}")
    return FAILED if failure else OK
