"""Event stores: every case is an append-only log of events plus one queryable row.

Pick :class:`MemoryStore` for tests and :class:`SQLiteStore` as the embedded default; code
that uses a store depends only on the :class:`EventStore` protocol. Every store keeps its
history tamper-evident (hash chains per case and over the hall, :mod:`hallflow.store.chain`):
:meth:`EventStore.verify` recomputes them, and a signed :class:`Checkpoint` of
:meth:`EventStore.head` kept elsewhere reveals even a rewrite of the whole store. See
``docs/store.md``.
"""

from hallflow.store.base import Append, CaseRow, EventStore, KeyRecord, NewEvent, StoredEvent
from hallflow.store.chain import ChainBreak, ChainHead, Checkpoint, VerifyReport
from hallflow.store.memory import MemoryStore
from hallflow.store.sqlite import SQLiteStore

__all__ = [
    "Append",
    "CaseRow",
    "ChainBreak",
    "ChainHead",
    "Checkpoint",
    "EventStore",
    "KeyRecord",
    "MemoryStore",
    "NewEvent",
    "SQLiteStore",
    "StoredEvent",
    "VerifyReport",
]
