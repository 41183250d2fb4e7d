"""Where the stateless analysis of a batch runs: in this process, or on the workers of a Ray cluster.

An :class:`Engine` maps a picklable stage over a list of items and yields the results in input order.
:class:`LocalEngine` calls the stage here, one item after the other (what a run always did);
:class:`RayEngine` hands the items to Ray Data (``map_batches``, one item a batch) on a local Ray it starts,
or on an existing cluster. What the pipeline sends there, and what it keeps on the driver, is said in
:mod:`chronique.pipeline`.

Engines are registered by name, like embedders::

    >>> get_engine("local").name
    'local'
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

from .errors import ConfigError

__all__ = ["ENGINES", "Engine", "LocalEngine", "RayEngine", "get_engine", "register_engine"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger("chronique")


class Engine(Protocol):
    """Runs a stage over items, somewhere, and gives the results back in input order.

    Attributes:
        name: the registered name.
        lookahead: how many pipeline batches the driver prepares before it stores the first of them
            (1: one batch at a time, as a run without an engine did).
    """

    name: str
    lookahead: int

    def map(self, stage: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``stage(item)`` for each item, in the order of ``items``."""
        ...

    def close(self) -> None:
        """Release what the engine started (idempotent)."""
        ...

    def __enter__(self) -> Engine:
        """Use the engine in a ``with`` block, which closes it."""
        ...

    def __exit__(self, *exc: object) -> None:
        """Close the engine."""
        ...


ENGINES: dict[str, Callable[..., Engine]] = {}


def register_engine(name: str) -> Callable[[Callable[..., Engine]], Callable[..., Engine]]:
    """Register an engine factory under ``name`` (a decorator)."""

    def wrap(factory: Callable[..., Engine]) -> Callable[..., Engine]:
        ENGINES[name] = factory
        return factory

    return wrap


def get_engine(name: str, **options: Any) -> Engine:
    """Build the engine registered as ``name``.

    Args:
        name: ``local`` or ``ray``.
        **options: passed to the factory (``address=``, ``workers=``, ``cpus_per_worker=`` for ray).

    Returns:
        The engine; a Ray engine connects on its first :meth:`~Engine.map`, not here.

    Raises:
        ConfigError: no engine has that name, an option is out of range, or ray is not installed.
    """
    if name not in ENGINES:
        raise ConfigError(f"expected an engine name among {sorted(ENGINES)}, got {name!r}")
    return ENGINES[name](**options)


