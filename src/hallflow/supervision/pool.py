"""The bulk sweep split across worker processes: one hall's open cases, several cores.

A :class:`SweepPool` starts ``processes`` worker processes, each of which opens its own
:class:`~hallflow.cases.hall.Hall` on the same store once (``open_hall``, a picklable
callable: a module-level function or a :func:`functools.partial` of one) and keeps it
between sweeps, as a supervision service would. :meth:`SweepPool.sweep` cuts the store's
cases into ranges of nearly equal size
(:meth:`~hallflow.store.base.EventStore.split_cases`, a few per process so that a slower
share does not hold the others up) and has the workers sweep them
(:func:`hallflow.supervision.sweep.sweep` with ``after``/``until``); every case lies in
exactly one range, so each escalation is recorded once, and the reports are merged.

The processes are started with ``forkserver`` by default: a clean process forked from a
server that has imported nothing of the parent's, which is safe in a parent that runs
threads (``fork`` is not: a lock another thread held at the fork stays locked in the
child). The store must be one that several processes may open at once (SQLite in WAL mode,
as :class:`~hallflow.store.SQLiteStore` is; not :class:`~hallflow.store.MemoryStore`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hallflow.cases.commands import check_instant
from hallflow.cases.supervision import SweepReport
from hallflow.errors import CommandInputError, HallflowError
from hallflow.supervision.sweep import CHUNK, sweep

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["PARTS_PER_PROCESS", "RESTARTS", "SweepPool", "SweepPoolError"]

PARTS_PER_PROCESS = 4
"""Ranges per worker process in a sweep."""

RESTARTS = 3
"""How many times one sweep starts the workers again after one of them died."""

_START_METHODS = ("forkserver", "spawn", "fork")


class SweepPoolError(HallflowError):
    """A worker process of a :class:`SweepPool` could not open its hall, or died."""


_hall: Hall | None = None
"""The worker process's hall (set by :func:`_open`)."""


_barrier: Any = None
"""Where the first tasks wait for each other, so that each process runs one."""


_failed: str | None = None
"""Why this worker could not open its hall."""


def _open(open_hall: Callable[[], Hall], barrier: Any) -> None:
    global _hall, _barrier, _failed
    _barrier = barrier
    try:
        _hall = open_hall()
    except Exception as exc:  # reported by the first task, not lost in the child's stderr
        _failed = f"{type(exc).__name__}: {exc}"


def _worker_hall() -> Hall:
    if _hall is None:
        raise SweepPoolError(f"a worker process could not open its hall: {_failed}")
    return _hall


def _ready() -> tuple[int, int]:
    if _hall is None:
        _barrier.abort()  # the others stop waiting
        _worker_hall()
    _barrier.wait()  # held until every process runs one of these: one each
    return os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _split(parts: int) -> list[str]:
    return _worker_hall().store.split_cases(parts)


