"""How hallflow's writers on one SQLite file coordinate, across threads and processes.

:class:`GroupCommit` batches the writes of a process's threads; :class:`SharedLog` is what
writers in different processes share.

A small file beside the database carries it (POSIX only; ``fcntl.flock`` and ``mmap`` from
the standard library, because what is needed is a kernel-woken lock and two shared
counters, not a general locking library — ``filelock``, for one, polls with sleeps):
``<db>-hallflow-write.lock``. Writers hold its ``flock`` while they write a transaction, so
that a writer in another process waits in the kernel and is woken the moment the lock is
free (SQLite's own busy handler sleeps for whole milliseconds). Its first 16 bytes, mapped
into every writer's memory, count the transactions committed (``written``) and the highest
count known to be on disk (``synced``); the next 72 hold the hall chain's newest entry as the
last writer left it (its position and link, :meth:`SharedLog.tail`), so that a writer need
not read it from the database. That entry is a hint, never trusted: the store's first write
of a transaction applies only if the database's newest entry is the one the hint names (else
it reads the newest entry), so a hint left stale — by a writer killed after its commit, an
older hallflow, a restored file — costs a read, never a wrong link.

Shared syncs: a writer commits with SQLite's ``synchronous=NORMAL`` (no sync inside the
transaction), counts its commit, releases the write lock, and then makes sure the log is on
disk before it answers its caller: if ``synced`` already covers its commit, another
writer's sync did; if a sync is under way in its own process, it waits for that one and
looks again; otherwise it reads ``written``, syncs the log once (``os.fsync``), raises
``synced`` to that count and wakes the waiters. One sync thus covers every transaction
committed before it began, from any thread or process, and the next writer commits while
the previous one syncs.

No lock is held across processes while syncing. A lock held over a blocking call is also
held while its holder, back from the call, waits for its own interpreter's GIL — behind
that process's busy threads — and every other process waits with it: measured with two
processes of 64 threads, leaders waited 15–20 ms for 2 ms syncs when a file lock serialised
them. Without one, two processes may sync at the same moment, which costs only the second
sync; and two raising ``synced`` at once may leave the lower count, which makes a later
writer sync again but never claims a transaction synced that was not (each count written
was read before a sync that covered it).
"""

from __future__ import annotations

import contextlib
import itertools
import mmap
import os
import struct
import threading
from collections import deque
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Generic, TypeVar

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's own lock and sync only
    fcntl = None

__all__ = ["WRITE_LOCK_SUFFIX", "GroupCommit", "Job", "SharedLog"]

R = TypeVar("R")

WRITE_LOCK_SUFFIX = "-hallflow-write.lock"
"""The file beside the database whose ``flock`` writers hold, and which holds the counters."""

_WRITTEN = 0
_SYNCED = 8
_TAIL = 16  # the hall chain's newest position (8 bytes), then its link (64 ASCII hex digits)
_SIZE = 128
_COUNTER = struct.Struct("<Q")
_TAIL_ENTRY = struct.Struct("<Q64s")


