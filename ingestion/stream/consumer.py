"""The stream consumer: camera events from Mosquitto into bronze Delta, exactly once.

One MQTT v5 client with a fixed client id and a persistent session subscribes to every camera's
topics at QoS 1 and acknowledges nothing by itself (``manual_ack``). Messages gather into a
micro-batch (``max_events`` or ``max_seconds``, whichever comes first); each flush

1. parses every message (:func:`citylake.events.parse`): valid rows, or dead letters with the reason
   — whatever the bytes: a message the parser cannot take is a dead letter, never a crash (a crash
   would come back with the redelivery, on every restart, and block the session's queue);
2. drops events whose id is already in the batch or in bronze itself (:class:`BronzeEventIds`: the
   ids of the minutes of observation the batch touches, from their partition's files), and dead
   letters whose message hash is (:class:`DeadLetterHashes`) — so a replay of any age adds nothing;
3. commits the rows as ONE Delta commit to ``bronze/cameras/events`` and the dead letters as one
   to ``bronze/cameras/events_dead_letter``, each tagged with the Delta app transaction
   (app id = client id, version = batch sequence, continued from the table on start-up);
4. and only then sends the PUBACKs.

A crash anywhere leaves the batch un-acknowledged; the broker redelivers it to the restarted
consumer (same client id, same session), and step 2 makes the redelivery (or any later replay) a
no-op: every event lands once. ``CITYLAKE_STREAM_PAUSE_AFTER_COMMIT`` (seconds) holds the acks after each commit,
so a test can kill the consumer in that worst-case window.

Run ``citylake stream [--seconds S] [--until-idle S]`` or ``python -m ingestion.stream.consumer``;
SIGTERM/SIGINT flush, acknowledge and disconnect. Library use: ``StreamConsumer(settings).run(stop)``.
"""
from __future__ import annotations

import argparse
import base64
import dataclasses
import datetime as dt
import hashlib
import logging
import signal
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import NamedTuple

import pyarrow as pa

from citylake import delta, events
from citylake.catalog import bronze_uri
from citylake.services import mosquitto
from citylake.settings import Settings, get_settings
from ingestion.stream.dedupe import BronzeEventIds, DeadLetterHashes

log = logging.getLogger("citylake.stream")

_TS = pa.timestamp("us", tz="UTC")
DEAD_LETTER_SCHEMA = pa.schema([
    ("received_at", _TS),
    ("topic", pa.string()),
    ("payload", pa.string()),            # as received: UTF-8 text, or base64 when it was not UTF-8
    ("payload_encoding", pa.string()),   # utf-8 | base64
    ("reason", pa.string()),
    ("consumer_id", pa.string()),
    ("message_hash", pa.string()),       # sha256(topic NUL payload): the same message twice is one row
    ("received_date", pa.string()),      # partition: the UTC date it arrived
    ("_ingested_at", _TS),
    ("_batch", pa.int64()),
])


def events_uri(settings: Settings) -> str:
    return bronze_uri(settings, "cameras", "events")


def dead_letter_uri(settings: Settings) -> str:
    return bronze_uri(settings, "cameras", "events_dead_letter")


@dataclass
class StreamConfig:
    client_id: str = "citylake-bronze-camera-events"
    max_events: int = 5000          # flush when this many messages are waiting …
    max_seconds: float = 0.5        # … or when the oldest has waited this long
    dedupe_capacity: int = 2_000_000  # bronze ids kept in memory between lookups (about 100 bytes each)
    stats_every_s: float = 5.0
    keep_latencies: int = 200_000   # per-event latencies kept for p50/p95
    # a test hook (CITYLAKE_STREAM_PAUSE_AFTER_COMMIT): sleep between the Delta commit and the acks
    pause_after_commit_s: float = dataclasses.field(default_factory=lambda: get_settings().stream_pause_after_commit)
    session_expiry_s: int = 7 * 24 * 3600  # the broker keeps the session (and its queue) this long


class _Message(NamedTuple):
    topic: str
    payload: bytes
    mid: int
    qos: int
    received: float
    connection: int  # which connection it arrived on: an ack is only valid on that one


