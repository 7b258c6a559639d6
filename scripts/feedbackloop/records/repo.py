"""Find and load every record of a repository: the only part of `records/` that touches files."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath

from feedbackloop.config import SETTINGS, Settings
from feedbackloop.errors import UsageError
from feedbackloop.records.model import Key, Record, Where
from feedbackloop.records.parse import Parsed, parse
from feedbackloop.records.problems import Problem
from feedbackloop.records.rules import check_across, check_record

# A link in a file's raw text: what is left of a file that cannot be read.
_LINK = re.compile(r"""https?://[^\s"'<>()\[\]{}]+""")


# What else a markdown file may be called: such a file in the interviews folder is a record nobody reads.
_MARKDOWN = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")


def is_record_file(path: Path) -> bool:
    """A markdown file that is not a README (a folder of interviews may explain itself in one)."""
    return path.suffix == ".md" and path.name.lower() != "readme.md" and path.is_file()


def is_misnamed(path: Path) -> bool:
    """A markdown file whose name does not end in `.md` (`.MD`, `.markdown`, …), README files aside."""
    return (
        path.suffix != ".md"
        and path.suffix.lower() in _MARKDOWN
        and path.stem.lower() != "readme"
        and path.is_file()
    )


def folder_files(folder: Path) -> list[Path]:
    """The record files under `folder`, and the misnamed ones to report, in a stable order: one walk."""
    return sorted(p for p in folder.rglob("*") if is_record_file(p) or is_misnamed(p))


def interview_folder_files(root: Path, settings: Settings) -> list[Path]:
    """Every interview and note file (README files aside), and the misnamed ones to report."""
    folder = root / settings.interviews_dir
    if not folder.is_dir():
        if settings.interviews_dir == SETTINGS["interviews_dir"].default and not folder.exists():
            return []  # a team with no interview yet
        # A folder the team named that is not there: "0 files checked" would pass every check.
        raise UsageError(
            f"[tool.feedbackloop] `interviews_dir` = {settings.interviews_dir!r}: the repository has no "
            "such folder, so no interview file would be read." + _folder_hint(root, settings.interviews_dir),
            "correct interviews_dir in [tool.feedbackloop] (pyproject.toml), or create the folder and "
            "commit a `.gitkeep` file in it (git keeps no empty folder)",
        )
    return folder_files(folder)


def _folder_hint(root: Path, name: str) -> str:
    """ "Did you mean …?" for a folder that is not there, among its would-be siblings."""
    wanted = PurePosixPath(name)
    parent = root / wanted.parent
    try:
        siblings = [p.name for p in parent.iterdir() if p.is_dir() and not p.name.startswith(".")]
    except OSError:
        return ""
    close = difflib.get_close_matches(wanted.name, siblings, n=1, cutoff=0.6)
    if not close:
        return ""
    return f" Did you mean `{(wanted.parent / close[0]).as_posix().removeprefix('./')}`?"


def relative(root: Path, path: Path) -> str:
    """`path` relative to the root, with forward slashes, as records and problems name files."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()


@dataclass
class Repository:
    """All records of a repository, and every problem found reading and checking them."""

    root: Path
    settings: Settings
    parsed: list[Parsed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    _texts: dict[str, str] | None = field(default=None, repr=False)

    @property
    def records(self) -> list[Record]:
        return [p.record for p in self.parsed if p.record is not None]

    def record(self, record_id: str) -> Record:
        for record in self.records:
            if record.id == record_id:
                return record
        broken = [p for p in self.parsed if p.record is None and record_id in p.path]
        if broken:
            raise UsageError(
                f"{broken[0].path} has problems, so {record_id} cannot be used",
                f"run `feedbackloop validate {broken[0].path}` and fix what it says",
            )
        raise UsageError(f"no interview has the id {record_id}", "run `feedbackloop status` to list them")

    def unreadable_texts(self) -> dict[str, str]:
        """The raw text of each file that could not be read, by path (empty when the system will not
        let it be read): such a file may still hold a person's history. Read again once, when asked."""
        if self._texts is None:
            self._texts = {}
            for parsed in self.parsed:
                if parsed.record is None:
                    try:
                        data = (self.root / parsed.path).read_bytes()
                    except OSError:
                        data = b""
                    self._texts[parsed.path] = data.decode("utf-8", errors="replace")
        return self._texts

    def unreadable_links(self) -> dict[str, frozenset[str]]:
        """The links in the raw text of each file that could not be read, by path: such a file may
        record a person's earlier reward, which the rewards must not miss."""
        return {
            path: frozenset(m.group().rstrip(".,;:") for m in _LINK.finditer(text))
            for path, text in self.unreadable_texts().items()
        }

    def locate(self, record: Record, key: Key) -> Where:
        """Where `key` is in `record`'s file, read again."""
        try:
            parsed = parse((self.root / record.path).read_bytes(), record.path)
        except OSError:
            return (1, 1)
        return parsed.positions.of(key) if parsed.positions else (1, 1)

    def active(self, include_examples: bool | None = None) -> list[Record]:
        """The records automation acts on: examples only when the settings or a flag say so."""
        examples = self.settings.include_examples if include_examples is None else include_examples
        return [r for r in self.records if examples or not r.example]


def load(root: Path, settings: Settings, today: date, files: Iterable[Path] | None = None) -> Repository:
    """Read and check every record; one bad file never stops the others."""
    repository = Repository(root, settings)
    max_bytes = settings.max_file_kib * 1024
    for path in interview_folder_files(root, settings) if files is None else files:
        name = relative(root, path)
        if is_misnamed(path):
            # Not read as a record (nothing would publish or remind about it), but reported, and its
            # text still searched where a person's history matters (`unreadable_links`).
            wanted = PurePosixPath(name).with_suffix(".md").as_posix()
            problem = Problem(
                name,
                1,
                1,
                "wrong-file-name",
                f"the file name ends in `{path.suffix}`: only `.md` files are interview files, so this one "
                "is not checked, published or reminded about",
                f"rename it: git mv {name} {wanted}",
            )
            repository.parsed.append(Parsed(name, None, [problem]))
            repository.problems.append(problem)
            continue
        try:
            data = path.read_bytes()
        except OSError as error:
            problem = Problem(
                name, 1, 1, "unreadable", f"cannot read the file: {error.strerror}", "check the path"
            )
            repository.parsed.append(Parsed(name, None, [problem]))
            repository.problems.append(problem)
            continue
        parsed = parse(data, name, max_bytes=max_bytes)
        repository.problems.extend(parsed.problems)
        if parsed.record is not None and parsed.positions is not None:
            repository.problems.extend(
                check_record(parsed.record, parsed.positions, parsed.text, settings, today)
            )
        # Keep the record, not its text and positions: they are re-read in the rare case they are needed.
        repository.parsed.append(Parsed(name, parsed.record, parsed.problems))
    repository.problems.extend(check_across(repository.records, repository.locate))
    return repository
