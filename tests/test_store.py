"""The store: named migrations recorded in the store, applied once, no SQL outside ``chronique/store``, and the
interface the pipeline is written against."""

from __future__ import annotations

import inspect
import re
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from chronique.errors import StoreError
from chronique.store import CorpusStore, Store
from chronique.store.sqlite._schema import MIGRATIONS, migrate

PACKAGE = Path(__file__).resolve().parents[1] / "chronique"


def _applied(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        return [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]


def test_a_new_store_records_every_migration_by_name_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    names = _applied(path)
    every = [m.name for m in MIGRATIONS.pending(Database(memory=True))]  # all of them, for an empty database
    assert names == every and names[0] == "0001_tables"
    reopened = Store(path)
    assert migrate(reopened.db) == []  # nothing pending: opening an up-to-date store writes nothing
    assert _applied(path) == names


def test_a_store_from_before_recorded_migrations_is_brought_up_to_date(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(path).close()
    with sqlite3.connect(path) as db:  # the layout of an early version: no interaction column, no record of migrations
        db.execute("ALTER TABLE representations DROP COLUMN interaction")
        db.execute("DROP TABLE _sqlite_migrations")
    store = Store(path)
    assert "interaction" in {r[1] for r in store.db.execute("PRAGMA table_info(representations)")}
    assert "0004_representations_interaction" in _applied(path)


def test_a_failing_migration_leaves_the_store_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with sqlite3.connect(path) as db:  # a table in the way of the first migration's index, with another shape
        db.execute("CREATE TABLE mentions (x)")
    with pytest.raises(StoreError, match="expected a chronique SQLite database"):
        Store(path)
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["mentions"]


def test_another_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    with pytest.raises(StoreError, match="expected schema version 1, got 99"):
        Store(path)


def test_no_module_outside_the_store_runs_sql() -> None:
    statement = re.compile(r"\.(execute|executemany|executescript)\(")
    outside = [
        str(p.relative_to(PACKAGE))
        for p in sorted(PACKAGE.rglob("*.py"))
        if "store" not in p.relative_to(PACKAGE).parts and statement.search(p.read_text("utf-8"))
    ]
    assert outside == []


def _protocol_methods(protocol: type) -> set[str]:
    return {
        n
        for k in protocol.__mro__
        if k.__module__ == "chronique.store._interface"
        for n, v in vars(k).items()
        if inspect.isfunction(v) and not n.startswith("_")
    }


def test_the_sqlite_store_implements_the_interface_with_the_same_parameters(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    assert isinstance(store, CorpusStore)
    methods = _protocol_methods(CorpusStore)
    assert {"add_articles", "update_grouping", "exclusive", "withdraw"} <= methods
    for name in sorted(methods):
        declared = inspect.signature(getattr(CorpusStore, name)).parameters
        implemented = inspect.signature(getattr(Store, name)).parameters
        assert [(p.name, p.default) for p in implemented.values()] == [(p.name, p.default) for p in declared.values()], name


def test_the_pipeline_calls_only_what_the_interface_declares() -> None:
    methods = _protocol_methods(CorpusStore)
    for rel in ("pipeline.py", "events/placement.py", "app/watch.py"):
        called = set(re.findall(r"\bstore\.([a-z_]+)\(", (PACKAGE / rel).read_text(encoding="utf-8")))
        assert called and called <= methods, (rel, sorted(called - methods))


def test_withdraw_waits_for_the_writer_lock_and_may_be_called_under_it(tmp_path: Path) -> None:
    import fcntl
    import threading

    path = tmp_path / "s.db"
    store = Store(path)
    with store.exclusive():  # taken again by its holder: no deadlock
        store.withdraw(["absent"])
    # another holder (a placing process) has the lock: a withdrawal waits for it
    done = threading.Event()
    with open(str(path) + ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: (Store(path).withdraw(["absent"]), done.set()))
        worker.start()
        assert not done.wait(0.5)
        fcntl.flock(fh, fcntl.LOCK_UN)
    worker.join(10)
    assert done.is_set()


def _open_store(path: str, barrier, errors) -> None:
    barrier.wait()
    try:
        Store(path).close()
    except StoreError as exc:
        errors.put(str(exc))


def test_processes_creating_one_store_at_once_all_open_it(tmp_path: Path) -> None:
    import multiprocessing

    fork = multiprocessing.get_context("fork")  # the test's modules already imported: a start costs milliseconds
    errors = fork.Queue()
    for trial in range(40):  # without the lock on the switch to WAL, 3 runs of 3 failed (about 1 trial in 20)
        barrier = fork.Barrier(6)
        procs = [fork.Process(target=_open_store, args=(str(tmp_path / f"{trial}.db"), barrier, errors)) for _ in range(6)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
        assert all(p.exitcode == 0 for p in procs)
    assert errors.empty(), errors.get()


def test_an_event_left_empty_before_withdrawals_marked_events_is_marked_stale(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    Store(path).close()
    with sqlite3.connect(path) as db:  # an event a withdrawal of an earlier version emptied, unmarked
        db.execute("INSERT INTO events VALUES ('ev-empty', 'h', NULL, '', '', '[]', NULL)")
        db.execute("DELETE FROM _sqlite_migrations WHERE name = '0008_stale_empty_events'")
    assert Store(path).stale_events() == {"ev-empty"}  # the next placement removes it
