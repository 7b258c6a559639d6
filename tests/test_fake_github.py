"""FakeGitHub, driven through the real PyGithub: what it accepts, what it refuses, what it remembers."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import github
import pytest
import requests
from github import Auth, Github, GithubException, InputGitAuthor, InputGitTreeElement

from fakes.github import SPEC_PATH, FakeGitHub, git_object_id
from fakes.server import Fault

REPO = "acme/interviews"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


# -- fixtures ------------------------------------------------------------------------------------------
@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    service = FakeGitHub(token="ghs_test")
    service.start()
    service.set_time(T0)
    service.add_repo(REPO, default_branch="main", private=True, collaborators={"alice", "bob"})
    try:
        yield service
        assert service.errors == []  # the fake itself never crashed
    finally:
        service.stop()


TOKEN = "ghs_test"


def client(fake: FakeGitHub, token: str = TOKEN, per_page: int = 30) -> Github:
    """PyGithub with its own retries and throttling sleeps turned off."""
    return Github(
        base_url=fake.url.rstrip("/"),
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=per_page,
        timeout=5,
    )


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return client(fake)


@pytest.fixture
def repo(gh: Github) -> Any:
    return gh.get_repo(REPO)


def raw(
    fake: FakeGitHub, method: str, path: str, body: Any = None, token: str | None = TOKEN
) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    data = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
    return requests.request(method, fake.url.rstrip("/") + path, data=data, headers=headers, timeout=5)


def headers(error: GithubException) -> dict[str, str]:
    """The response headers PyGithub keeps on its exception (lower-case keys)."""
    assert error.headers is not None
    return error.headers


GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Alice",
    "GIT_AUTHOR_EMAIL": "alice@example.com",
    "GIT_COMMITTER_NAME": "Alice",
    "GIT_COMMITTER_EMAIL": "alice@example.com",
    "GIT_AUTHOR_DATE": "2026-11-19T10:00:00+01:00",
    "GIT_COMMITTER_DATE": "2026-11-19T10:00:00+01:00",
}


def git(path: Path, *args: str, stdin: bytes | None = None) -> str:
    env = {**os.environ, **GIT_ENV}
    done = subprocess.run(
        ["git", "-C", str(path), *args], input=stdin, env=env, check=True, capture_output=True
    )
    return done.stdout.decode()


@pytest.fixture
def local(tmp_path: Path) -> Path:
    """A real git repository with one commit on main: a README and one interview."""
    path = tmp_path / "local"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# Interviews\n")
    (path / "interviews" / "2026").mkdir(parents=True)
    (path / "interviews" / "2026" / "2026-11-19-joe.md").write_text("---\nid: joe\n---\nNotes\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "First interview")
    return path


# -- issues --------------------------------------------------------------------------------------------
def test_issues_are_created_and_listed_with_label_and_since_filters_across_pages(fake: FakeGitHub) -> None:
    gh = client(fake, per_page=2)
    repo = gh.get_repo(REPO)
    for n in range(5):
        repo.create_issue(
            f"Request {n}", body=f"<!-- feedbackloop: joe/{n} -->", labels=["feedbackloop", "bug"]
        )
        fake.advance(60)
    repo.create_issue("Unrelated", labels=["question"])
    fake.seed_issue(REPO, "Old one by a human", labels=["feedbackloop"], created_at=T0 - timedelta(days=3))

    listed = list(repo.get_issues(state="all", labels=["feedbackloop"]))
    assert sorted(i.title for i in listed) == sorted(
        [f"Request {n}" for n in range(5)] + ["Old one by a human"]
    )
    assert [i.number for i in listed] == [5, 4, 3, 2, 1, 7]  # newest created first; #7 was created days ago
    assert fake.count("GET /repositories/*/issues") >= 2  # PyGithub followed GitHub's Link header

    both = list(repo.get_issues(state="all", labels=["FeedbackLoop", "bug"]))  # all must match, any case
    assert len(both) == 5
    recent = list(repo.get_issues(state="all", labels=["feedbackloop"], since=T0 + timedelta(minutes=3)))
    assert sorted(i.title for i in recent) == ["Request 3", "Request 4"]

    made = fake.issues(REPO)[0]
    assert made["html_url"] == "https://github.com/acme/interviews/issues/1"
    assert made["user"]["login"] == "github-actions[bot]"
    assert [label["name"] for label in made["labels"]] == ["feedbackloop", "bug"]


def test_link_header_is_formatted_as_github_formats_it(fake: FakeGitHub) -> None:
    for n in range(5):
        fake.seed_issue(REPO, f"Issue {n}", labels=["feedbackloop"])
    repo_id = fake.repo(REPO).id
    first = raw(fake, "GET", "/repos/acme/interviews/issues?labels=feedbackloop&per_page=2")
    base = f"{fake.url}repositories/{repo_id}/issues?labels=feedbackloop&per_page=2"
    assert first.headers["Link"] == f'<{base}&page=2>; rel="next", <{base}&page=3>; rel="last"'
    middle = raw(fake, "GET", f"/repositories/{repo_id}/issues?labels=feedbackloop&per_page=2&page=2")
    assert middle.headers["Link"] == (
        f'<{base}&page=1>; rel="prev", <{base}&page=3>; rel="next", '
        f'<{base}&page=3>; rel="last", <{base}&page=1>; rel="first"'
    )
    assert [i["title"] for i in middle.json()] == ["Issue 2", "Issue 1"]
    alone = raw(fake, "GET", "/repos/acme/interviews/issues?per_page=100")
    assert "Link" not in alone.headers
    capped = raw(fake, "GET", "/repos/acme/interviews/issues?per_page=500")
    assert len(capped.json()) == 5  # per_page is capped at 100, as GitHub does


def test_labels_are_created_on_the_fly_and_assignees_must_be_assignable(fake: FakeGitHub, repo: Any) -> None:
    issue = repo.create_issue("Crash", labels=["feedbackloop"], assignees=["alice"])
    label = repo.get_label("feedbackloop")
    assert (label.color, label.description) == ("ededed", None)
    assert {lb.name for lb in repo.get_labels()} >= {
        "bug",
        "enhancement",
        "feedbackloop",
    }  # GitHub's defaults
    with pytest.raises(GithubException) as refused:
        repo.create_label("FeedbackLoop", "ff0000")
    assert refused.value.status == 422
    assert refused.value.data["errors"] == [{"resource": "Label", "code": "already_exists", "field": "name"}]

    with pytest.raises(GithubException) as stranger:
        repo.create_issue("Crash", assignees=["mallory"])
    assert stranger.value.status == 422
    assert stranger.value.data["errors"][0]["field"] == "assignees"
    assert len(fake.issues(REPO)) == 1  # nothing was created

    issue.add_to_assignees("bob", "mallory")  # the endpoint silently ignores who cannot be assigned
    assert [a.login for a in repo.get_issue(issue.number).assignees] == ["alice", "bob"]
    issue.add_to_labels("question")
    assert [lb.name for lb in repo.get_issue(issue.number).labels] == ["feedbackloop", "question"]


def test_issues_are_edited_closed_by_humans_and_reopened(fake: FakeGitHub, repo: Any) -> None:
    issue = repo.create_issue("Export cohorts", body="from Joe")
    fake.advance(3600)
    issue.edit(state="closed", state_reason="not_planned")
    assert (issue.state, issue.state_reason) == ("closed", "not_planned")
    assert issue.closed_at == T0 + timedelta(hours=1)

    second = repo.create_issue("Funnel crash")
    shipped = T0 + timedelta(days=2)
    fake.close_issue(REPO, second.number, reason="completed", at=shipped, by="alice")
    seen = repo.get_issue(second.number)
    assert (seen.state, seen.state_reason, seen.closed_at, seen.closed_by.login) == (
        "closed",
        "completed",
        shipped,
        "alice",
    )
    closed = list(repo.get_issues(state="closed", since=shipped))
    assert [i.number for i in closed] == [second.number]

    seen.edit(state="open")
    assert (seen.state, seen.state_reason, seen.closed_at) == ("open", "reopened", None)

    fake.delete_issue(REPO, issue.number)
    with pytest.raises(GithubException) as gone:
        repo.get_issue(issue.number)
    assert gone.value.status == 410


def test_comments_are_paginated_edited_and_deleted(fake: FakeGitHub) -> None:
    repo = client(fake, per_page=3).get_repo(REPO)
    issue = repo.create_issue("Cohort export")
    fake.add_comment(REPO, issue.number, "a human was here", user="carol")
    for n in range(7):
        issue.create_comment(f"<!-- feedbackloop: evidence {n} -->\nJoe wants this too")
    bodies = [c.body for c in issue.get_comments()]
    assert len(bodies) == 8
    assert bodies[0] == "a human was here"
    assert fake.count("GET /repositories/*/issues/1/comments") == 2  # pages 2 and 3 followed via Link

    mine = list(issue.get_comments())[1]
    mine.edit("edited")
    assert fake.comments(REPO, issue.number)[1]["body"] == "edited"
    mine.delete()
    assert len(fake.comments(REPO, issue.number)) == 7
    assert repo.get_issue(issue.number).comments == 7
    assert len(list(repo.get_issues_comments())) == 7  # the repository-wide list


def test_deleting_a_head_branch_closes_its_pull_request(fake: FakeGitHub, repo: Any) -> None:
    fake.commit_files(REPO, {"README.md": "# Interviews\n"})
    fake.commit_files(REPO, {"interviews/x.md": "x\n"}, branch="intake/x", message="Stub")
    pull = repo.create_pull(base="main", head="intake/x", title="Interview x", draft=True)
    repo.get_git_ref("heads/intake/x").delete()
    assert repo.get_pull(pull.number).state == "closed"
    assert fake.pull(REPO, pull.number)["merged"] is False


# -- git data ------------------------------------------------------------------------------------------
def test_objects_have_the_ids_real_git_gives_them(fake: FakeGitHub, local: Path) -> None:
    fake.import_git(local, REPO)
    head = git(local, "rev-parse", "HEAD").strip()
    assert fake.ref(REPO, "heads/main") == head
    blob = git(local, "rev-parse", "HEAD:README.md").strip()
    assert git_object_id("blob", b"# Interviews\n") == blob
    assert fake.read_file(REPO, "interviews/2026/2026-11-19-joe.md") == b"---\nid: joe\n---\nNotes\n"


def test_a_tree_commit_and_ref_update_made_through_the_api_land_in_real_git(
    fake: FakeGitHub, gh: Github, local: Path
) -> None:
    # the change below, made with real git first, to compare tree ids
    (local / "README.md").unlink()
    (local / "interviews/2026/2026-11-19-joe.md").write_text("---\nid: joe\nissue: 1\n---\nNotes\n")
    (local / "interviews/2026/2026-11-20-web-analytics-joe.md").write_text(
        "---\nid: 2026-11-20-web-analytics-joe\n---\n"
    )
    git(local, "add", "-A")
    tree_by_git = git(local, "write-tree").strip()
    git(local, "reset", "-q", "--hard")
    git(local, "clean", "-fdq")

    fake.import_git(local, REPO)
    lazy = Github(base_url=fake.url.rstrip("/"), auth=Auth.Token("ghs_test"), retry=None, lazy=True)
    lazy.get_repo(REPO).get_git_ref("heads/main")
    assert fake.count("GET /repos/*") == 0  # with lazy=True PyGithub asks only when an attribute is read
    repo = gh.get_repo(REPO)
    ref = repo.get_git_ref("heads/main")
    assert fake.count("GET /repos/*/git/ref/heads/main") == 1  # the default (lazy=False) fetches at once
    parent = repo.get_git_commit(ref.object.sha)

    new_file = "interviews/2026/2026-11-20-web-analytics-joe.md"
    blob = repo.create_git_blob("---\nid: 2026-11-20-web-analytics-joe\n---\n", "utf-8")
    tree = repo.create_git_tree(
        [
            InputGitTreeElement(new_file, "100644", "blob", sha=blob.sha),
            InputGitTreeElement(
                "interviews/2026/2026-11-19-joe.md",
                "100644",
                "blob",
                content="---\nid: joe\nissue: 1\n---\nNotes\n",
            ),
            InputGitTreeElement("README.md", "100644", "blob", sha=None),  # deleted
        ],
        base_tree=parent.tree,
    )
    author = InputGitAuthor("feedbackloop", "feedbackloop@example.com", "2026-11-20T10:00:00+01:00")
    commit = repo.create_git_commit("Write back issue links", tree, [parent], author, author)
    ref.edit(commit.sha)
    assert fake.ref(REPO, "heads/main") == commit.sha

    fake.export_git(REPO, local, branch="main")
    assert git(local, "rev-parse", "main").strip() == commit.sha
    assert git(local, "show", f"main:{new_file}") == "---\nid: 2026-11-20-web-analytics-joe\n---\n"
    assert git(local, "log", "--format=%s|%an|%ad", "--date=iso-strict", "main") == (
        "Write back issue links|feedbackloop|2026-11-20T10:00:00+01:00\n"
        "First interview|Alice|2026-11-19T10:00:00+01:00\n"
    )
    changed = git(local, "diff", "--name-status", "main~1", "main")
    assert changed.splitlines() == [
        "D\tREADME.md",
        "M\tinterviews/2026/2026-11-19-joe.md",
        f"A\t{new_file}",
    ]
    git(local, "fsck", "--strict", "--no-dangling")
    assert tree.sha == tree_by_git  # the same change made by real git has the same id


def test_a_ref_update_that_is_not_a_fast_forward_is_refused(
    fake: FakeGitHub, gh: Github, local: Path
) -> None:
    fake.import_git(local, REPO)
    repo = gh.get_repo(REPO)
    ref = repo.get_git_ref("heads/main")
    head = repo.get_git_commit(ref.object.sha)
    tree = repo.create_git_tree([InputGitTreeElement("other.md", "100644", "blob", content="x\n")])
    orphan = repo.create_git_commit("Unrelated history", tree, [])
    with pytest.raises(GithubException) as refused:
        ref.edit(orphan.sha)
    assert (refused.value.status, refused.value.data["message"]) == (422, "Update is not a fast forward")
    assert fake.ref(REPO, "heads/main") == head.sha
    ref.edit(orphan.sha, force=True)
    assert fake.ref(REPO, "heads/main") == orphan.sha


def test_git_data_refuses_what_github_refuses(fake: FakeGitHub, gh: Github, local: Path) -> None:
    fake.import_git(local, REPO)
    repo = gh.get_repo(REPO)
    head = fake.ref(REPO, "heads/main")
    assert head is not None
    with pytest.raises(GithubException) as exists:
        repo.create_git_ref("refs/heads/main", head)
    assert exists.value.data["message"] == "Reference already exists"
    base = repo.get_git_commit(head).tree
    with pytest.raises(GithubException) as missing:
        repo.create_git_tree([InputGitTreeElement("nope.md", "100644", "blob", sha=None)], base_tree=base)
    assert missing.value.data["message"] == "GitRPC::BadObjectState"
    with pytest.raises(GithubException) as no_tree:
        gh.requester.requestJsonAndCheck(
            "POST", f"/repos/{REPO}/git/commits", input={"message": "m", "tree": "0" * 40, "parents": [head]}
        )
    assert no_tree.value.data["message"] == "Tree SHA does not exist"
    with pytest.raises(GithubException) as bad_mode:
        gh.requester.requestJsonAndCheck(
            "POST",
            f"/repos/{REPO}/git/trees",
            input={"tree": [{"path": "a", "mode": "100600", "type": "blob"}]},
        )
    assert bad_mode.value.status == 422
    assert bad_mode.value.data["message"].startswith(
        "Invalid request.\n\nFor 'properties/tree/items/properties/mode'"
    )

    listed = repo.get_git_tree(head, recursive=True)
    assert [(e.path, e.type) for e in listed.tree] == [
        ("README.md", "blob"),
        ("interviews", "tree"),
        ("interviews/2026", "tree"),
        ("interviews/2026/2026-11-19-joe.md", "blob"),
    ]
    assert [r.ref for r in repo.get_git_matching_refs("heads/")] == ["refs/heads/main"]


def test_contents_are_read_and_written_with_sha_checks(fake: FakeGitHub, repo: Any, local: Path) -> None:
    fake.import_git(local, REPO)
    path = "interviews/2026/2026-11-19-joe.md"
    found = repo.get_contents(path, ref="main")
    assert found.decoded_content == b"---\nid: joe\n---\nNotes\n"
    with pytest.raises(GithubException) as absent:
        repo.get_contents("interviews/2026/nope.md")
    assert absent.value.status == 404

    with pytest.raises(GithubException) as conflict:
        repo.update_file(path, "Write back", "new", sha="0" * 40)
    assert (conflict.value.status, conflict.value.data["message"]) == (
        409,
        f"{path} does not match {'0' * 40}",
    )
    with pytest.raises(GithubException) as no_sha:
        repo.create_file(path, "Write back", "new")
    assert no_sha.value.data["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'

    done = repo.update_file(path, "Write back", "---\nid: joe\nissue: 7\n---\nNotes\n", sha=found.sha)
    assert fake.read_file(REPO, path) == b"---\nid: joe\nissue: 7\n---\nNotes\n"
    assert done["commit"].parents[0].sha == git(local, "rev-parse", "HEAD").strip()
    created = repo.create_file("interviews/2026/new.md", "New", "hello\n", branch="main")
    assert created["content"].path == "interviews/2026/new.md"
    assert sorted(c.name for c in repo.get_contents("interviews/2026")) == ["2026-11-19-joe.md", "new.md"]


# -- pull requests -------------------------------------------------------------------------------------
def test_pull_requests_share_numbers_with_issues_and_find_their_commits(
    fake: FakeGitHub, gh: Github, local: Path
) -> None:
    fake.import_git(local, REPO)
    repo = gh.get_repo(REPO)
    repo.create_issue("An issue first")
    main = fake.ref(REPO, "heads/main")
    assert main is not None
    repo.create_git_ref("refs/heads/intake/joe", main)
    with pytest.raises(GithubException) as nothing:
        repo.create_pull(base="main", head="intake/joe", title="Interview with Joe")
    assert "No commits between main and intake/joe" in json.dumps(nothing.value.data)

    made = repo.create_file(
        "interviews/2026/2026-11-21-joe.md", "Stub", "---\nid: x\n---\n", branch="intake/joe"
    )
    pull = repo.create_pull(
        base="main", head="intake/joe", title="Interview with Joe", body="stub", draft=True
    )
    assert (pull.number, pull.draft, pull.head.ref, pull.head.sha) == (
        2,
        True,
        "intake/joe",
        made["commit"].sha,
    )
    with pytest.raises(GithubException) as duplicate:
        repo.create_pull(base="main", head="intake/joe", title="again")
    assert (
        duplicate.value.data["errors"][0]["message"] == "A pull request already exists for acme:intake/joe."
    )
    with pytest.raises(GithubException) as no_head:
        repo.create_pull(base="main", head="nope", title="x")
    assert no_head.value.data["errors"] == [{"resource": "PullRequest", "field": "head", "code": "invalid"}]

    assert [p.number for p in repo.get_pulls(state="open", head="acme:intake/joe")] == [2]
    assert [p.number for p in repo.get_pulls(state="open", head="acme:other")] == []
    as_issue = next(i for i in repo.get_issues(state="all") if i.number == 2)
    assert as_issue.pull_request is not None
    assert [p.number for p in repo.get_commit(made["commit"].sha).get_pulls()] == [2]  # while open

    merged = fake.merge_pull(REPO, 2, by="alice")
    assert fake.ref(REPO, "heads/main") == merged
    added = repo.get_commits(path="interviews/2026/2026-11-21-joe.md")
    assert [c.sha for c in added] == [made["commit"].sha]  # as `git log -- path`: the merge is TREESAME
    assert [p.number for p in added[0].get_pulls()] == [2]
    assert [p.number for p in repo.get_commit(merged).get_pulls()] == [2]
    seen = repo.get_pull(2)
    assert (seen.state, seen.merged, seen.merge_commit_sha) == ("closed", True, merged)
    fake.export_git(REPO, local, branch="main")
    assert git(local, "log", "--format=%s", "-1", "main").startswith(
        "Merge pull request #2 from acme/intake/joe"
    )
    assert git(local, "show", "main:interviews/2026/2026-11-21-joe.md") == "---\nid: x\n---\n"


# -- refusals ------------------------------------------------------------------------------------------
def test_bodies_that_fail_githubs_schema_are_refused_with_its_message(fake: FakeGitHub, gh: Github) -> None:
    with pytest.raises(GithubException) as missing:
        gh.requester.requestJsonAndCheck("POST", f"/repos/{REPO}/issues", input={"body": "no title"})
    assert missing.value.status == 422
    assert missing.value.data["message"] == 'Invalid request.\n\n"title" wasn\'t supplied.'
    assert (
        missing.value.data["documentation_url"]
        == "https://docs.github.com/rest/issues/issues#create-an-issue"
    )

    with pytest.raises(GithubException) as wrong_type:
        gh.requester.requestJsonAndCheck(
            "POST", f"/repos/{REPO}/issues", input={"title": "t", "labels": "bug"}
        )
    assert (
        wrong_type.value.data["message"]
        == "Invalid request.\n\nFor 'properties/labels', \"bug\" is not an array."
    )

    with pytest.raises(GithubException) as bad_enum:
        gh.requester.requestJsonAndCheck("PATCH", f"/repos/{REPO}/issues/1", input={"state": "done"})
    assert "is not a member of" in bad_enum.value.data["message"]
    assert raw(fake, "POST", f"/repos/{REPO}/issues", "{not json").status_code == 400
    assert (
        raw(fake, "POST", f"/repos/{REPO}/issues", "[1]").json()["message"] == "Body should be a JSON object"
    )
    assert fake.issues(REPO) == []


def test_titles_and_bodies_over_githubs_limits_are_refused(fake: FakeGitHub, repo: Any) -> None:
    with pytest.raises(GithubException) as long_title:
        repo.create_issue("x" * 257)
    assert long_title.value.status == 422
    assert long_title.value.data["errors"] == [
        {
            "resource": "Issue",
            "code": "custom",
            "field": "title",
            "message": "title is too long (maximum is 256 characters)",
        }
    ]
    repo.create_issue("x" * 256, body="y" * 65536)  # the limits themselves are fine
    with pytest.raises(GithubException) as long_body:
        repo.create_issue("ok", body="y" * 65537)
    assert long_body.value.data["errors"][0]["message"] == "body is too long (maximum is 65536 characters)"
    with pytest.raises(GithubException) as long_comment:
        repo.get_issue(1).create_comment("z" * 65537)
    assert long_comment.value.data["errors"][0]["message"] == "Body is too long (maximum is 65536 characters)"
    assert len(fake.issues(REPO)) == 1


def test_a_wrong_or_missing_token_gets_401(fake: FakeGitHub) -> None:
    with pytest.raises(github.BadCredentialsException):
        client(fake, token="ghs_wrong").get_repo(REPO)
    anonymous = raw(fake, "GET", f"/repos/{REPO}", token=None)
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "Requires authentication")
    bearer = requests.get(f"{fake.url}repos/{REPO}", headers={"Authorization": "Bearer ghs_test"}, timeout=5)
    assert bearer.status_code == 200


# -- faults --------------------------------------------------------------------------------------------
def test_429_with_retry_after_is_seen_by_the_client_and_nothing_is_made(fake: FakeGitHub, repo: Any) -> None:
    fake.inject(Fault.status(429, headers={"Retry-After": "3"}), match="POST /repos/*/issues")
    with pytest.raises(GithubException) as limited:
        repo.create_issue("Crash")
    assert (limited.value.status, headers(limited.value)["retry-after"]) == (429, "3")
    assert fake.issues(REPO) == []
    repo.create_issue("Crash")  # the fault was used up
    assert len(fake.issues(REPO)) == 1


def test_502_before_and_after_processing(fake: FakeGitHub, repo: Any) -> None:
    fake.inject(Fault.status(502), match="POST /repos/*/issues")
    with pytest.raises(GithubException) as before:
        repo.create_issue("First try")
    assert before.value.status == 502
    assert fake.issues(REPO) == []
    fake.inject(Fault.status(502), match="POST /repos/*/issues", after=True)
    with pytest.raises(GithubException):
        repo.create_issue("Second try")
    assert [i["title"] for i in fake.issues(REPO)] == ["Second try"]  # made, though the client saw a 502


def test_dropped_connections_before_and_after_processing(fake: FakeGitHub, repo: Any) -> None:
    fake.inject(Fault.drop(), match="POST /repos/*/issues")
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("Dropped before")
    assert fake.issues(REPO) == []
    fake.inject(Fault.drop(), match="POST /repos/*/issues", after=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        repo.create_issue("Dropped after")
    assert [i["title"] for i in fake.issues(REPO)] == ["Dropped after"]
    fake.inject(Fault.slow(0.05), match="GET /repos/*/issues/1")
    assert repo.get_issue(1).title == "Dropped after"


def test_rate_limit_headers_and_the_exhausted_403(fake: FakeGitHub, gh: Github) -> None:
    first = raw(fake, "GET", f"/repos/{REPO}")
    second = raw(fake, "GET", f"/repos/{REPO}")
    assert first.headers["x-ratelimit-limit"] == "1000"
    assert first.headers["x-ratelimit-resource"] == "core"
    assert int(second.headers["x-ratelimit-remaining"]) == int(first.headers["x-ratelimit-remaining"]) - 1
    assert int(second.headers["x-ratelimit-used"]) == 1000 - int(second.headers["x-ratelimit-remaining"])
    assert int(first.headers["x-ratelimit-reset"]) == int((T0 + timedelta(hours=1)).timestamp())
    repo = gh.get_repo(REPO)
    assert gh.rate_limiting == (997, 1000)  # PyGithub keeps the last response's headers

    reset = T0 + timedelta(minutes=30)
    fake.exhaust_rate_limit(reset_at=reset)
    with pytest.raises(github.RateLimitExceededException) as spent:
        repo.create_issue("Crash")
    assert spent.value.status == 403
    assert spent.value.data["message"] == "API rate limit exceeded for installation ID 1."
    assert headers(spent.value)["x-ratelimit-remaining"] == "0"
    assert headers(spent.value)["x-ratelimit-reset"] == str(int(reset.timestamp()))
    assert fake.issues(REPO) == []
    assert gh.get_rate_limit().resources.core.remaining == 0  # /rate_limit itself is free

    fake.set_time(reset)
    repo.create_issue("Crash")
    assert len(fake.issues(REPO)) == 1


def test_secondary_rate_limit(fake: FakeGitHub, repo: Any) -> None:
    fake.trigger_secondary_rate_limit(retry_after=60, match="POST *")
    with pytest.raises(github.RateLimitExceededException) as slowed:
        repo.create_issue("Crash")
    assert headers(slowed.value)["retry-after"] == "60"
    assert fake.issues(REPO) == []


# -- the schema file -----------------------------------------------------------------------------------
def test_request_schemas_say_where_they_come_from() -> None:
    copied = json.loads(SPEC_PATH.read_text())
    assert "@octokit/openapi 23.0.2" in copied["$comment"]
    assert "generated/api.github.com.json" in copied["$comment"]
    shared = Path("/work/shared/specs/github-rest-openapi.json")
    if not shared.exists():
        pytest.skip("the full OpenAPI description is not on this machine")
    import importlib.util

    spec = importlib.util.spec_from_file_location("extract_github", SPEC_PATH.with_name("extract_github.py"))
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.extract(json.loads(shared.read_text())) == copied  # regenerated file is up to date


def test_a_job_token_may_do_what_its_permissions_allow_and_nothing_else(fake: FakeGitHub) -> None:
    """As GitHub answers a job's GITHUB_TOKEN: 403 "Resource not accessible by integration", with
    the permissions that would have allowed it in X-Accepted-GitHub-Permissions."""
    token = fake.grant({"contents": "read", "issues": "write"})
    assert fake.permissions_of(token) == {"contents": "read", "issues": "write"}
    repo = client(fake, token).get_repo(REPO)  # metadata: every job token has it
    issue = repo.create_issue(title="Filed by a job", body="x")
    assert issue.number == 1
    with pytest.raises(GithubException) as refused:  # refused before the sha is even looked at
        repo.create_git_ref("refs/heads/x", "0" * 40)
    assert refused.value.status == 403
    assert refused.value.data["message"] == "Resource not accessible by integration"
    assert refused.value.headers["x-accepted-github-permissions"] == "contents=write"
    with pytest.raises(GithubException) as refused:
        list(repo.get_pulls(state="all"))
    assert refused.value.status == 403
    assert refused.value.headers["x-accepted-github-permissions"] == "pull_requests=read"

    none = fake.grant({})
    with pytest.raises(GithubException) as refused:
        client(fake, none).get_repo(REPO).get_issue(1)
    assert refused.value.headers["x-accepted-github-permissions"] == "issues=read"
    everything = client(fake, fake.grant("write-all")).get_repo(REPO)
    assert everything.get_issue(1).title == "Filed by a job"
