"""Every rating pushed to the province's rating system, through an event sink.

The centre pushes all of its rating data, in full and in real time, to the province's
good-and-bad rating system (seed ``004_0115bc677b3b19d5.txt``, Art. 13). hallflow records
each rating and each step of a bad rating's rectification as events of the rating's stream
(:mod:`hallflow.supervision.evaluation`); :class:`RatingPush` is an event sink that passes
exactly those events on, as JSON-ready records, to a target the hall configures (a callable:
an HTTP client's post, a queue's put, or :class:`JsonLinesFile`). The dispatcher
(:class:`hallflow.sinks.Dispatcher`) delivers them at least once, in order per rating, and
retries a failing target later.

The target is the hall's to configure, so the sink is contributed by a plugin object built
with it (:class:`ProvincePush`), registered beside :mod:`hallflow_xiangyang.plugin`::

    pm = plugin_manager([hallflow_xiangyang.plugin, ProvincePush(JsonLinesFile(path))])
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from hallflow import hookimpl
from hallflow.errors import SinkError
from hallflow.store.base import StoredEvent
from hallflow.supervision.evaluation import RATING_PREFIX

__all__ = ["NAME", "JsonLinesFile", "ProvincePush", "RatingPush", "rating_record"]

NAME = "xiangyang-province-ratings"
"""The sink's default name (its cursors in the outbox are kept under it)."""

Target = Callable[[dict[str, Any]], None]


def rating_record(event: StoredEvent) -> dict[str, Any]:
    """The record pushed for one rating event: plain JSON values only.

    Keys: ``rating_id``, ``seq``, ``kind`` (``rated``, ``rating_verified``,
    ``rating_rectified``, ``rating_revisited``), ``actor``, ``at`` (ISO 8601 with its offset),
    ``payload`` (the event's payload as recorded) and ``digest`` (its link in the stream's
    hash chain, so the province can check what it received).
    """
    return {
        "rating_id": event.case_id[len(RATING_PREFIX) :],
        "seq": event.seq,
        "kind": event.kind,
        "actor": event.actor,
        "at": event.at.isoformat(),
        "payload": json.loads(json.dumps(dict(event.payload))),
        "digest": event.digest,
    }


class RatingPush:
    """An event sink passing every rating-stream event to ``target``; it ignores the rest.

    Args:
        target: called once per rating event with :func:`rating_record`'s record; it
            raises to signal failure (the dispatcher retries later, in order).
        name: the sink's stable name.

    Raises:
        SinkError: ``target`` is not callable or ``name`` is blank.
    """

    def __init__(self, target: Target, *, name: str = NAME) -> None:
        if not callable(target):
            raise SinkError(f"target={target!r}: must be callable with one record")
        if not isinstance(name, str) or not name.strip():
            raise SinkError(f"name={name!r}: must be a non-blank str")
        self.name = name
        self._target = target

    def deliver(self, event: StoredEvent) -> None:
        """Push ``event`` if it belongs to a rating's stream."""
        if event.case_id.startswith(RATING_PREFIX):
            self._target(rating_record(event))


class JsonLinesFile:
    """A target appending each record as one line of JSON to a file (flushed and synced).

    Args:
        path: the file; created when missing.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        """Append ``record``."""
        line = json.dumps(record, ensure_ascii=False, sort_keys=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())


class ProvincePush:
    """A plugin contributing a :class:`RatingPush` to ``target`` (Art. 13).

    Args:
        target: where the records go.
        name: the sink's name.
    """

    def __init__(self, target: Target, *, name: str = NAME) -> None:
        self.sink = RatingPush(target, name=name)

    @hookimpl
    def hallflow_event_sinks(self) -> Iterable[RatingPush]:
        """The rating push."""
        return (self.sink,)
