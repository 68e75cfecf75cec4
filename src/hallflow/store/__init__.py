"""Event stores: every case is an append-only log of events plus one queryable row.

Pick :class:`MemoryStore` for tests, :class:`SQLiteStore` as the embedded default and
:class:`PostgresStore` for several application servers sharing one database (it needs the
``postgres`` extra, psycopg 3, and is imported only when first named); code
that uses a store depends only on the :class:`EventStore` protocol. Every store keeps its
history tamper-evident (hash chains per case and over the hall, :mod:`hallflow.store.chain`):
:meth:`EventStore.verify` recomputes them, and a signed :class:`Checkpoint` of
:meth:`EventStore.head` kept elsewhere reveals even a rewrite of the whole store. See
``docs/store.md``.
"""

from typing import TYPE_CHECKING, Any

from hallflow.store.base import Append, CaseRow, EventStore, KeyRecord, NewEvent, StoredEvent
from hallflow.store.chain import ChainBreak, ChainHead, Checkpoint, VerifyReport
from hallflow.store.memory import MemoryStore
from hallflow.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from hallflow.store.postgres import PostgresStore

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
    "PostgresStore",
    "SQLiteStore",
    "StoredEvent",
    "VerifyReport",
]


def __getattr__(name: str) -> Any:
    """Import :class:`PostgresStore` on first use, so that hallflow needs no psycopg."""
    if name == "PostgresStore":
        try:
            from hallflow.store.postgres import PostgresStore
        except ImportError as exc:
            raise ImportError(
                f"PostgresStore needs psycopg 3 and psycopg_pool: pip install 'hallflow[postgres]' "
                f"({exc})"
            ) from exc
        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
