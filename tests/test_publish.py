"""`feedbackloop publish` against FakeGitHub, FakeSlack and FakeGoogleDocs: what each service ends up
holding, what is written back, and what is printed (exactly once under failures: the _exactly_once tests)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from fakes.slack import Ping
from helpers_publish import (
    ANA,
    CHANNEL,
    DOC_ID,
    DOC_PREAMBLE,
    JOE,
    PRIYA,
    PRODUCT,
    REPO,
    SERVER,
    World,
    assert_exactly_once,
    interview,
    markers_in,
    request_keys,
    world_at,
)
from helpers_repo import git

JOE_ID = "2026-11-20-web-analytics-joe"
PRIYA_ID = "2026-11-23-session-replay-priya"
ANA_ID = "2026-11-24-slack-feedback-ana"
LEDGER_KEYS = ("issue:", "evidence:", "published:", "slack:", "doc:", "digest:")


def _sections(message: dict[str, object]) -> list[str]:
    """Every text of a message's blocks, fields included."""
    texts: list[str] = []

    def visit(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(message["blocks"])
    return texts


def _message_of(world: World, record_id: str) -> dict[str, object]:
    found = [
        m
        for m in world.messages()
        if (m["metadata"] or {}).get("event_payload", {}).get("id") == record_id  # type: ignore[union-attr]
    ]
    assert len(found) == 1, found
    return found[0]


# -- GitHub issues ---------------------------------------------------------------------------------------
def test_each_request_becomes_one_issue_with_the_template_body_and_labels(world: World) -> None:
    sha = world.sha
    ran = world.publish()
    assert ran.code == 0, ran.out

    issues = {issue["title"]: issue for issue in world.issues()}
    assert set(issues) == {
        "Funnel breakdown crashes with more than 50 steps",
        "Break down funnels by cohort",
        "SQL editor loses the query on reload",
    }
    bug = issues["Funnel breakdown crashes with more than 50 steps"]
    body = bug["body"]
    assert body.startswith("Happens on the trends page too.\n")
    assert "A bug from a user interview on 2026-11-20." in body
    assert "| Person profile | https://us.posthog.com/project/2/person/01HX-joe |" in body
    assert "| Company | Acme (CTO) |" in body
    assert "| Interviewers | @alice, @bob |" in body
    file_url = f"{SERVER}/{REPO}/blob/{sha}/{JOE}"
    assert f"| Interview | [{JOE}]({file_url}) |" in body
    assert markers_in(body) == [("request", {"id": JOE_ID, "key": f"{JOE_ID}#1"})]
    assert {label["name"] for label in bug["labels"]} == {"user-feedback", "bug"}
    feature = issues["Break down funnels by cohort"]
    assert "A feature request from a user interview" in feature["body"]
    assert {label["name"] for label in feature["labels"]} == {"user-feedback", "enhancement"}
    note = issues["SQL editor loses the query on reload"]
    assert "| Interviewers | @carol |" in note["body"]
    assert sorted(request_keys(world.issues())) == [f"{JOE_ID}#1", f"{JOE_ID}#2", f"{ANA_ID}#1"]

    ledger = world.frontmatter(JOE)
    assert [r["issue"] for r in ledger["requests"]] == [bug["html_url"], feature["html_url"]]
    assert [r["evidence"] for r in ledger["requests"]] == [bug["html_url"], feature["html_url"]]


def test_issues_go_to_the_configured_repository_with_the_configured_labels(world: World) -> None:
    pyproject = (world.root / "pyproject.toml").read_text(encoding="utf-8")
    settings = pyproject.replace(
        "[tool.feedbackloop]\n",
        '[tool.feedbackloop]\nissues_repository = "acme/product"\nextra_labels = ["from-interviews"]\n'
        'type_labels = { bug = "type: bug", feature = "type: feature" }\n',
    )
    world.push({"pyproject.toml": settings}, "Issues go to the product repository")

    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.issues(REPO) == []
    filed = [i for i in world.issues(PRODUCT) if request_keys([i])]
    assert len(filed) == 3
    for issue in filed:
        labels = {label["name"] for label in issue["labels"]}
        assert labels - {"type: bug", "type: feature"} == {"user-feedback", "from-interviews"}
        assert len(labels) == 3
    assert world.frontmatter(JOE)["requests"][0]["issue"].startswith(f"{SERVER}/{PRODUCT}/issues/")


def test_a_hand_set_issue_gets_one_evidence_comment_in_its_own_repository(world: World) -> None:
    number = world.hand_set_issue
    assert world.publish().code == 0
    comments = world.github.comments(PRODUCT, number)
    assert len(comments) == 1
    body = comments[0]["body"]
    assert body.startswith("**One more user asked for this**, in a user interview on 2026-11-23.")
    assert "| Person profile | https://us.posthog.com/project/2/person/01HX-priya |" in body
    assert "| Company | Globex (Designer) |" in body
    assert f"[{PRIYA}]({SERVER}/{REPO}/blob/" in body
    assert markers_in(body) == [("evidence", {"key": f"{PRIYA_ID}#1"})]
    request = world.frontmatter(PRIYA)["requests"][0]
    assert request["issue"] == f"{SERVER}/{PRODUCT}/issues/{number}"  # left as the teammate wrote it
    assert request["evidence"] == comments[0]["html_url"]
    assert not [i for i in world.issues(PRODUCT) if request_keys([i])]  # no issue filed for it

    world.checkout()
    assert world.publish().code == 0
    assert len(world.github.comments(PRODUCT, number)) == 1


# -- Slack -----------------------------------------------------------------------------------------------
def test_one_summary_per_record_with_mentions_links_fallback_and_metadata(world: World) -> None:
    sha = world.sha
    assert world.publish().code == 0
    messages = world.messages()
    assert len(messages) == 3
    joe = _message_of(world, JOE_ID)
    issues = {issue["title"]: issue["html_url"] for issue in world.issues()}
    blocks = joe["blocks"]
    assert isinstance(blocks, list)
    assert blocks[0]["type"] == "header"
    assert blocks[0]["text"]["text"] == "Web analytics user interview with Joe"
    fields = [f["text"] for f in blocks[1]["fields"]]
    assert fields == ["*User*\nJoe · CTO at Acme", "*Interviewers*\n<@U0ALICE>, <@U0BOB>"]
    texts = _sections(joe)
    assert "Uses funnels daily; wants breakdowns by cohort; hit a crash with long funnels." in texts
    requests = next(t for t in texts if t.startswith("*Requests*"))
    for title, url in issues.items():
        if title != "SQL editor loses the query on reload":
            assert f"<{url}|{title}>" in requests
    assert any(f"<{SERVER}/{REPO}/blob/{sha}/{JOE}|Full notes>" in t for t in texts)
    assert joe["text"] == (
        "Web analytics user interview with Joe: "
        "Uses funnels daily; wants breakdowns by cohort; hit a crash with long funnels."
    )
    metadata = joe["metadata"]
    assert isinstance(metadata, dict)
    assert metadata["event_type"] == "feedbackloop_interview"
    assert metadata["event_payload"]["id"] == JOE_ID
    # Nothing that makes Slack turn names into pings.
    assert not {"link_names", "parse"} & set(joe["flags"])  # type: ignore[arg-type]
    assert all(b.get("verbatim") for b in _mrkdwn(blocks))
    # Only the interviewers are notified, by the mentions publish wrote.
    assert sorted(p.what for p in world.slack.pings) == sorted(
        ["<@U0ALICE>", "<@U0BOB>", "<@U0CAROL>", "<@U0CAROL>"]
    )
    ana = _message_of(world, ANA_ID)
    assert "*Received by*\n<@U0CAROL>" in _sections(ana)
    assert world.frontmatter(JOE)["published"]["slack"] == world.slack.permalink(CHANNEL, str(joe["ts"]))


def _mrkdwn(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node)
        for value in node.values():
            found += _mrkdwn(value)
    elif isinstance(node, list):
        for value in node:
            found += _mrkdwn(value)
    return found


HOSTILE = "<!channel> <!here> @here @channel <@U999> <!subteam^S1> & <script>alert(1)</script>"


def test_hostile_text_pings_nobody_and_shows_escaped(tmp_path: Path) -> None:
    files = {
        "interviews/2026/2026-11-20-hostile-eve.md": interview(
            "2026-11-20-hostile-eve",
            topic=f"Alerts {HOSTILE}",
            first_name="Eve",
            company="<!everyone> & Co",
            role="@here",
            interviewers=["alice"],
            summary=f"Summary {HOSTILE}",
            requests=[
                {"type": "bug", "title": f"Crash {HOSTILE}", "details": HOSTILE},
                {"type": "feature", "title": "<https://evil.example|click me> & more"},
            ],
            notes=f"Notes {HOSTILE}",
        )
    }
    with world_at(tmp_path, files) as world:
        ran = world.publish()
        assert ran.code == 0, ran.out
        assert world.slack.pings == [Ping(CHANNEL, world.messages()[0]["ts"], "<@U0ALICE>")]
        message = world.messages()[0]
        texts = [*_sections(message), str(message["text"])]
        joined = "\n".join(texts)
        assert "&lt;!channel&gt; &lt;!here&gt; @here @channel &lt;@U999&gt;" in joined
        assert "&amp; &lt;script&gt;alert(1)&lt;/script&gt;" in joined
        assert "&lt;!everyone&gt; &amp; Co" in joined
        assert "&lt;https://evil.example|click me&gt; &amp; more" in joined
        for text in texts:  # the only < are publish's own links and mentions
            assert re.sub(r"<(?:https://|@U0ALICE>)[^<>]*>?", "", text).count("<") == 0, text
        # The issue and the doc are not Slack: they hold the text as written.
        titles = {issue["title"] for issue in world.issues()}
        assert f"Crash {HOSTILE}" in titles
        assert f"Notes {HOSTILE}" in world.doc_text()


def test_a_long_summary_is_cut_with_a_link_to_the_notes(tmp_path: Path) -> None:
    summary = "Long call. " + "word " * 1000  # 5,011 characters
    files = {
        "interviews/2026/2026-11-20-long-call-joe.md": interview("2026-11-20-long-call-joe", summary=summary)
    }
    with world_at(tmp_path, files) as world:
        sha = world.sha
        assert world.publish().code == 0
        message = world.messages()[0]
        section = next(t for t in _sections(message) if t.startswith("Long call."))
        assert len(section) <= 3000
        link = f"<{SERVER}/{REPO}/blob/{sha}/interviews/2026/2026-11-20-long-call-joe.md|full notes>"
        assert section.endswith(f"… {link}")
        assert len(str(message["text"])) <= 4000
        assert str(message["text"]).endswith("…")
        assert summary.strip() in world.doc_text()  # the doc has room for all of it


def test_sixty_requests_stay_within_slacks_limits(tmp_path: Path) -> None:
    # Issues a teammate already linked, with the evidence recorded: nothing to do on GitHub.
    requests = [
        {
            "type": "bug" if n % 2 else "feature",
            "title": f"Request number {n} about funnels and cohorts",
            "issue": f"https://github.com/{PRODUCT}/issues/{100 + n}",
            "evidence": f"https://github.com/{PRODUCT}/issues/{100 + n}#issuecomment-{n}",
        }
        for n in range(60)
    ]
    files = {
        "interviews/2026/2026-11-20-many-requests-joe.md": interview(
            "2026-11-20-many-requests-joe", requests=requests
        )
    }
    with world_at(tmp_path, files) as world:
        ran = world.publish()
        assert ran.code == 0, ran.out
        assert world.github.count("* /repos/*/issues*") == 0
        message = world.messages()[0]
        blocks = message["blocks"]
        assert isinstance(blocks, list)
        assert len(blocks) <= 50
        assert all(len(t) <= 3000 for t in _sections(message))
        listed = next(t for t in _sections(message) if t.startswith("*Requests*"))
        assert "full notes>" in listed
        assert listed.count("<") == listed.count(">")  # no link cut in half
        assert world.slack.warnings == []


def test_a_changed_summary_updates_the_same_message_and_the_doc_entry_in_place(world: World) -> None:
    assert world.publish().code == 0
    first = _message_of(world, JOE_ID)
    ranges = world.doc_ranges()
    priya_text = world.docs.range_text(DOC_ID, f"feedbackloop:{PRIYA_ID}")
    ana_text = world.docs.range_text(DOC_ID, f"feedbackloop:{ANA_ID}")

    world.checkout()
    text = (world.root / JOE).read_text(encoding="utf-8")
    changed = text.replace(
        'summary: "Uses funnels daily;', 'summary: "Uses funnels daily 🎉 (and 👩‍💻 replays);'
    )
    assert changed != text
    world.push({JOE: changed}, "Joe's summary, corrected")
    world.forget_requests()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert "updated the Slack summary" in ran.out

    assert len(world.messages()) == 3
    after = _message_of(world, JOE_ID)
    assert after["ts"] == first["ts"]
    assert after["edited"] == 1
    assert any(t.startswith("Uses funnels daily 🎉 (and 👩‍💻 replays);") for t in _sections(after))
    assert world.slack.calls("chat.postMessage") == 0
    assert world.slack.calls("chat.update") == 1
    assert len(world.slack.pings) == 4  # an edit notifies nobody again

    # The doc: Joe's entry rewritten under the same name; the others' text intact, and still named.
    joe_text = world.docs.range_text(DOC_ID, f"feedbackloop:{JOE_ID}")
    assert "Summary: Uses funnels daily 🎉 (and 👩‍💻 replays);" in joe_text
    assert world.doc_text().count("Web analytics user interview with Joe") == 1
    assert world.docs.range_text(DOC_ID, f"feedbackloop:{PRIYA_ID}") == priya_text
    assert world.docs.range_text(DOC_ID, f"feedbackloop:{ANA_ID}") == ana_text
    assert world.doc_text().startswith(DOC_PREAMBLE)
    now = world.doc_ranges()
    assert set(now) == set(ranges)
    assert all(len(spans) == 1 for spans in now.values())
    assert now[f"feedbackloop:{JOE_ID}"][0][0] == ranges[f"feedbackloop:{JOE_ID}"][0][0]
    # The ledger's digest follows; the next run has nothing to do.
    world.checkout()
    world.forget_requests()
    assert world.publish().out.strip().endswith("Nothing to publish.")
    assert sum(world.request_count().values()) <= 1


# -- the Google Doc --------------------------------------------------------------------------------------
def test_each_record_gets_one_named_entry_appended_after_the_teams_own_text(world: World) -> None:
    world.docs.add_document(DOC_ID, "User interviews", DOC_PREAMBLE + "Last line without a newline")
    assert world.publish().code == 0
    text = world.doc_text()
    assert text.startswith(DOC_PREAMBLE + "Last line without a newline\n")
    ranges = world.doc_ranges()
    assert set(ranges) == {f"feedbackloop:{i}" for i in (JOE_ID, PRIYA_ID, ANA_ID)}
    joe = world.docs.range_text(DOC_ID, f"feedbackloop:{JOE_ID}")
    assert joe.startswith("Web analytics user interview with Joe (2026-11-20)\nInterviewers: alice, bob\n")
    assert "Profile: https://us.posthog.com/project/2/person/01HX-joe\n" in joe
    issues = {issue["title"]: issue["html_url"] for issue in world.issues()}
    assert f"• Bug: Funnel breakdown crashes with more than 50 steps ({issues[next(iter(issues))]})" in joe
    assert "- Funnels with 50+ steps crash." in joe
    assert world.frontmatter(JOE)["published"]["doc"] == f"feedbackloop:{JOE_ID}"


def test_entries_with_emoji_are_counted_in_utf16(tmp_path: Path) -> None:
    files = {
        f"interviews/2026/2026-11-2{n}-emoji-{name.lower()}.md": interview(
            f"2026-11-2{n}-emoji-{name.lower()}",
            first_name=name,
            summary=f"{'🎉' * n} party {name} 👩‍👩‍👧 𝄞",
            notes=f"- {'😀' * (n + 1)} notes",
        )
        for n, name in enumerate(["Ana", "Bo", "Cy"], start=1)
    }
    with world_at(tmp_path, files) as world:
        assert world.publish().code == 0
        for n, name in enumerate(["Ana", "Bo", "Cy"], start=1):
            entry = world.docs.range_text(DOC_ID, f"feedbackloop:2026-11-2{n}-emoji-{name.lower()}")
            assert entry.startswith(f"Web analytics user interview with {name} (2026-11-2{n})")
            assert f"Summary: {'🎉' * n} party {name} 👩‍👩‍👧 𝄞\n" in entry
            assert entry.endswith(f"2026-11-2{n}-emoji-{name.lower()}.md")  # its newline left out
        # Bo's summary grows by three emoji: the entries after it move, and keep their text.
        world.checkout()
        path = "interviews/2026/2026-11-22-emoji-bo.md"
        text = (world.root / path).read_text(encoding="utf-8")
        world.push({path: text.replace("🎉🎉 party", "🎉🎉🎉🎉🎉 party")})
        cy = world.docs.range_text(DOC_ID, "feedbackloop:2026-11-23-emoji-cy")
        assert world.publish().code == 0
        assert "Summary: 🎉🎉🎉🎉🎉 party Bo" in world.docs.range_text(
            DOC_ID, "feedbackloop:2026-11-22-emoji-bo"
        )
        assert world.docs.range_text(DOC_ID, "feedbackloop:2026-11-23-emoji-cy") == cy
        assert world.doc_text().count("party") == 3


# -- the write-back --------------------------------------------------------------------------------------
def test_one_commit_changes_only_the_ledger_lines_and_names_no_person(world: World) -> None:
    sha = world.sha
    ran = world.publish()
    assert ran.code == 0, ran.out
    head = world.github.export_git(REPO, world.root, branch="main")
    assert head is not None
    assert head != sha
    assert git(world.root, "rev-parse", f"{head}^") == sha  # one commit, on top of what was checked out
    assert git(world.root, "show", "--no-patch", "--format=%P", head) == sha
    changed = git(world.root, "diff", "--name-only", sha, head).splitlines()
    assert sorted(changed) == sorted([JOE, PRIYA, ANA])
    diff = git(world.root, "diff", "--unified=0", sha, head)
    for line in diff.splitlines():
        if line.startswith(("+++", "---", "@@", "diff ", "index ")):
            continue
        assert line.startswith("+"), line  # nothing removed or rewritten
        assert line[1:].strip().startswith(LEDGER_KEYS), line
    message = git(world.root, "show", "--no-patch", "--format=%B", head)
    assert message.startswith("feedbackloop publish: 3 records")
    for record_id in (JOE_ID, PRIYA_ID, ANA_ID):
        assert record_id in message
    for personal in ("Globex", "Tidewater", "posthog", "Designer", "CTO", "funnels"):
        assert personal.lower() not in message.lower()
    # Byte for byte: the file is the old one plus the ledger lines.
    old = git(world.root, "show", f"{sha}:{JOE}")
    new = git(world.root, "show", f"{head}:{JOE}")
    assert [line for line in new.splitlines() if not line.strip().startswith(LEDGER_KEYS)] == old.splitlines()


def test_nothing_to_do_makes_no_commit_and_at_most_one_request(world: World) -> None:
    assert world.publish().code == 0
    world.checkout()
    head = world.head()
    world.forget_requests()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.head() == head
    assert sum(world.request_count().values()) <= 1


def test_a_second_run_from_the_same_checkout_duplicates_nothing(world: World) -> None:
    assert world.publish().code == 0
    head = world.head()
    ran = world.publish()  # the runner's files still lack the links: everything is found again
    assert ran.code == 0, ran.out
    assert world.head() == head  # the ledger already says it all: no second commit
    assert len(world.issues()) == 3
    assert len(world.messages()) == 3
    assert len(world.github.comments(PRODUCT, world.hand_set_issue)) == 1
    assert len(world.doc_ranges()) == 3


# -- choosing what to publish ----------------------------------------------------------------------------
def test_only_publishes_one_record(world: World) -> None:
    ran = world.publish("--only", PRIYA_ID)
    assert ran.code == 0, ran.out
    assert len(world.messages()) == 1
    assert world.issues() == []
    assert set(world.doc_ranges()) == {f"feedbackloop:{PRIYA_ID}"}
    world.checkout()
    assert "published" not in world.frontmatter(JOE)
    assert "published" in world.frontmatter(PRIYA)
    ran = world.publish("--only", "2026-01-01-nobody")
    assert ran.code == 2
    assert "no interview has the id 2026-01-01-nobody" in ran.out


def test_records_with_problems_are_skipped_with_a_line(world: World) -> None:
    broken = "interviews/2026/2026-11-25-broken-bo.md"
    text = interview("2026-11-25-broken-bo", first_name="Bo").replace("status: completed", "status: done")
    world.push({broken: text})
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert ran.lines("skipped ") == [
        f"skipped {broken}: it has problems (run `feedbackloop validate {broken}`)"
    ]
    assert len(world.messages()) == 3


@pytest.mark.parametrize(
    ("unset", "line", "service"),
    [
        (("SLACK_BOT_TOKEN",), "Slack: skipped, SLACK_BOT_TOKEN is not set", "slack"),
        (
            ("GOOGLE_OAUTH_ACCESS_TOKEN",),
            "Google Docs: skipped, GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN is not set",
            "docs",
        ),
        (("GITHUB_TOKEN",), "GitHub: skipped, GITHUB_TOKEN is not set", "github"),
    ],
)
def test_a_service_without_its_token_is_skipped_with_one_line(
    world: World, unset: tuple[str, ...], line: str, service: str
) -> None:
    ran = world.publish(**dict.fromkeys(unset))
    assert ran.code == 0, ran.out
    assert [x for x in ran.out.splitlines() if "skipped," in x] == [line]
    assert (len(world.messages()) == 0) == (service == "slack")
    assert (len(world.doc_ranges()) == 0) == (service == "docs")
    assert (len(world.issues()) == 0) == (service == "github")
    assert len(world.github.comments(PRODUCT, world.hand_set_issue)) == (service != "github")

    # With every token back, the next run finishes the job, and Slack and the doc show the issue links.
    if service == "github":
        assert world.head() == world.sha  # no commit without GitHub: the files were edited in place
        git(world.root, "checkout", "--", ".")  # a runner's checkout is fresh each run
    else:
        world.checkout()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert len(world.messages()) == 3
    assert len(world.issues()) == 3
    assert len(world.doc_ranges()) == 3
    joe = _message_of(world, JOE_ID)
    for issue in world.issues():
        if JOE_ID in issue["body"]:
            assert f"<{issue['html_url']}|" in "\n".join(_sections(joe))
            assert issue["html_url"] in world.docs.range_text(DOC_ID, f"feedbackloop:{JOE_ID}")
    world.checkout()
    world.forget_requests()
    assert world.publish().out.strip().endswith("Nothing to publish.")


def test_dry_run_prints_everything_and_sends_nothing(world: World) -> None:
    ran = world.publish("--dry-run")
    assert ran.code == 0, ran.out
    assert sum(world.request_count().values()) == 0
    out = ran.out
    assert "Would publish 3 records (dry run: nothing is sent):" in out
    assert "--- issue: Funnel breakdown crashes with more than 50 steps  [labels: user-feedback, bug]" in out
    assert "A bug from a user interview on 2026-11-20." in out
    assert f'<!-- feedbackloop:request {{"id":"{JOE_ID}","key":"{JOE_ID}#1"}} -->' in out
    assert f"--- evidence comment on {SERVER}/{PRODUCT}/issues/{world.hand_set_issue}" in out
    assert f"--- Slack: post to {CHANNEL}" in out
    assert '"text": "*Interviewers*\\n<@U0ALICE>, <@U0BOB>"' in out
    assert f"--- Google Doc: append to {DOC_ID} as feedbackloop:{JOE_ID}" in out
    assert "Web analytics user interview with Joe (2026-11-20)\nInterviewers: alice, bob" in out
    assert world.head() == world.sha
    assert git(world.root, "status", "--porcelain") == ""


def test_dry_run_through_the_cli_with_a_key_file_asks_for_no_token(world: World, tmp_path: Path) -> None:
    key = tmp_path / "key.json"
    key.write_text(json.dumps(world.auth.service_account_info()), encoding="utf-8")
    ran = world.cli(
        "publish", "--dry-run", GOOGLE_OAUTH_ACCESS_TOKEN=None, GOOGLE_APPLICATION_CREDENTIALS=str(key)
    )
    assert ran.code == 0, ran.out
    assert sum(world.request_count().values()) == 0


def test_the_job_summary_lists_what_was_done_with_links(world: World) -> None:
    assert world.publish().code == 0
    summary = world.summary_path.read_text(encoding="utf-8")
    assert summary.startswith("### Published\n")
    issues = world.issues()
    for issue in issues:
        assert f"]({issue['html_url']})" in summary
    assert summary.count("| ✅ |") == 3
    assert "acme.slack.com/archives/C0FEEDBACK/p" in summary
    assert "wrote back 3 files (commit " in summary
    assert "API requests: github" in summary


def test_cut_never_ends_inside_a_link_an_entity_or_a_list_item() -> None:
    from feedbackloop.plan.publish import cut

    items = "\n".join(f"• <https://x.test/issues/{n}|Title &amp; {n}>" for n in range(40))
    for limit in range(120, 400, 7):
        kept = cut(items, limit, "<https://x.test/f|full notes>")
        assert len(kept) <= limit
        body = kept.removesuffix("… <https://x.test/f|full notes>")
        assert body.count("<") == body.count(">"), body
        assert body.count("&") == body.count(";"), body
        assert body.endswith(">") or not body, body  # whole items only
    assert cut("a &lt;b&gt; c", 10) == "a &lt;b…"


def test_a_record_published_without_github_gets_its_links_everywhere_in_the_run_that_files_them(
    world: World,
) -> None:
    """A laptop run with only Slack and Google: the files keep the ledger (no GitHub to commit it);
    the run that files the issues must also put their links into the Slack message and the doc."""
    ran = world.publish(GITHUB_TOKEN=None)
    assert ran.code == 0, ran.out
    git(world.root, "add", "--", ".")
    git(world.root, "commit", "--quiet", "-m", "Publish from a laptop")
    world.github.import_git(world.root, REPO)
    world.sha = git(world.root, "rev-parse", "HEAD")

    ran = world.publish()
    assert ran.code == 0, ran.out
    joe = "\n".join(_sections(_message_of(world, JOE_ID)))
    doc = world.docs.range_text(DOC_ID, f"feedbackloop:{JOE_ID}")
    for issue in world.issues():
        if JOE_ID in issue["body"]:
            assert f"<{issue['html_url']}|" in joe
            assert issue["html_url"] in doc
    world.checkout()
    world.forget_requests()
    assert world.publish().out.strip().endswith("Nothing to publish.")


def test_a_permalink_with_a_thread_query_still_names_the_message(world: World) -> None:
    from feedbackloop.services.slack import ts_from_permalink

    link = "https://acme.slack.com/archives/C0FEEDBACK/p1795856400000100?thread_ts=1795856400.000100&cid=C0FEEDBACK"
    assert ts_from_permalink(link) == ("C0FEEDBACK", "1795856400.000100")
    assert ts_from_permalink("https://acme.slack.com/archives/C0FEEDBACK/p1795856400000100/") == (
        "C0FEEDBACK",
        "1795856400.000100",
    )
    assert ts_from_permalink("https://acme.slack.com/archives/C0FEEDBACK") is None

    assert world.publish().code == 0
    world.checkout()
    text = (world.root / JOE).read_text(encoding="utf-8")
    permalink = world.frontmatter(JOE)["published"]["slack"]
    ts = permalink.rsplit("/p", 1)[1]
    threaded = f"{permalink}?thread_ts={ts[:-6]}.{ts[-6:]}&cid={CHANNEL}"
    changed = text.replace(permalink, threaded).replace("Uses funnels daily", "Uses funnels hourly")
    world.push({JOE: changed})
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert len(world.messages()) == 3
    assert "Uses funnels hourly" in str(_message_of(world, JOE_ID)["blocks"])


@pytest.mark.parametrize(
    "ledger",
    [
        "https://acme.slack.com/archives/C0FEEDBACK",
        "https://acme.slack.com/archives/C0FEEDBACK/p1795856400",
        "deleted",
    ],
    ids=["no-ts", "cut-short", "deleted"],
)
def test_a_summary_whose_link_is_unusable_is_found_by_its_metadata(world: World, ledger: str) -> None:
    """A hand-edited or truncated link in the ledger, or a summary someone deleted: the update finds
    the message by its metadata (or posts it again when it is gone), never posts a second one."""
    assert world.publish().code == 0
    world.checkout()
    text = (world.root / JOE).read_text(encoding="utf-8")
    permalink = world.frontmatter(JOE)["published"]["slack"]
    if ledger == "deleted":
        ts = str(_message_of(world, JOE_ID)["ts"])
        with world.slack._lock:
            world.slack._messages[CHANNEL] = [m for m in world.slack._messages[CHANNEL] if m.ts != ts]
        ledger = permalink
    changed = text.replace(permalink, ledger).replace("Uses funnels daily", "Uses funnels hourly")
    world.push({JOE: changed})
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert len(world.messages()) == 3
    assert "Uses funnels hourly" in str(_message_of(world, JOE_ID)["blocks"])
    world.checkout()
    assert world.frontmatter(JOE)["published"]["slack"] == world.slack.permalink(
        CHANNEL, str(_message_of(world, JOE_ID)["ts"])
    )


def test_a_service_without_credentials_is_waited_for_without_redoing_the_others(world: World) -> None:
    """The doc's secret is missing for a while: each run skips it with one line and, once the rest is
    done, makes no request at all; when the secret is back, only the doc entries are added."""
    assert world.publish(GOOGLE_OAUTH_ACCESS_TOKEN=None).code == 0
    for _ in range(2):
        world.checkout()
        world.forget_requests()
        ran = world.publish(GOOGLE_OAUTH_ACCESS_TOKEN=None)
        assert ran.code == 0, ran.out
        assert (
            "Google Docs: skipped, GOOGLE_APPLICATION_CREDENTIALS or GOOGLE_OAUTH_ACCESS_TOKEN is not set"
            in ran.out
        )
        assert "Nothing to publish: 3 records wait for the skipped services." in ran.out
        assert sum(world.request_count().values()) == 0
    world.checkout()
    world.forget_requests()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.slack.calls("chat.update") == 0
    assert world.slack.calls("chat.postMessage") == 0
    assert len(world.doc_ranges()) == 3
    assert_exactly_once(world)


def test_an_edit_while_the_doc_is_unreachable_still_reaches_the_doc_later(world: World) -> None:
    assert world.publish().code == 0
    world.checkout()
    text = (world.root / JOE).read_text(encoding="utf-8")
    world.push({JOE: text.replace("Uses funnels daily", "Uses funnels hourly")})
    ran = world.publish(GOOGLE_OAUTH_ACCESS_TOKEN=None)
    assert ran.code == 0, ran.out
    assert "updated the Slack summary" in ran.out
    world.checkout()
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert "updated the notes in the Google Doc" in ran.out
    assert "Uses funnels hourly" in world.doc_text()
    assert_exactly_once(world)


def test_hostile_titles_in_the_pull_request_comment_and_the_job_summary_stay_inert(tmp_path: Path) -> None:
    title = "Ping @acme/everyone <!-- hide the rest --> ](https://evil.example) | pipe"
    world = World.create(tmp_path, files={})
    try:
        path = "interviews/2026/2026-11-20-hostile-eve.md"
        pull = world.merge_pull_request(
            {
                path: interview(
                    "2026-11-20-hostile-eve",
                    first_name="Eve",
                    interviewers=["alice"],
                    requests=[{"type": "bug", "title": title}],
                )
            }
        )
        ran = world.publish(GITHUB_EVENT_NAME="push")
        assert ran.code == 0, ran.out
        [comment] = [c["body"] for c in world.github.comments(REPO, pull)]
        summary = world.summary_path.read_text(encoding="utf-8")
        for text in (comment, summary):
            assert "@\u200bacme/everyone" in text
            assert "@acme" not in text
            assert "<!-- hide" not in text
            assert "\\](https://evil.example)" in text
        assert [kind for kind, _ in markers_in(comment)] == ["pull-request"]
    finally:
        world.stop()


def test_a_full_doc_stops_only_the_doc_with_what_to_do(world: World) -> None:
    """A Google Doc holds 1.02 million characters: past that, Docs refuses every batch. The run says
    the doc is full and how to go on; issues and Slack are published all the same."""
    from feedbackloop.services.gdocs import MAX_CHARACTERS

    almost = DOC_PREAMBLE + "x" * (MAX_CHARACTERS - 200 - len(DOC_PREAMBLE)) + "\n"
    world.docs.add_document(DOC_ID, "User interviews", almost)
    ran = world.publish()
    assert ran.code == 1
    assert f"document {DOC_ID} is full" in ran.out
    assert "set `google_doc_id`" in ran.out
    assert world.doc_text() == almost  # nothing added
    assert len(world.messages()) == 3
    assert world.issues()


def test_the_evidence_comment_is_looked_for_from_the_call_on_not_in_all_of_an_old_issues_thread(
    world: World,
) -> None:
    """A hand-set issue with a long history: its comments from before the call are not read again."""
    from datetime import timedelta

    from helpers_publish import NOW

    for n in range(250):
        world.github.add_comment(
            PRODUCT, world.hand_set_issue, f"An old comment {n}", at=NOW - timedelta(days=400)
        )
    ran = world.publish()
    assert ran.code == 0, ran.out
    assert world.github.count(f"GET /repos/{PRODUCT}/issues/{world.hand_set_issue}/comments*") == 1
    evidence = [
        c
        for c in world.github.comments(PRODUCT, world.hand_set_issue)
        if "feedbackloop:evidence" in c["body"]
    ]
    assert len(evidence) == 1
