"""Event stores: every case is an append-only log of events plus one queryable row.

Pick :class:`MemoryStore` for tests and :class:`SQLiteStore` as the embedded default; code
that uses a store depends only on the :class:`EventStore` protocol. See ``docs/store.md``.
"""

from hallflow.store.base import CaseRow, EventStore, NewEvent, StoredEvent
from hallflow.store.memory import MemoryStore
from hallflow.store.sqlite import SQLiteStore

__all__ = [
    "CaseRow",
    "EventStore",
    "MemoryStore",
    "NewEvent",
    "SQLiteStore",
    "StoredEvent",
]
