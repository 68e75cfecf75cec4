"""How hallflow's writers on one SQLite file coordinate, across threads and processes.

Two small files beside the database carry it (POSIX only; ``fcntl.flock`` and ``mmap`` from
the standard library, because what is needed is a kernel-woken lock and two shared
counters, not a general locking library — ``filelock``, for one, polls with sleeps):

* ``<db>-hallflow-write.lock``: writers hold its ``flock`` while they write a transaction,
  so that a writer in another process waits in the kernel and is woken the moment the lock
  is free (SQLite's own busy handler sleeps for whole milliseconds). Its first 16 bytes,
  mapped into every writer's memory, count the transactions committed (``written``) and
  the highest count known to be on disk (``synced``).
* ``<db>-hallflow-sync.lock``: held while one writer syncs the write-ahead log.

Shared syncs: a writer commits with SQLite's ``synchronous=NORMAL`` (no sync inside the
transaction), counts its commit, releases the write lock, and then makes sure the log is on
disk before it answers its caller: if ``synced`` already covers its commit, another
writer's sync did; otherwise it takes the sync lock, reads ``written``, syncs the log once
(``os.fsync``), and records that count as ``synced``. One sync thus covers every
transaction committed before it began, from any thread or process, and the next writer
commits while the previous one syncs.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import struct
import threading
from types import ModuleType

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: SQLite's own lock and sync only
    fcntl = None

__all__ = ["SYNC_LOCK_SUFFIX", "WRITE_LOCK_SUFFIX", "SharedLog"]

WRITE_LOCK_SUFFIX = "-hallflow-write.lock"
"""The file beside the database whose ``flock`` writers hold, and which holds the counters."""
SYNC_LOCK_SUFFIX = "-hallflow-sync.lock"
"""The file beside the database whose ``flock`` a writer holds while it syncs the log."""

_WRITTEN = 0
_SYNCED = 8
_SIZE = 16
_COUNTER = struct.Struct("<Q")


class SharedLog:
    """The write lock, the shared counters and the log sync of one database file.

    Build it with :meth:`open`, which returns ``None`` where the platform or the directory
    does not allow it (then SQLite's own locking and ``synchronous=FULL`` are used).
    """

    def __init__(self, write_fd: int, sync_fd: int, counters: mmap.mmap) -> None:
        self._write_fd = write_fd
        self._sync_fd = sync_fd
        self._counters = counters
        self._wal_fd: int | None = None
        self._sync_lock = threading.Lock()  # flock excludes processes, not threads

    @classmethod
    def open(cls, db_path: str) -> SharedLog | None:
        """The shared log of ``db_path``, or ``None`` if it cannot be set up here."""
        if fcntl is None:  # pragma: no cover - not POSIX
            return None
        fds: list[int] = []
        try:
            write_fd = os.open(db_path + WRITE_LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o644)
            fds.append(write_fd)
            sync_fd = os.open(db_path + SYNC_LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o644)
            fds.append(sync_fd)
            fcntl.flock(write_fd, fcntl.LOCK_EX)
            try:  # two processes creating the file at once both see it short: extend once
                if os.fstat(write_fd).st_size < _SIZE:
                    os.ftruncate(write_fd, _SIZE)
            finally:
                fcntl.flock(write_fd, fcntl.LOCK_UN)
            counters = mmap.mmap(write_fd, _SIZE)
        except OSError:
            for fd in fds:
                os.close(fd)
            return None
        return cls(write_fd, sync_fd, counters)

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

    def sync(self, seq: int) -> None:
        """Return once transaction ``seq`` is on disk, syncing the log if no one else has.

        Raises:
            OSError: the sync failed.
        """
        assert fcntl is not None and self._wal_fd is not None
        if self._read(_SYNCED) >= seq:
            return
        with self._sync_lock:
            if self._read(_SYNCED) >= seq:
                return
            fcntl.flock(self._sync_fd, fcntl.LOCK_EX)
            try:
                if self._read(_SYNCED) >= seq:
                    return
                # Every transaction counted in ``written`` has finished writing to the log
                # (it was counted after its COMMIT returned), so this sync covers it.
                target = self._read(_WRITTEN)
                os.fsync(self._wal_fd)
                _COUNTER.pack_into(self._counters, _SYNCED, max(target, self._read(_SYNCED)))
            finally:
                fcntl.flock(self._sync_fd, fcntl.LOCK_UN)

    def _read(self, offset: int) -> int:
        value: int = _COUNTER.unpack_from(self._counters, offset)[0]
        return value

    def close(self) -> None:
        """Close the files (the lock files stay, for the other writers)."""
        with contextlib.suppress(BufferError, ValueError):
            self._counters.close()
        for fd in (self._wal_fd, self._write_fd, self._sync_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._wal_fd = None
