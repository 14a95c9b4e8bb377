"""What bronze already holds: the lookups that make a redelivery, a retry or a replay a no-op.

QoS 1 is at-least-once, and cameras replay: after a crash between a Delta commit and its acks the
broker redelivers the batch; a camera that lost its PUBACK publishes again; the fleet (or a camera
catching up after an outage) replays hours already sent. A window of recently committed ids cannot
tell an hour-old replay from a new event, so duplicates are recognised against bronze itself.

* :class:`BronzeEventIds` — an event id is a function of the camera, the type and the observation
  time, so a duplicate has the same ``date_observed`` as the row already stored. The ids are looked
  up per observation minute: the files of that ``event_date`` partition whose ``date_observed``
  statistics cover the minute (Delta's per-file min/max; pyarrow skips the other files without
  opening them). A minute read once is kept (and extended by each commit) until memory says
  otherwise; another writer's commit (compaction, say) empties the cache.
* :class:`DeadLetterHashes` — a dead letter has no trustworthy time, so its message hash is
  looked up in the whole (small) dead-letter table, once per hash.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

_TS = pa.timestamp("us", tz="UTC")
MINUTE = dt.timedelta(minutes=1)


def _minute(ts: dt.datetime) -> dt.datetime:
    return ts.replace(second=0, microsecond=0)


class _Synced:
    """Forget everything when the table moved by a commit that was not ours."""

    def __init__(self):
        self.version: int | None = None

    def _sync(self, table) -> None:
        if table is not None and self.version is not None and table.version() != self.version:
            self.clear()
        self.version = None if table is None else table.version()

    def committed(self, table, before: int | None) -> None:
        """After our own commit to ``table`` (which was at ``before``): keep the cache if only we wrote."""
        table.update_incremental()
        if before is not None and table.version() != before + 1:
            self.clear()                       # someone else committed in between: read again
        self.version = table.version()

    def clear(self) -> None:
        raise NotImplementedError


class BronzeEventIds(_Synced):
    """Event ids in ``bronze/cameras/events`` by observation minute, read on demand, bounded."""

    def __init__(self, capacity: int = 2_000_000):
        super().__init__()
        self.capacity = capacity                 # ids held in memory (about 100 bytes each)
        self._minutes: OrderedDict[dt.datetime, set[str]] = OrderedDict()
        self._size = 0
        self.lookups = 0                         # table scans, and the rows they read
        self.rows_read = 0

    def __len__(self) -> int:
        return self._size

    def clear(self) -> None:
        self._minutes.clear()
        self._size = 0

    def committed_ids(self, table, rows: list[dict]) -> set[str]:
        """The ids among ``rows`` that ``table`` (None: not created yet) already holds."""
        self._sync(table)
        needed = {_minute(r["date_observed"]) for r in rows}
        missing = sorted(m for m in needed if m not in self._minutes)
        if missing:
            for minute in missing:
                self._minutes[minute] = set()
            if table is not None:
                self._load(table, missing)
        for minute in needed:
            self._minutes.move_to_end(minute)
        return {r["event_id"] for r in rows if r["event_id"] in self._minutes[_minute(r["date_observed"])]}

    def add(self, rows: Iterable[dict]) -> None:
        """Rows just committed (their minutes were looked up by :meth:`committed_ids` first)."""
        keep = set()
        for r in rows:
            minute = _minute(r["date_observed"])
            ids = self._minutes.setdefault(minute, set())
            if r["event_id"] not in ids:
                ids.add(r["event_id"])
                self._size += 1
            keep.add(minute)
        self._evict(keep)

    def _load(self, table, minutes: list[dt.datetime]) -> None:
        ranges: list[list[dt.datetime]] = []
        for minute in minutes:                   # sorted: merge neighbours into one range
            if ranges and ranges[-1][1] == minute:
                ranges[-1][1] = minute + MINUTE
            else:
                ranges.append([minute, minute + MINUTE])
        observed = ds.field("date_observed")
        within = None
        for start, end in ranges:
            one = (observed >= pa.scalar(start, _TS)) & (observed < pa.scalar(end, _TS))
            within = one if within is None else within | one
        dates = sorted({m.date().isoformat() for m in minutes})
        data = table.to_pyarrow_dataset().to_table(
            columns=["event_id", "date_observed"], filter=ds.field("event_date").isin(dates) & within)
        self.lookups += 1
        self.rows_read += data.num_rows
        if data.num_rows:
            floored = pc.floor_temporal(data["date_observed"], unit="minute").to_pylist()
            for event_id, minute in zip(data["event_id"].to_pylist(), floored, strict=True):
                ids = self._minutes[minute.astimezone(dt.UTC)]
                if event_id not in ids:
                    ids.add(event_id)
                    self._size += 1

    def _evict(self, keep: set[dt.datetime]) -> None:
        """Least recently used minutes first, never one the current batch needs."""
        for minute in list(self._minutes):
            if self._size <= self.capacity:
                break
            if minute not in keep:
                self._size -= len(self._minutes.pop(minute))


class DeadLetterHashes(_Synced):
    """Message hashes in ``bronze/cameras/events_dead_letter``; each looked up once, then remembered."""

    def __init__(self, capacity: int = 1_000_000):
        super().__init__()
        self.capacity = capacity
        self._known: OrderedDict[str, bool] = OrderedDict()   # hash → held by the table

    def clear(self) -> None:
        self._known.clear()

    def committed_hashes(self, table, hashes: set[str]) -> set[str]:
        self._sync(table)
        unknown = [h for h in hashes if h not in self._known]
        if unknown:
            held = set()
            if table is not None:
                data = table.to_pyarrow_dataset().to_table(
                    columns=["message_hash"], filter=ds.field("message_hash").isin(unknown))
                held = set(data["message_hash"].to_pylist())
            for h in unknown:
                self._known[h] = h in held
        return {h for h in hashes if self._known[h]}

    def add(self, hashes: Iterable[str]) -> None:
        for h in hashes:
            self._known[h] = True
            self._known.move_to_end(h)
        while len(self._known) > self.capacity:
            self._known.popitem(last=False)
