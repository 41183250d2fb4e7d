"""The engine seam: the analysis runs here or on Ray workers, and the store holds the same content either way."""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import sys
from pathlib import Path

import pytest

import chronique.pipeline as pipeline_module
from chronique.engine import LocalEngine, RayEngine, get_engine
from chronique.errors import ConfigError
from chronique.pipeline import Pipeline
from chronique.records import RawDocument, content_id
from chronique.store import Store

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "news"
GIVEME = ROOT.parent / "shared" / "data" / "news-events" / "giveme5w1h_news_cluster.jsonl"
_CLOCK_COLUMNS = {"added_at", "at", "applied_at"}  # when a row was written: the only columns two runs may disagree on


def store_content(path: Path) -> dict[str, list[tuple]]:
    """Every table of a store (full-text index aside), rows sorted, write times left out."""
    db = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'articles_fts%' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        out = {}
        for name in sorted(tables):
            cols = [row[1] for row in db.execute(f"PRAGMA table_info({name})") if row[1] not in _CLOCK_COLUMNS]
            out[name] = sorted(db.execute(f"SELECT {','.join(cols)} FROM {name}").fetchall(), key=repr)
        return out
    finally:
        db.close()


def assert_same_content(a: Path, b: Path) -> None:
    """Assert two stores hold the same rows, naming the first table that differs."""
    left, right = store_content(a), store_content(b)
    assert sorted(left) == sorted(right)
    for table in left:
        assert left[table] == right[table], f"table {table} differs"


# --- the seam, in this process ---------------------------------------------------------------


def test_local_engine_maps_in_order() -> None:
    engine = get_engine("local")
    assert isinstance(engine, LocalEngine) and engine.lookahead == 1
    assert list(engine.map(lambda x: x * 2, [3, 1, 2])) == [6, 2, 4]


def test_unknown_engine_and_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="engine name"):
        get_engine("spark")
    if importlib.util.find_spec("ray") is not None:
        with pytest.raises(ConfigError, match="workers"):
            get_engine("ray", workers=0)


def test_missing_ray_says_to_install_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(ConfigError, match=r"\.\[ray\]"):
        get_engine("ray")
    with pytest.raises(ConfigError, match=r"\.\[ray\]"):
        Pipeline(Store(":memory:"), embedder="hashing", engine="ray")


def test_cli_engine_options_are_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from chronique.cli import app

    db = ["--db", str(tmp_path / "c.db")]
    res = CliRunner().invoke(app, ["run", str(EXAMPLES), *db, "--engine", "spark"])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["run", str(EXAMPLES), *db, "--workers", "2"])
    assert res.exit_code == 2 and "--engine ray" in res.output
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    res = CliRunner().invoke(app, ["run", str(EXAMPLES), *db, "--engine", "ray", "--embedder", "hashing"])
    assert res.exit_code == 2 and "ray" in res.output
    assert not (tmp_path / "c.db").exists()  # refused before anything was read or written


class _Ahead(LocalEngine):
    """The local engine, preparing three batches before storing the first (as the Ray engine does)."""

    lookahead = 3


def _doc(source: str, text: str) -> RawDocument:
    return RawDocument(content_id(text), source, text, "text", title=text.split(".")[0])


def _texts() -> dict[str, str]:
    words = (
        "Le conseil municipal de Lyon a voté mardi un budget de 42 millions d'euros pour la rénovation des écoles "
        "du troisième arrondissement, après un débat de quatre heures entre la majorité et l'opposition. "
        "Grégory Doucet a défendu un plan sur cinq ans, que l'opposition juge trop coûteux pour la ville."
    )
    return {
        "a": "La Banque centrale européenne a relevé ses taux jeudi à Francfort, une décision attendue par les marchés.",
        "boom": words,
        "c": "Le Parlement européen a adopté à Strasbourg une directive sur le devoir de vigilance des entreprises.",
        "near": words + " Le vote final aura lieu en juin.",
        "d": "Des inondations ont frappé le sud de l'Allemagne ce week-end, forçant l'évacuation de plusieurs villages.",
    }