class ConcurrentConsumer(RuntimeError):
    """Another consumer with the same client id committed this batch sequence first."""


def message_hash(topic_name: str, payload: bytes) -> str:
    return hashlib.sha256(topic_name.encode() + b"\0" + payload).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _to_arrow(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Column by column: 6× faster than ``Table.from_pylist`` (which pays per tz-aware datetime).

    Every timestamp here is already UTC, so it goes in naive and the column is tagged UTC.
    """
    columns = []
    for field in schema:
        values = [row[field.name] for row in rows]
        if pa.types.is_timestamp(field.type):
            naive = [None if v is None else v.astimezone(dt.UTC).replace(tzinfo=None) for v in values]
            columns.append(pa.array(naive, pa.timestamp(field.type.unit)).cast(field.type))
        else:
            columns.append(pa.array(values, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _storable(rows: list[dict], schema: pa.Schema) -> tuple[pa.Table | None, list[tuple[dict, str]]]:
    """The rows as Arrow, and those Arrow refused (with why): one bad row never sinks its batch."""
    try:
        return _to_arrow(rows, schema), []
    except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
        log.warning("a batch did not convert to Arrow (%s): converting row by row", exc)
    good, bad = [], []
    for row in rows:
        try:
            _to_arrow([row], schema)
            good.append(row)
        except (pa.ArrowException, ValueError, TypeError, OverflowError) as exc:
            bad.append((row, f"not storable in bronze: {type(exc).__name__}: {exc}"[:500]))
    return (_to_arrow(good, schema) if good else None), bad


class StreamConsumer:
    """MQTT → bronze Delta micro-batches; :meth:`run` until stopped, :meth:`stats` any time."""

    def __init__(self, settings: Settings, config: StreamConfig | None = None, host: str = "127.0.0.1",
                 port: int | None = None):
        self.settings = settings
        self.config = config or StreamConfig()
        self.host, self.port = host, port or settings.mqtt_port
        self.events_uri, self.dead_uri = events_uri(settings), dead_letter_uri(settings)
        self._cond = threading.Condition()
        self._pending: list[_Message] = []
        self._connection = 0
        self._subscribed = threading.Event()
        self._last_received = time.monotonic()
        self._latencies: deque[float] = deque(maxlen=self.config.keep_latencies)
        self._totals = {"received": 0, "events": 0, "dead_letters": 0, "duplicates": 0, "batches": 0,
                        "commits": 0}
        self._last_lag_s: float | None = None
        self._started = time.monotonic()
        self._tables: dict[str, delta.DeltaTable | None] = {}
        self.batch = self._restore()
        self._client = self._make_client()

    # -- start-up: continue the sequence, remember what was committed ------------------------
    def _restore(self) -> int:
        """The last committed batch sequence (nothing else: duplicates are looked up in bronze)."""
        self.seen_ids = BronzeEventIds(self.config.dedupe_capacity)
        self.seen_dead = DeadLetterHashes()
        last = 0
        for uri in (self.events_uri, self.dead_uri):
            table = self._table(uri)
            if table is not None:
                last = max(last, table.transaction_version(self.config.client_id) or 0)
        log.info("resuming %s after batch %d", self.config.client_id, last)
        return last

    def _table(self, uri: str):
        """The table's DeltaTable, kept open and refreshed incrementally (None until it exists)."""
        table = self._tables.get(uri)
        if table is None and delta.exists(uri):
            table = self._tables[uri] = delta.table(uri)
        elif table is not None:
            table.update_incremental()
        return table

    # -- MQTT ----------------------------------------------------------------------------------
    def _make_client(self):
        import paho.mqtt.client as mqtt

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.config.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        client.username_pw_set(*self.settings.mqtt_credentials(mosquitto.INGEST))
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.error("MQTT connect refused: %s", reason_code)
            return
        with self._cond:
            # messages from the previous connection are un-acked: the broker sends them again
            self._connection += 1
            self._pending = [m for m in self._pending if m.connection == self._connection]
        log.info("connected to %s:%d as %s (session present: %s)", self.host, self.port,
                 self.config.client_id, flags.session_present)
        client.subscribe(events.SUBSCRIPTION, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties):
        log.info("subscribed to %s (%s)", events.SUBSCRIPTION, ", ".join(str(r) for r in reason_codes))
        self._subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("MQTT disconnected: %s (reconnecting)", reason_code)

    def _on_message(self, client, userdata, msg):
        with self._cond:
            self._pending.append(_Message(msg.topic, msg.payload, msg.mid, msg.qos, time.time(),
                                          self._connection))
            self._last_received = time.monotonic()
            if len(self._pending) >= self.config.max_events:
                self._cond.notify()

    def connect(self) -> None:
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.config.session_expiry_s
        # how many un-acked messages the broker may have in flight to us: a batch and the next
        props.ReceiveMaximum = min(65535, max(2 * self.config.max_events, 100))
        self._client.connect(self.host, self.port, keepalive=30, clean_start=False, properties=props)
        self._client.loop_start()
        if not self._subscribed.wait(30):
            raise RuntimeError(f"no subscription to {events.SUBSCRIPTION} on {self.host}:{self.port} within 30 s")

    # -- the loop ------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, seconds: float | None = None,
            until_idle: float | None = None) -> dict:
        """Consume until ``stop`` is set, ``seconds`` have passed, or nothing arrived for ``until_idle``
        seconds; the last batch is flushed and acknowledged before returning the stats."""
        stop = stop or threading.Event()
        self.connect()
        started = time.monotonic()
        self._last_received = started
        next_stats = started + self.config.stats_every_s
        try:
            while True:
                with self._cond:
                    if not self._due() and not stop.is_set():
                        wait = self.config.max_seconds
                        if self._pending:
                            wait = self._pending[0].received + self.config.max_seconds - time.time()
                        self._cond.wait(max(0.0, min(wait, 0.25)))
                    batch = self._take() if self._due() else []
                if batch:
                    self._flush(batch)
                now = time.monotonic()
                if now >= next_stats:
                    self._log_stats()
                    next_stats = now + self.config.stats_every_s
                if (stop.is_set() or (seconds is not None and now - started >= seconds)
                        or (until_idle is not None and now - self._last_received >= until_idle)):
                    while batch := self._take():
                        self._flush(batch)
                    break
        finally:
            self._client.disconnect()
            self._client.loop_stop()
        self._log_stats()
        return self.stats()

    def _due(self) -> bool:
        """Is the waiting batch full or old enough (call holding ``_cond``)?"""
        return bool(self._pending) and (len(self._pending) >= self.config.max_events or
                                        time.time() - self._pending[0].received >= self.config.max_seconds)

    def _take(self) -> list[_Message]:
        """The next batch: at most ``max_events`` of the waiting messages, oldest first.

        The cap is ours: Mosquitto 2.0.11 honours our Receive Maximum only until the first PUBACKs
        (measured: 50 allowed, 700 outstanding after one round of acks), so more can be waiting.
        """
        with self._cond:
            batch = self._pending[:self.config.max_events]
            del self._pending[:len(batch)]
            return batch

    def _flush(self, batch: list[_Message]) -> None:
        """Parse, dedupe, commit (events, then dead letters), then acknowledge: one micro-batch."""
        rows, dead, batch_ids, batch_hashes = [], [], set(), set()
        origin: dict[int, _Message] = {}
        duplicates = 0
        for m in batch:
            received = dt.datetime.fromtimestamp(m.received, dt.UTC)
            try:
                row = events.parse(m.payload, m.topic, received)
            except events.InvalidEvent as exc:
                reason = exc.reason
            except Exception as exc:  # a parser bug must not kill the consumer on every redelivery
                log.exception("the parser failed on a message on %s; dead-lettered", m.topic)
                reason = f"parser failed: {type(exc).__name__}: {exc}"[:500]
            else:
                if row["event_id"] in batch_ids:
                    duplicates += 1
                else:
                    batch_ids.add(row["event_id"])
                    rows.append(row)
                    origin[id(row)] = m
                continue
            digest = message_hash(m.topic, m.payload)
            if digest in batch_hashes:
                duplicates += 1
                continue
            batch_hashes.add(digest)
            dead.append(self._dead_letter(m, reason, digest))
        events_table = self._table(self.events_uri)
        dead_table = self._table(self.dead_uri) if dead else None    # most batches have no dead letter
        if rows:
            held = self.seen_ids.committed_ids(events_table, rows)
            if held:
                duplicates += len(held)
                rows = [r for r in rows if r["event_id"] not in held]
        if dead:
            held = self.seen_dead.committed_hashes(dead_table, batch_hashes)
            if held:
                duplicates += len(held)
                dead = [d for d in dead if d["message_hash"] not in held]
        sequence = self.batch + 1
        if rows or dead:
            ingested = _now()
            data = None
            if rows:
                for row in rows:
                    row["_ingested_at"], row["_batch"] = ingested, sequence
                data, unstorable = _storable(rows, events.BRONZE_SCHEMA)
                if unstorable:                 # never expected (parse checks): still, not a crash
                    bad = {id(row) for row, _ in unstorable}
                    rows = [r for r in rows if id(r) not in bad]
                    for row, reason in unstorable:
                        m = origin[id(row)]
                        dead.append(self._dead_letter(m, reason, message_hash(m.topic, m.payload)))
            if data is not None and data.num_rows:
                self._commit(self.events_uri, events_table, data, "event_date", sequence, self.seen_ids)
                self.seen_ids.add(rows)
            if dead:
                if dead_table is None:
                    dead_table = self._table(self.dead_uri)
                for row in dead:
                    row["_ingested_at"], row["_batch"] = ingested, sequence
                self._commit(self.dead_uri, dead_table, _to_arrow(dead, DEAD_LETTER_SCHEMA),
                             "received_date", sequence, self.seen_dead)
                self.seen_dead.add(d["message_hash"] for d in dead)
            committed = _now()
            self.batch = sequence
            lags = [(committed - row["published_at"]).total_seconds() for row in rows]
            self._latencies.extend(lags)
            if lags:
                self._last_lag_s = max(lags)
            if self.config.pause_after_commit_s > 0:
                log.warning("batch %d committed (%d events, %d dead letters); acks held for %.1f s",
                            sequence, len(rows), len(dead), self.config.pause_after_commit_s)
                time.sleep(self.config.pause_after_commit_s)
        with self._cond:
            current = self._connection
        for m in batch:
            if m.qos > 0 and m.connection == current:
                self._client.ack(m.mid, m.qos)
        totals = self._totals
        totals["received"] += len(batch)
        totals["events"] += len(rows)
        totals["dead_letters"] += len(dead)
        totals["duplicates"] += duplicates
        totals["batches"] += 1
        totals["commits"] += bool(rows) + bool(dead)

    def _commit(self, uri: str, table, data: pa.Table, partition: str, sequence: int, cache) -> None:
        """One Delta commit tagged (client id, sequence); refuses a sequence the table already has."""
        app_id = self.config.client_id
        if table is None:
            delta.write_arrow(data, uri, partition_by=[partition], app_id=app_id, app_version=sequence,
                              metadata={"consumer": app_id, "batch": sequence})
            table = self._tables[uri] = delta.table(uri)
            cache.committed(table, None)
            return
        done = table.transaction_version(app_id)
        if done is not None and done >= sequence:  # delta-rs would accept it: check ourselves
            raise ConcurrentConsumer(f"{uri} already has batch {done} of {app_id}; this consumer was at "
                                     f"{sequence - 1}: is a second consumer running with the same client id?")
        before = table.version()
        delta.write_arrow(data, table, partition_by=[partition], app_id=app_id, app_version=sequence,
                          metadata={"consumer": app_id, "batch": sequence})
        cache.committed(table, before)

    def _dead_letter(self, m: _Message, reason: str, digest: str) -> dict:
        try:
            payload, encoding = m.payload.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            payload, encoding = base64.b64encode(m.payload).decode("ascii"), "base64"
        received = dt.datetime.fromtimestamp(m.received, dt.UTC)
        return {"received_at": received, "topic": m.topic, "payload": payload, "payload_encoding": encoding,
                "reason": reason, "consumer_id": self.config.client_id, "message_hash": digest,
                "received_date": received.date().isoformat()}

    # -- progress ------------------------------------------------------------------------------
    def last_received_at(self) -> float:
        """``time.monotonic()`` of the newest message received (a caller waiting for quiet)."""
        return self._last_received

    def stats(self) -> dict:
        """Totals, throughput and end-to-end latency (commit time − publishedAt) percentiles."""
        elapsed = max(time.monotonic() - self._started, 1e-9)
        latencies = sorted(self._latencies)

        def pct(p: float) -> float | None:
            return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else None

        return {**self._totals, "batch_sequence": self.batch, "elapsed_s": elapsed,
                "events_per_s": self._totals["events"] / elapsed, "latency_p50_s": pct(0.50),
                "latency_p95_s": pct(0.95), "latency_max_s": latencies[-1] if latencies else None,
                "last_lag_s": self._last_lag_s}

    def _log_stats(self) -> None:
        s = self.stats()

        def fmt(v):
            return "-" if v is None else f"{v:.3f}s"

        log.info("%d events (%.0f/s), %d batches up to #%d, %d dead letters, %d duplicates dropped; "
                 "latency p50 %s p95 %s, last lag %s", s["events"], s["events_per_s"], s["batches"],
                 s["batch_sequence"], s["dead_letters"], s["duplicates"], fmt(s["latency_p50_s"]),
                 fmt(s["latency_p95_s"]), fmt(s["last_lag_s"]))