def _sweep_part(
    at: dt.datetime, after: str | None, until: str | None, chunk: int
) -> tuple[SweepReport, int, int, float]:
    cpu = time.process_time()
    report = sweep(_worker_hall(), at, chunk=chunk, after=after, until=until)
    used = time.process_time() - cpu
    return report, os.getpid(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, used


class SweepPool:
    """Worker processes that sweep one hall's open cases together (see the module docstring).

    Use it as a context manager; it is started on construction (the workers' halls are open
    once ``SweepPool(...)`` returns) and stopped by :meth:`close`.

    Args:
        open_hall: called once in each worker process to open its hall on the shared store;
            must be picklable (a module-level function, or a :func:`functools.partial` of
            one).
        processes: how many worker processes (at least 1).
        start_method: ``"forkserver"`` (the default), ``"spawn"`` or ``"fork"`` (see the
            module docstring).
        parts_per_process: ranges per process in each sweep.
        chunk: case rows each worker reads at a time.
        timeout: seconds to wait for every worker to have opened its hall.

    Raises:
        CommandInputError: an argument of the wrong type or out of range.
        SweepPoolError: a worker could not open its hall (the error says why).
    """

    def __init__(
        self,
        open_hall: Callable[[], Hall],
        processes: int = 2,
        *,
        start_method: str = "forkserver",
        parts_per_process: int = PARTS_PER_PROCESS,
        chunk: int = CHUNK,
        timeout: float = 120.0,
    ) -> None:
        if not callable(open_hall):
            raise CommandInputError("SweepPool.open_hall", "must be callable", open_hall)
        for name, value in (
            ("processes", processes),
            ("parts_per_process", parts_per_process),
            ("chunk", chunk),
        ):
            if type(value) is not int or value < 1:
                raise CommandInputError(f"SweepPool.{name}", "must be an int of at least 1", value)
        if start_method not in _START_METHODS:
            raise CommandInputError(
                "SweepPool.start_method", f"must be one of {list(_START_METHODS)}", start_method
            )
        if type(timeout) not in (int, float) or not 0 < timeout < float("inf"):
            raise CommandInputError("SweepPool.timeout", "must be a positive number", timeout)
        self.processes = processes
        self._parts = processes * parts_per_process
        self._chunk = chunk
        self._open_hall = open_hall
        self._context = multiprocessing.get_context(start_method)
        self._timeout = float(timeout)
        self.memory_kib: dict[int, int] = {}
        """The peak resident memory of each worker process (KiB, by pid), as last reported."""
        self.cpu_seconds = 0.0
        """The CPU time the workers spent in the last sweep, in all."""
        self.restarts = 0
        """How many times the workers were started again after one of them died."""
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        """Start the workers; return once each has opened its hall."""
        barrier = self._context.Barrier(self.processes, timeout=self._timeout)
        executor = ProcessPoolExecutor(
            self.processes,
            mp_context=self._context,
            initializer=_open,
            initargs=(self._open_hall, barrier),
        )
        try:
            # each of these waits at the barrier until all have started, so they run one
            # per process: once they return, every process has opened its hall
            ready = [executor.submit(_ready) for _ in range(self.processes)]
            wait(ready, timeout=self._timeout)
            for future in ready:  # a worker's own reason first, then any other failure
                if future.done() and isinstance(future.exception(), SweepPoolError):
                    future.result()
            for future in ready:
                pid, kib = future.result(timeout=self._timeout)
                self.memory_kib[pid] = kib
        except BaseException as exc:
            executor.shutdown(wait=False, cancel_futures=True)
            if isinstance(exc, HallflowError):
                raise
            raise SweepPoolError(
                f"the sweep pool's workers did not all open their halls: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return executor

    def _restart(self) -> None:
        """A worker died: stop what is left of the pool and start it again."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.restarts += 1
        self._executor = self._start()

    def sweep(self, at: dt.datetime) -> SweepReport:
        """Sweep every open case at ``at``, the ranges shared among the workers.

        A worker that dies mid-sweep (killed, out of memory) loses nothing the others did,
        and nothing of its own is half-done: each batch of escalations is one transaction,
        and what it committed before it died is acknowledged by the next look at those
        cases. The pool is started again and the ranges that did not finish are swept again
        (up to :data:`RESTARTS` times in one sweep): the dead worker's share is taken over,
        each escalation still recorded once.

        Returns:
            The merged report: every escalation recorded, every case that failed, and the
            counts of cases read and folded. (Escalations that a worker committed before it
            died are in the store, but not in the report: its answer died with it.)

        Raises:
            CommandInputError: ``at`` is not an aware instant.
            SweepPoolError: workers died more than :data:`RESTARTS` times, or a range
                failed as a whole (its store failed); what was recorded stands (a sweep is
                idempotent: sweep again).
        """
        when = check_instant("sweep.at", at)
        report = SweepReport()
        self.cpu_seconds = 0.0
        bounds: list[str | None] | None = None
        pending: list[tuple[str | None, str | None]] = []
        for attempt in range(RESTARTS + 1):
            if attempt:
                self._restart()
            try:
                if bounds is None:
                    cuts = self._executor.submit(_split, self._parts).result()
                    bounds = [None, *cuts, None]
                    pending = list(itertools.pairwise(bounds))
                futures = {
                    rng: self._executor.submit(_sweep_part, when, rng[0], rng[1], self._chunk)
                    for rng in pending
                }
            except BrokenProcessPool:
                continue
            for rng, future in futures.items():
                try:
                    part, pid, kib, used = future.result()
                except BrokenProcessPool:
                    continue  # a worker died: this range is swept again
                except HallflowError:
                    raise
                except Exception as exc:  # could not pickle, or the like
                    raise SweepPoolError(
                        f"the sweep failed in a worker: {type(exc).__name__}: {exc}"
                    ) from exc
                pending.remove(rng)
                self.cpu_seconds += used
                report.extend(part)
                report.failures.extend(part.failures)
                report.swept += part.swept
                report.folded += part.folded
                self.memory_kib[pid] = max(self.memory_kib.get(pid, 0), kib)
            if bounds is not None and not pending:
                return report
        raise SweepPoolError(
            f"the sweep pool's workers died {RESTARTS + 1} times in one sweep; "
            f"{len(pending) if bounds is not None else 'all'} ranges were not swept"
        )

    def close(self) -> None:
        """Stop the worker processes (after the sweep under way, if any)."""
        self._executor.shutdown(wait=True)

    def __enter__(self) -> Self:
        """Return the pool."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the workers."""
        self.close()
