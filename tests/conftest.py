"""Shared fixtures: real-model pipeline runs over the seeds and the demo corpus (run once per session)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from chronique.app.report import build_report
from chronique.pipeline import Pipeline
from chronique.store import Store

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"
EXAMPLES = ROOT / "examples" / "news"
EXPECTED = ROOT / "examples" / "news.expected.json"


def seed_name(source: str) -> str:
    """'…/003_d9b1….txt' -> '003'."""
    return Path(source).name[:3]


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    if not SEEDS.is_dir():
        pytest.fail(f"expected the seed articles at {SEEDS} (../shared beside the repository)")
    return SEEDS


def _run(paths: list[Path], db: Path) -> dict:
    store = Store(db)
    result = Pipeline(store).run(paths)
    report = build_report(store)
    report["_result"] = result
    report["_store"] = store
    return report


@pytest.fixture(scope="session")
def seeds_report(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run([seeds_dir], tmp_path_factory.mktemp("seeds") / "c.db")


@pytest.fixture(scope="session")
def seeds_nometa_report(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("nometa")
    for f in seeds_dir.glob("0*.txt"):
        shutil.copy(f, folder / f.name)
    return _run([folder], folder / "c.db")


@pytest.fixture(scope="session")
def examples_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return _run([EXAMPLES], tmp_path_factory.mktemp("examples") / "c.db")


@pytest.fixture(scope="session")
def expected() -> dict:
    return json.loads(EXPECTED.read_text("utf-8"))
