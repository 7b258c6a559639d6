"""Fixtures shared by the command tests. The helpers themselves live in modules tests import by name
(helpers_repo.py, helpers_publish.py); here they only become fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers_publish import World, world_at


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A team's repository (three records to publish, one scheduled call) checked out from FakeGitHub,
    with FakeSlack and FakeGoogleDocs ready, and the environment of the workflow's publish step."""
    with world_at(tmp_path) as made:
        yield made
