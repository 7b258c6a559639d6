"""Benchmark: `feedbackloop validate` on N generated interviews against a baseline that only reads the
same files and parses their frontmatter with PyYAML's C loader. Prints both times, the ratio and peak
memory. Target: ratio at most 2.0 at 10,000 files, peak memory under 150 MB.

    python benchmarks/validate.py [N]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import generate

BASELINE = """
import sys, pathlib, yaml
from frontmatter.default_handlers import YAMLHandler
handler = YAMLHandler()
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*.md")):
    text = path.read_text(encoding="utf-8")
    frontmatter, body = handler.split(text)
    yaml.load(frontmatter, Loader=yaml.CSafeLoader)
"""


def timed(args: list[str]) -> tuple[float, float]:
    """Wall time of a child process, and its peak resident memory in MB."""
    start = time.perf_counter()
    subprocess.run(args, check=False, capture_output=True)
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, peak_kb / 1024


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate(folder, count)
        # The baseline runs first: RUSAGE_CHILDREN's peak is the largest child so far.
        base_time, base_peak = timed([sys.executable, "-c", BASELINE, str(folder / "interviews")])
        ours_time, ours_peak = timed(
            [sys.executable, "-m", "feedbackloop", "validate", "--root", str(folder), "--today", "2026-11-28"]
        )
    ratio = ours_time / base_time
    print(f"files:                     {count}")
    print(f"baseline (read + CSafeLoader): {base_time:6.2f} s   peak {base_peak:6.1f} MB")
    print(f"feedbackloop validate:         {ours_time:6.2f} s   peak {ours_peak:6.1f} MB")
    print(f"ratio:                     {ratio:.2f}  (target <= 2.0; memory target < 150 MB)")


if __name__ == "__main__":
    main()