@register_engine("local")
class LocalEngine:
    """The stage runs in this process, item after item."""

    name, lookahead = "local", 1

    def map(self, stage: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``stage(item)`` for each item, computed here as it is asked for."""
        return (stage(item) for item in items)

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> LocalEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _apply(batch: Any, stage: Callable[[Any], Any]) -> Any:
    """Ray Data's batch function: unpickle each item, run the stage, pickle its result.

    Items travel as pickled bytes, not as Arrow rows: articles are nested Python records that Arrow
    would convert (and convert back) at every hop, where one pickle per batch round-trips them exactly.
    The models the stage needs are cached per worker process (see :func:`chronique.pipeline.analysis_models`),
    so a worker loads them once for the whole run, whatever the number of datasets.
    """
    import pyarrow as pa  # Ray Data's own dependency: only its workers get here

    out = [pickle.dumps(stage(pickle.loads(p)), protocol=pickle.HIGHEST_PROTOCOL) for p in batch.column("payload").to_pylist()]
    return pa.table({"payload": pa.array(out, pa.large_binary())})


@register_engine("ray")
class RayEngine:
    """The stage runs on Ray workers through Ray Data, results in input order.

    Without ``address`` a local Ray is started on 127.0.0.1 at the first :meth:`map` (no dashboard,
    ``workers * cpus_per_worker`` CPUs, a small object store, worker logs kept off the terminal) and
    stopped by :meth:`close`. With one (``auto``, ``ray://host:10001``, ``host:6379``) the driver joins
    that cluster, whose nodes must have chronique and its models installed.

    Args:
        address: the cluster to join; None starts a local one.
        workers: how many stage tasks run at once.
        cpus_per_worker: CPUs Ray reserves for each task (the models' threads follow it).
        lookahead: pipeline batches prepared per Ray dataset (default: four per worker), so that every
            worker has batches to analyse while the driver stores the results in order.
        object_store_mb: the object store of a local Ray.

    Raises:
        ConfigError: ray is not installed, or an option is out of range.
    """

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        workers: int = 2,
        cpus_per_worker: float = 1.0,
        lookahead: int | None = None,
        object_store_mb: int = 512,
    ) -> None:
        if importlib.util.find_spec("ray") is None:
            raise ConfigError('expected the ray extra for --engine ray, got no ray module: pip install -e ".[ray]" (or "ray[data]>=2.9")')
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ConfigError(f"expected a positive whole number of workers, got {workers!r}")
        if not cpus_per_worker > 0:
            raise ConfigError(f"expected a positive number of CPUs per worker, got {cpus_per_worker!r}")
        if lookahead is not None and lookahead < 1:
            raise ConfigError(f"expected a positive lookahead (batches), got {lookahead!r}")
        self.address = address or None
        self.workers = workers
        self.cpus_per_worker = cpus_per_worker
        self.lookahead = lookahead or 4 * workers
        self.object_store_mb = object_store_mb
        self._started = False

    def start(self) -> None:
        """Start the local Ray, or join the cluster (done by the first :meth:`map` otherwise).

        Raises:
            ConfigError: the cluster at ``address`` cannot be joined.
        """
        if self._started:
            return
        if self.address is None:
            # Ray otherwise swaps 127.0.0.1 for the machine's network address (to be reachable by other
            # nodes); a local Ray has no other node. Read when ray is first imported.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        import ray

        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if self.address is None:
            cpus = max(1, round(self.workers * self.cpus_per_worker))
            options |= {"num_cpus": cpus, "object_store_memory": self.object_store_mb * 2**20, "_node_ip_address": "127.0.0.1"}
        try:
            ray.init(address=self.address, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = self.address or "a local Ray on 127.0.0.1"
            raise ConfigError(f"expected a Ray cluster to join at {where}, got: {exc}") from None
        self._started = True
        import ray.data  # configures Ray Data's loggers, which are quietened below

        for name in ("ray", "ray.data"):  # Ray Data logs each dataset's plan at INFO: chronique's own output stays readable
            logging.getLogger(name).setLevel(logging.ERROR)
        ctx = ray.data.DataContext.get_current()
        ctx.execution_options.preserve_order = True  # the driver stores results in input order, as the local engine does
        ctx.enable_progress_bars = False
        if hasattr(ctx, "print_on_execution_start"):
            ctx.print_on_execution_start = False
        log.info("ray engine: %s, %d workers of %s CPU", self.address or "local", self.workers, self.cpus_per_worker)

    def map(self, stage: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """Yield ``stage(item)`` for each item, computed on the workers (one item a Ray Data batch)."""
        if not items:
            return iter(())
        self.start()
        import ray

        rows = [{"payload": pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)} for item in items]
        if hasattr(ray.data, "TaskPoolStrategy"):  # Ray >= 2.51 (``concurrency`` is deprecated there)
            pool: dict[str, Any] = {"compute": ray.data.TaskPoolStrategy(size=self.workers)}
        else:
            pool = {"concurrency": self.workers}
        ds = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
            _apply,
            fn_kwargs={"stage": stage},
            batch_size=1,  # one pipeline batch per call: the models see the batches the local engine gives them
            batch_format="pyarrow",  # bytes stay bytes (numpy would make them fixed-width)
            num_cpus=self.cpus_per_worker,
            **pool,
        )
        return self._results(ds)

    @staticmethod
    def _results(ds: Any) -> Iterator[Any]:
        """The unpickled results of a dataset, in input order (Ray Data's warnings about small inputs silenced)."""
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*operator only received.*", category=UserWarning)
            for row in ds.iter_rows():
                yield pickle.loads(row["payload"])

    def close(self) -> None:
        """Stop the local Ray, or leave the cluster."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def __enter__(self) -> RayEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