def test_a_failed_analysis_undoes_the_batches_prepared_after_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An original whose analysis fails is not stored: batches prepared ahead took it as stored and are redone."""
    real = pipeline_module.date_articles

    def dates_failing_on_boom(articles):
        if any(a.source == "boom.txt" for a in articles):
            raise ValueError("broken on purpose")
        return real(articles)

    monkeypatch.setattr(pipeline_module, "date_articles", dates_failing_on_boom)
    t = _texts()
    # batch 2 repeats the failed text under another name (new: it was never stored); batch 3 holds a near-copy of it
    docs = [_doc("a.txt", t["a"]), _doc("boom.txt", t["boom"]), _doc("again.txt", t["boom"]), _doc("c.txt", t["c"])]
    docs += [_doc("near.txt", t["near"]), _doc("d.txt", t["d"])]
    stores = {}
    for name, engine in (("one", LocalEngine()), ("ahead", _Ahead())):
        stores[name] = tmp_path / f"{name}.db"
        result = Pipeline(Store(stores[name]), embedder="hashing", batch_size=2, engine=engine).run_documents(docs)
        assert [f.source for f in result.failures] == ["boom.txt"]
        assert result.added == 5 and result.duplicates == 1
    assert_same_content(stores["one"], stores["ahead"])
    # taken as stored, "again" would have been skipped and "near" reported as the copy of a failed original
    db = sqlite3.connect(stores["ahead"])
    copy_of = dict(db.execute("SELECT source, duplicate_of FROM articles").fetchall())
    db.close()
    assert copy_of["again.txt"] is None and copy_of["near.txt"] == content_id(t["boom"])


def test_local_pipeline_closes_only_what_it_started(tmp_path: Path) -> None:
    closed = []

    class _Counting(LocalEngine):
        def close(self) -> None:
            closed.append(True)

    Pipeline(Store(tmp_path / "a.db"), embedder="hashing", engine=_Counting()).close()
    assert closed == []  # the caller's engine stays open for the caller to close


# --- the same runs on a local Ray --------------------------------------------------------------


def _worker_pid(_: object) -> int:
    return os.getpid()


@pytest.fixture(scope="module")
def ray_engine():
    """A local Ray of two one-CPU workers on 127.0.0.1, two batches a dataset (so a run makes several)."""
    if importlib.util.find_spec("ray") is None:
        pytest.fail('expected ray to be installed (pip install -e ".[ray]", in requirements-test.lock)')
    engine = RayEngine(workers=2, cpus_per_worker=1, lookahead=2, object_store_mb=256)
    engine.start()
    import ray.cloudpickle

    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module
    yield engine
    engine.close()


def _run_both(tmp_path: Path, engine: RayEngine, run) -> tuple[Path, Path]:
    paths = tmp_path / "local.db", tmp_path / "ray.db"
    results = []
    for path, eng in zip(paths, (LocalEngine(), engine), strict=True):
        pipe = Pipeline(Store(path), embedder="hashing", batch_size=8, engine=eng)
        results.append(run(pipe))
    local, ray = results
    assert (ray.added, ray.duplicates, ray.events, ray.stories, ray.skipped) == (
        local.added,
        local.duplicates,
        local.events,
        local.stories,
        local.skipped,
    )
    return paths


@pytest.mark.slow
def test_ray_engine_stores_what_the_local_engine_stores_on_the_demo(tmp_path: Path, ray_engine: RayEngine) -> None:
    pids = set(ray_engine.map(_worker_pid, list(range(4))))
    assert pids and os.getpid() not in pids  # the stage really runs in other processes
    local, ray = _run_both(tmp_path, ray_engine, lambda pipe: pipe.run([EXAMPLES]))
    content = store_content(ray)
    assert len(content["articles"]) >= 30 and content["events"] and content["mentions"]
    assert_same_content(local, ray)


@pytest.mark.slow
def test_ray_engine_stores_what_the_local_engine_stores_on_a_development_set(tmp_path: Path, ray_engine: RayEngine) -> None:
    if not GIVEME.is_file():
        pytest.skip(f"no development set at {GIVEME} (../shared beside the repository)")
    from chronique.eval import news_documents, read_news_events

    docs = news_documents(read_news_events(GIVEME, limit=60), dates=True)
    local, ray = _run_both(tmp_path, ray_engine, lambda pipe: pipe.run_documents(docs))
    assert len(store_content(ray)["articles"]) >= 40  # 60 inputs, some of them one text under two ids
    assert_same_content(local, ray)