def drop_session(settings: Settings, client_id: str, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Retire a consumer id: the broker discards its session and stops queueing messages for it."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.properties import Properties

    connected = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(*settings.mqtt_credentials(mosquitto.INGEST))
    client.on_connect = lambda *_: connected.set()
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = 0
    client.connect(host, port or settings.mqtt_port, clean_start=True, properties=props)
    client.loop_start()
    try:
        if not connected.wait(10):
            raise RuntimeError(f"could not connect as {client_id} to drop its session")
    finally:
        client.disconnect()
        client.loop_stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = StreamConfig()
    parser.add_argument("--seconds", type=float, help="stop after this many seconds")
    parser.add_argument("--until-idle", type=float, help="stop once nothing arrived for this many seconds")
    parser.add_argument("--client-id", default=defaults.client_id, help="MQTT client id = Delta app id")
    parser.add_argument("--max-events", type=int, default=defaults.max_events, help="flush at this many events")
    parser.add_argument("--max-seconds", type=float, default=defaults.max_seconds,
                        help="flush when the oldest waiting event is this old")
    parser.add_argument("--compact", action="store_true",
                        help="compact the bronze camera tables' small files instead of consuming")
    parser.add_argument("--older-than", help="with --compact: only partitions before this UTC date (YYYY-MM-DD)")
    parser.add_argument("--vacuum-hours", type=int,
                        help="with --compact: then vacuum files unreferenced for this many hours (>= 168)")


def run_from_args(settings: Settings, args: argparse.Namespace) -> dict:
    if args.compact:
        from ingestion.stream.compaction import compact

        result = compact(settings, older_than=args.older_than, vacuum_retention_hours=args.vacuum_hours)
        for name, r in result.items():
            vacuumed = "" if r["vacuumed"] is None else f", {r['vacuumed']} files vacuumed"
            print(f"{name}: {r['files_before']} → {r['files_after']} files{vacuumed}", flush=True)
        return result
    config = StreamConfig(client_id=args.client_id, max_events=args.max_events, max_seconds=args.max_seconds)
    consumer = StreamConsumer(settings, config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return consumer.run(stop, seconds=args.seconds, until_idle=args.until_idle)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s",
                        force=True)
    parser = argparse.ArgumentParser(prog="python -m ingestion.stream.consumer", description=__doc__.split("\n")[0])
    add_arguments(parser)
    run_from_args(Settings(), parser.parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
