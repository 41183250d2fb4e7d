"""Print the bad-input table: each hostile kind of ``tests/test_hostile.py`` and the reason a run gives for it.

Each kind is written beside one good article in a fresh folder and read by the cheap stages of a run
(ingest, cleaning, the empty-text check), as the test does; the table is Markdown, one row a kind, with
the seconds each took. Kinds that need an unprivileged reader run in a forked child when this runs as root.

Usage::

    python benchmarks/hostile_table.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_hostile import GOOD_ID, KINDS, run_kind


def main() -> int:
    """Run every kind and print the table; return 1 if a kind did not give exactly one failure."""
    print("| kind | input | reason | good article stored | s |")
    print("|---|---|---|---|---|")
    bad = 0
    for kind in KINDS:
        with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
            os.chmod(tmp, 0o755)
            start = time.perf_counter()
            try:
                _, docs, failures = run_kind(kind, Path(tmp))
            except BaseException as exc:  # pytest.skip (no root to make a device) is a BaseException
                print(f"| {kind.name} | | not run: {type(exc).__name__} {exc} | | |")
                continue
            finally:
                _unlock(Path(tmp))
            took = time.perf_counter() - start
        reason = "; ".join(f.reason for f in failures).replace("|", "\\|")
        names = ", ".join(sorted({Path(f.source).name for f in failures}))
        bad += len(failures) != 1
        print(f"| {kind.name} | {names} | {reason} | {[d.id for d in docs].count(GOOD_ID)}x | {took:.2f} |")
    print(f"\n{len(KINDS)} kinds, {bad} without exactly one failure")
    return 1 if bad else 0


def _unlock(folder: Path) -> None:
    """Give back the rights a kind took away, so that the folder can be removed."""
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            if not os.path.islink(path):
                os.chmod(path, 0o700)


if __name__ == "__main__":
    raise SystemExit(main())