class SharedLog:
    """The write lock, the shared counters and the log sync of one database file.

    Build it with :meth:`open`, which returns ``None`` where the platform or the directory
    does not allow it (then SQLite's own locking and ``synchronous=FULL`` are used).
    """

    def __init__(self, write_fd: int, counters: mmap.mmap) -> None:
        self._write_fd = write_fd
        self._counters = counters
        self._wal_fd: int | None = None
        self._syncer = threading.Condition()  # one sync at a time in this process
        self._syncing = False

    @classmethod
    def open(cls, db_path: str) -> SharedLog | None:
        """The shared log of ``db_path``, or ``None`` if it cannot be set up here."""
        if fcntl is None:  # pragma: no cover - not POSIX
            return None
        try:
            write_fd = os.open(db_path + WRITE_LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError:
            return None
        try:
            fcntl.flock(write_fd, fcntl.LOCK_EX)
            try:  # two processes creating the file at once both see it short: extend once
                if os.fstat(write_fd).st_size < _SIZE:
                    os.ftruncate(write_fd, _SIZE)
            finally:
                fcntl.flock(write_fd, fcntl.LOCK_UN)
            counters = mmap.mmap(write_fd, _SIZE)
        except OSError:
            os.close(write_fd)
            return None
        return cls(write_fd, counters)

    def attach_log(self, wal_path: str) -> bool:
        """Open the write-ahead log to sync it; ``False`` if it cannot be opened.

        Call it while a connection to the database is open: SQLite then keeps the log file
        (it deletes it only when the last connection closes), so the descriptor stays valid.
        """
        try:
            self._wal_fd = os.open(wal_path, os.O_RDWR)
        except OSError:
            return False
        return True

    def lock(self) -> None:
        """Take the write lock (waiting in the kernel for other processes' writers)."""
        assert fcntl is not None
        fcntl.flock(self._write_fd, fcntl.LOCK_EX)

    def unlock(self) -> None:
        """Release the write lock."""
        assert fcntl is not None
        fcntl.flock(self._write_fd, fcntl.LOCK_UN)

    def committed(self) -> int:
        """Count one committed transaction (hold the write lock); return its number."""
        seq = self._read(_WRITTEN) + 1
        _COUNTER.pack_into(self._counters, _WRITTEN, seq)
        return seq

    def tail(self) -> tuple[int, str] | None:
        """The hall chain's newest entry as the last writer left it (hold the write lock).

        A hint to check against the database, never a fact; ``None`` when there is none.
        """
        position, link = _TAIL_ENTRY.unpack_from(self._counters, _TAIL)
        if position <= 0:
            return None
        return position, link.decode("ascii", "replace")

    def set_tail(self, position: int, link: str) -> None:
        """Leave the hall chain's newest entry for the next writer (hold the write lock)."""
        try:
            _TAIL_ENTRY.pack_into(self._counters, _TAIL, position, link.encode("ascii"))
        except (struct.error, UnicodeEncodeError):  # not one to hint at: leave none
            _TAIL_ENTRY.pack_into(self._counters, _TAIL, 0, b"")

    def sync(self, seq: int) -> None:
        """Return once transaction ``seq`` is on disk, syncing the log if no one else has.

        Raises:
            OSError: the sync failed.
        """
        assert fcntl is not None and self._wal_fd is not None
        if self._read(_SYNCED) >= seq:
            return
        with self._syncer:
            while True:
                if self._read(_SYNCED) >= seq:
                    return
                if not self._syncing:
                    break
                self._syncer.wait()  # for the sync under way; it may well cover ``seq``
            self._syncing = True
        try:
            # Every transaction counted in ``written`` has finished writing to the log
            # (it was counted after its COMMIT returned), so this sync covers it.
            target = self._read(_WRITTEN)
            os.fsync(self._wal_fd)
            _COUNTER.pack_into(self._counters, _SYNCED, max(target, self._read(_SYNCED)))
        finally:
            with self._syncer:
                self._syncing = False
                self._syncer.notify_all()

    def _read(self, offset: int) -> int:
        value: int = _COUNTER.unpack_from(self._counters, offset)[0]
        return value

    def close(self) -> None:
        """Close the files (the lock file stays, for the other writers)."""
        with contextlib.suppress(BufferError, ValueError):
            self._counters.close()
        for fd in (self._wal_fd, self._write_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wal_fd = None


class Job(Generic[R]):
    """One request waiting in a :class:`GroupCommit` queue, and, once written, its outcome."""

    __slots__ = ("leading", "outcome", "request", "taken", "wake")

    def __init__(self, request: R) -> None:
        self.request = request
        self.taken = False  # a leader is writing it
        self.leading = False  # at the head of the queue: it writes the next batch
        self.outcome: object = None  # the result, or the exception to raise; None: not yet
        self.wake = threading.Lock()  # held until the request is written or must lead
        self.wake.acquire()


class GroupCommit(Generic[R]):
    """Group commit: the requests of several threads written in one transaction.

    The way LevelDB batches writers: a request joins a queue; whoever is at the head takes
    the write lock (``shared``, so that other processes' writers wait in the kernel), takes
    everything queued by then (up to :attr:`MAX_BATCH`), has ``write`` commit it, hands the
    lead to the next in line as soon as the transaction is committed, syncs the log if
    ``share_syncs`` (shared with every writer, see :class:`SharedLog`), and wakes the
    batch, each waiter once by its own lock.

    Args:
        shared: the database's shared log, or ``None`` (then SQLite's lock alone).
        write: runs in the leader's thread; commits a batch in one transaction and sets
            each job's ``outcome`` (a result, or the exception its caller gets).
        share_syncs: sync the log after each batch that committed anything.
        interrupted: the error for a job whose leader stopped before setting its outcome.
        sync_failed: the error for a committed job whose log sync failed.
    """

    MAX_BATCH = 512
    """The most requests committed in one transaction."""

    def __init__(
        self,
        shared: SharedLog | None,
        write: Callable[[list[Job[R]]], None],
        *,
        share_syncs: bool,
        interrupted: Callable[[], BaseException],
        sync_failed: Callable[[Job[R], OSError], BaseException],
    ) -> None:
        assert shared is not None or not share_syncs, "shared syncs need a shared log"
        self.queue: deque[Job[R]] = deque()
        self._lock = threading.Lock()
        self._shared = shared
        self._write = write
        self._share_syncs = share_syncs
        self._interrupted = interrupted
        self._sync_failed = sync_failed

    def run(self, request: R) -> object:
        """Queue ``request`` and wait until it is written, leading a batch if it comes to that.

        Returns its outcome; an outcome that is an exception is raised.
        """
        mine = Job(request)
        with self._lock:
            self.queue.append(mine)
            mine.leading = len(self.queue) == 1
        if not mine.leading:
            try:
                mine.wake.acquire()  # released once: written by a leader, or made the leader
            except BaseException:  # interrupted while waiting
                self._leave(mine)
                raise
        if mine.outcome is None:  # the leader: write what is queued, mine first
            self._lead()
        if isinstance(mine.outcome, BaseException):
            raise mine.outcome
        return mine.outcome

    def run_many(self, requests: Sequence[R]) -> list[object]:
        """Queue ``requests`` together and wait until all are written; their outcomes.

        They join the queue as one run, so a leader takes them together (up to
        :attr:`MAX_BATCH` per transaction). Unlike :meth:`run`, an outcome that is an
        exception is returned, not raised: the caller decides what each refusal means.
        """
        mine = [Job(request) for request in requests]
        if not mine:
            return []
        with self._lock:
            first = not self.queue
            self.queue.extend(mine)
            mine[0].leading = first
        for index, job in enumerate(mine):
            if index or not first:
                try:
                    job.wake.acquire()  # released once: written by a leader, or made the leader
                except BaseException:  # interrupted while waiting: the rest leave the queue
                    for rest in mine[index:]:
                        self._leave(rest)
                    raise
            if job.outcome is None:  # the leader: write what is queued, this one first
                self._lead()
        return [job.outcome for job in mine]

    def _lead(self) -> None:
        shared = self._shared
        if shared is not None:  # first wait for other processes' writers...
            shared.lock()
        seq = None
        batch: list[Job[R]] = []
        following: Job[R] | None = None
        try:
            try:
                with self._lock:  # ...so that what queued meanwhile goes in too
                    batch = list(itertools.islice(self.queue, self.MAX_BATCH))
                    for job in batch:
                        job.taken = True
                self._write(batch)
                if self._share_syncs and any(_written(job) for job in batch):
                    assert shared is not None
                    seq = shared.committed()
            finally:
                try:
                    with self._lock:
                        for job in batch:
                            if job.outcome is None:  # the leader was interrupted
                                job.outcome = self._interrupted()
                            self.queue.popleft()
                        following = self.queue[0] if self.queue else None
                        if following is not None:
                            following.leading = True
                finally:
                    if shared is not None:
                        shared.unlock()
            if following is not None:
                following.wake.release()
                following = None
            if seq is not None:
                assert shared is not None
                try:
                    shared.sync(seq)
                except OSError as exc:
                    for job in batch:
                        if _written(job):
                            job.outcome = self._sync_failed(job, exc)
        finally:
            if following is not None:
                following.wake.release()
            for job in batch[1:]:
                job.wake.release()

    def _leave(self, job: Job[R]) -> None:
        """Take an interrupted waiter out of the queue (unless a leader has taken it).

        If the lead had just been handed to it, it passes to the next in line.
        """
        following = None
        with self._lock:
            if job.taken:
                return  # being written; the outcome goes unreported
            self.queue.remove(job)
            if job.leading and self.queue:
                following = self.queue[0]
                following.leading = True
        if following is not None:
            following.wake.release()


def _written(job: Job[Any]) -> bool:
    return job.outcome is not None and not isinstance(job.outcome, BaseException)
