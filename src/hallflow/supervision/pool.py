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
import multiprocessing
import os
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from hallflow.cases.commands import check_instant
from hallflow.cases.supervision import SweepReport
from hallflow.errors import CommandInputError, HallflowError
from hallflow.supervision.sweep import CHUNK, sweep

if TYPE_CHECKING:
    from hallflow.cases.hall import Hall

__all__ = ["PARTS_PER_PROCESS", "SweepPool", "SweepPoolError"]

PARTS_PER_PROCESS = 4
"""Ranges per worker process in a sweep."""

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
        context = multiprocessing.get_context(start_method)
        barrier = context.Barrier(processes, timeout=timeout)
        self._executor = ProcessPoolExecutor(
            processes, mp_context=context, initializer=_open, initargs=(open_hall, barrier)
        )
        self.memory_kib: dict[int, int] = {}
        """The peak resident memory of each worker process (KiB, by pid), as last reported."""
        self.cpu_seconds = 0.0
        """The CPU time the workers spent in the last sweep, in all."""
        try:
            # each of these waits at the barrier until all have started, so they run one
            # per process: once they return, every process has opened its hall
            ready = [self._executor.submit(_ready) for _ in range(processes)]
            wait(ready, timeout=timeout)
            for future in ready:  # a worker's own reason first, then any other failure
                if future.done() and isinstance(future.exception(), SweepPoolError):
                    future.result()
            for future in ready:
                pid, kib = future.result(timeout=timeout)
                self.memory_kib[pid] = kib
        except BaseException as exc:
            self._executor.shutdown(wait=False, cancel_futures=True)
            if isinstance(exc, HallflowError):
                raise
            raise SweepPoolError(
                f"the sweep pool's workers did not all open their halls: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def sweep(self, at: dt.datetime) -> SweepReport:
        """Sweep every open case at ``at``, the ranges shared among the workers.

        Returns:
            The merged report: every escalation recorded, every case that failed, and the
            counts of cases read and folded.

        Raises:
            CommandInputError: ``at`` is not an aware instant.
            SweepPoolError: a worker process died; what the others recorded stands (a
                sweep is idempotent: sweep again).
        """
        when = check_instant("sweep.at", at)
        try:
            cuts = self._executor.submit(_split, self._parts).result()
            bounds = [None, *cuts, None]
            parts = [
                self._executor.submit(_sweep_part, when, bounds[i], bounds[i + 1], self._chunk)
                for i in range(len(bounds) - 1)
            ]
            report = SweepReport()
            self.cpu_seconds = 0.0
            for future in parts:
                part, pid, kib, used = future.result()
                self.cpu_seconds += used
                report.extend(part)
                report.failures.extend(part.failures)
                report.swept += part.swept
                report.folded += part.folded
                self.memory_kib[pid] = max(self.memory_kib.get(pid, 0), kib)
        except HallflowError:
            raise
        except Exception as exc:  # a worker died (BrokenProcessPool) or could not pickle
            raise SweepPoolError(
                f"the sweep failed in a worker: {type(exc).__name__}: {exc}"
            ) from exc
        return report

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
