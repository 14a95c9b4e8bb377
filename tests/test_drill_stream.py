"""Drills for the stream consumer against the real Mosquitto: poison messages, fuzzing, replays.

* the three messages that killed the consumer on every restart (a valid event in UTF-16, JSON
  nested 100,000 deep, ``publishedAt`` 9999-12-31T23:59:59-23:59) and their kin, queued in the
  consumer's session ahead of valid events: the consumer takes them all, dead-letters the bad
  ones with the reason and stores every valid event once;
* a property-based fuzz (hypothesis): thousands of generated payloads through the parser (nothing
  but InvalidEvent may come out) and then through a live consumer (it stays up, every valid event
  lands in bronze once, every invalid message in the dead-letter table);
* a replay of events committed an hour (and three days) earlier, after a restart and with a memory
  far too small to hold them: nothing is added, because duplicates are looked up in bronze itself.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from test_stream_ingestion import _Lines, _publish

from citylake import delta, events
from citylake.settings import Settings
from ingestion.stream.consumer import (
    DEAD_LETTER_SCHEMA,
    StreamConfig,
    StreamConsumer,
    _to_arrow,
    dead_letter_uri,
    drop_session,
    events_uri,
    message_hash,
)

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime.now(dt.UTC)
FUZZ_EXAMPLES = 3000


def _event(i: int, observed: dt.datetime) -> tuple[str, dict]:
    cam = f"HCM-FUZZ-{i % 40:03d}"
    start = observed - dt.timedelta(seconds=15)
    kind = i % 3
    if kind == 0:
        ev = events.traffic_flow(cam, start, observed, {"motorcycle": i % 17, "car": i % 5}, 106.7, 10.8,
                                 congested=i % 2 == 0)
    elif kind == 1:
        ev = events.crowd_flow(cam, start, observed, i % 40, 106.7, 10.8, threshold=30)
    else:
        ev = events.alert(cam, observed, "traffic", "carStopped", 106.7, 10.8, description="xe dừng")
    return events.topic(cam, ev["type"]), ev


def _consumer(settings: Settings, client_id: str, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "ingestion.stream.consumer", "--client-id", client_id, "--max-seconds", "0.2",
           *extra]
    return subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **settings.env(), "PYTHONUNBUFFERED": "1"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _send(settings: Settings, messages: list[tuple[str, bytes]]) -> None:
    done = threading.Event()
    _publish(settings, messages, 4000, done)
    assert done.is_set()


def _versions(settings: Settings) -> tuple[int | None, int | None]:
    return tuple(delta.table(u).version() if delta.exists(u) else None
                 for u in (events_uri(settings), dead_letter_uri(settings)))


# -- the reported poison messages, queued ahead of valid events, through restarts ------------------

def _poison() -> list[tuple[str, bytes, str]]:
    """(topic, payload, words its dead-letter reason must contain)."""
    topic, ev = _event(1, NOW - dt.timedelta(minutes=5))
    good = events.encode(ev, NOW)
    published = json.loads(good)["publishedAt"].encode()
    return [
        (topic, good.decode().encode("utf-16"), "not UTF-8"),
        (topic, b"[" * 100_000 + b"]" * 100_000, "oversize"),
        (topic, b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested deeper than 16"),
        (topic, good.replace(published, b"9999-12-31T23:59:59-23:59"), "publishedAt must be date-time"),
        (topic, good.replace(published, events.iso(NOW + dt.timedelta(days=400)).encode()), "implausible publishedAt"),
        (topic, events.encode(dict(ev, dateObserved="2001-01-01T00:00:00.000Z"), NOW), "implausible dateObserved"),
        (topic, json.dumps(dict(json.loads(good), peopleCount="BIG")).replace('"BIG"', "1" + "0" * 400).encode(),
         "integer out of range"),
        (topic, good.replace(b"106.7", b"1e999", 1), "number out of range"),
        (topic, b'["an array", 1]', "not a JSON object but list"),
        (topic, b"\x00\x01\xfe\xff" * 40, "not UTF-8"),
        (topic, good + b" " * (events.MAX_PAYLOAD_BYTES + 10), "oversize"),
    ]


def test_poison_messages_queued_ahead_of_valid_events_are_dead_lettered_and_never_block(mqtt, tmp_path):
    settings = Settings(lakehouse_override=str(tmp_path / "lakehouse"))
    client_id = f"citylake-drill-{uuid.uuid4().hex[:8]}"
    procs = [_consumer(settings, client_id, "--until-idle", "1")]     # creates the persistent session
    try:
        assert procs[0].wait(60) == 0, "".join(procs[0].stdout.readlines()[-20:])
        poison = _poison()
        valid = [_event(i, NOW - dt.timedelta(seconds=i)) for i in range(500)]
        # the poison first: everything valid queues behind it in the session while the consumer is down
        _send(settings, [(t, p) for t, p, _ in poison] + [(t, events.encode(ev)) for t, ev in valid])

        procs.append(_consumer(settings, client_id, "--until-idle", "3"))
        lines = _Lines(procs[1])
        assert procs[1].wait(120) == 0, "".join(lines.all[-30:])
        log = "".join(lines.all)
        assert "Traceback" not in log and "parser failed" not in log, log[-3000:]

        bronze = delta.read_arrow(events_uri(settings))
        assert sorted(bronze["event_id"].to_pylist()) == sorted(ev["eventId"] for _, ev in valid)
        dead = {r["message_hash"]: r for r in delta.read_arrow(dead_letter_uri(settings)).to_pylist()}
        assert len(dead) == len(poison)
        for topic, payload, words in poison:
            row = dead[message_hash(topic, payload)]
            assert words in row["reason"], (words, row["reason"])
        before = _versions(settings)

        # a third start finds nothing left in its session: the poison was acknowledged, not looping
        procs.append(_consumer(settings, client_id, "--until-idle", "2"))
        third_lines = _Lines(procs[2])
        assert procs[2].wait(60) == 0, "".join(third_lines.all[-30:])
        assert _versions(settings) == before
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        drop_session(settings, client_id)


# -- fuzzing: the parser, then a live consumer ----------------------------------------------------

_offsets = st.integers(-1439, 1439).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
_any_time = st.builds(lambda d, tz: d.replace(tzinfo=tz).isoformat(),
                      st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59)),
                      _offsets)
_json_leaf = (st.none() | st.booleans() | st.integers() | st.integers(min_value=10 ** 18, max_value=10 ** 60)
              | st.floats() | st.text(max_size=20) | _any_time)
_json = st.recursive(_json_leaf, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)


def _dumps(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


@st.composite
def _messages(draw) -> tuple[str, bytes, bool]:
    """(topic, payload, whether it must be accepted) — valid events, mutants, and garbage."""
    i = draw(st.integers(0, 10_000))
    observed = NOW - dt.timedelta(seconds=draw(st.integers(0, 3 * 3600)), milliseconds=draw(st.integers(0, 999)))
    topic, ev = _event(i, observed)
    how = draw(st.sampled_from(["valid", "valid", "field", "drop", "time", "encoding", "garbage", "json",
                                "deep", "truncate", "oversize", "topic"]))
    if how == "valid":
        return topic, events.encode(ev), True
    if how == "field":
        ev = dict(ev, **{draw(st.sampled_from(sorted(ev) + ["publishedAt"])): draw(_json)})
    elif how == "drop":
        ev = {k: v for k, v in ev.items() if k != draw(st.sampled_from(sorted(ev)))}
    elif how == "time":
        field = draw(st.sampled_from(["dateObserved", "publishedAt", "dateObservedTo", "dateIssued"]))
        payload = json.loads(events.encode(ev))
        payload[field] = draw(_any_time | st.just("9999-12-31T23:59:59-23:59") | st.just("0001-01-01T00:00:00+23:59"))
        return topic, _dumps(payload), False
    elif how == "encoding":
        codec = draw(st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"]))
        return topic, events.encode(ev).decode().encode(codec), False
    elif how == "garbage":
        return topic, draw(st.binary(max_size=200)), False
    elif how == "json":
        return topic, _dumps(draw(_json)), False
    elif how == "deep":
        n = draw(st.integers(17, 30_000))
        opener, closer = draw(st.sampled_from([(b"[", b"]"), (b'{"a":', b"}")]))
        return topic, opener * n + b"0" + closer * n * draw(st.sampled_from([0, 1])), False
    elif how == "truncate":
        full = events.encode(ev)
        return topic, full[:draw(st.integers(0, len(full) - 1))], False
    elif how == "oversize":
        return topic, events.encode(ev) + b" " * draw(st.integers(events.MAX_PAYLOAD_BYTES, 70_000)), False
    elif how == "topic":
        return events.topic(f"HCM-OTHER-{i:03d}", ev["type"]), events.encode(ev), False
    return topic, _dumps(dict(ev, publishedAt=events.iso(NOW))), False


def _fuzz_parser(collected: list[tuple[str, bytes]]):
    @hsettings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(_messages())
    def check(message):
        topic, payload, must_accept = message
        received = dt.datetime.now(dt.UTC)
        try:
            row = events.parse(payload, topic, received)
        except events.InvalidEvent as exc:
            assert not must_accept, exc.reason
            assert exc.reason and len(exc.reason) <= 500
        else:
            # an accepted event is storable as it is, and its times are plausible
            _to_arrow([dict(row, _ingested_at=received, _batch=1)], events.BRONZE_SCHEMA)
            assert received - events.MAX_AGE <= row["date_observed"] <= received + events.MAX_AHEAD
        collected.append((topic, payload))
    check()


def test_fuzzed_payloads_never_raise_and_a_live_consumer_stays_up_and_loses_nothing(mqtt, tmp_path):
    collected: list[tuple[str, bytes]] = []
    _fuzz_parser(collected)
    assert len(collected) >= FUZZ_EXAMPLES

    settings = Settings(lakehouse_override=str(tmp_path / "lakehouse"))
    client_id = f"citylake-fuzz-{uuid.uuid4().hex[:8]}"
    received = dt.datetime.now(dt.UTC)
    valid, invalid = {}, {}
    for topic, payload in collected:
        try:
            valid.setdefault(events.parse(payload, topic, received)["event_id"], (topic, payload))
        except events.InvalidEvent as exc:
            invalid[message_hash(topic, payload)] = exc.reason
    assert len(valid) > 200 and len(invalid) > 1000       # both sides really exercised
    consumer = _consumer(settings, client_id, "--until-idle", "4")
    lines = _Lines(consumer)
    try:
        lines.wait_for(r"subscribed to", 30)
        # every message, then every valid event once more (a publisher's retry)
        _send(settings, collected + list(valid.values()))
        assert consumer.wait(180) == 0, "".join(lines.all[-30:])
    finally:
        if consumer.poll() is None:
            consumer.kill()
        drop_session(settings, client_id)
    log = "".join(lines.all)
    assert "Traceback" not in log and "parser failed" not in log, log[-3000:]

    bronze = delta.read_arrow(events_uri(settings), columns=["event_id"])
    assert bronze.num_rows == len(valid) and set(bronze["event_id"].to_pylist()) == set(valid)
    dead = delta.read_arrow(dead_letter_uri(settings))
    assert dead.schema.remove_metadata() == DEAD_LETTER_SCHEMA
    assert dead.num_rows == len(invalid)
    stored = dict(zip(dead["message_hash"].to_pylist(), dead["reason"].to_pylist(), strict=True))
    assert stored.keys() == invalid.keys()

    def what(reason: str) -> str:          # an implausible time's reason names its receipt time
        return reason.split(" is ")[0] if reason.startswith("implausible") else reason
    assert {h: what(r) for h, r in stored.items()} == {h: what(r) for h, r in invalid.items()}


# -- exactly once across a replay of any age ------------------------------------------------------

def _run_until(consumer: StreamConsumer, settings: Settings, messages: list[tuple[str, bytes]]) -> dict:
    """Run ``consumer`` in this process, publish ``messages``, stop once it has taken them all."""
    stop, result = threading.Event(), {}
    runner = threading.Thread(target=lambda: result.update(consumer.run(stop)), daemon=True)
    runner.start()
    assert consumer._subscribed.wait(30)
    _send(settings, messages)
    deadline = time.monotonic() + 120
    while consumer.stats()["received"] < len(messages) and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    runner.join(60)
    assert not runner.is_alive()
    return result


def test_a_replay_of_events_committed_an_hour_earlier_adds_nothing_after_a_restart(mqtt, tmp_path):
    settings = Settings(lakehouse_override=str(tmp_path / "lakehouse"))
    client_id = f"citylake-replay-{uuid.uuid4().hex[:8]}"
    # an hour of events observed two to one hours ago, and 400 from three days ago
    hour = [_event(i, NOW - dt.timedelta(hours=2) + dt.timedelta(seconds=1.2 * i)) for i in range(3000)]
    old = [_event(i, NOW - dt.timedelta(days=3, seconds=7 * i)) for i in range(400)]
    committed = hour + old
    config = StreamConfig(client_id=client_id, dedupe_capacity=500)   # far fewer ids than the replay
    try:
        first = _run_until(StreamConsumer(settings, config), settings,
                           [(t, events.encode(ev)) for t, ev in committed])
        assert first["events"] == len(committed) == len({ev["eventId"] for _, ev in committed})
        last_batch = first["batch_sequence"]

        # the restart, then the same events published again (new publishedAt), and a few new ones
        new = [_event(i, NOW - dt.timedelta(seconds=i)) for i in range(200)]
        restarted = StreamConsumer(settings, config)
        assert restarted.batch == last_batch
        replay = [(t, events.encode(ev)) for t, ev in committed + new]
        second = _run_until(restarted, settings, replay)
    finally:
        drop_session(settings, client_id)

    assert second["events"] == len(new) and second["duplicates"] == len(committed)
    assert restarted.seen_ids.lookups > 0 and restarted.seen_ids.rows_read >= len(committed)
    table = delta.read_arrow(events_uri(settings), columns=["event_id", "_batch"])
    ids = table["event_id"].to_pylist()
    assert len(ids) == len(set(ids)) == len(committed) + len(new)
    after_restart = table.filter(pc.greater(table["_batch"], last_batch))["event_id"].to_pylist()
    assert sorted(after_restart) == sorted(ev["eventId"] for _, ev in new)


@pytest.mark.parametrize("age", [dt.timedelta(hours=1), dt.timedelta(days=3)])
def test_replayed_duplicates_are_found_in_bronze_by_minute_not_in_memory(mqtt, tmp_path, age):
    """The lookup itself, with nothing remembered: a fresh consumer asks bronze for each minute."""
    settings = Settings(lakehouse_override=str(tmp_path / "lakehouse"))
    client_id = f"citylake-lookup-{uuid.uuid4().hex[:8]}"
    batch = [_event(i, NOW - age - dt.timedelta(seconds=11 * i)) for i in range(300)]
    try:
        _run_until(StreamConsumer(settings, StreamConfig(client_id=client_id)), settings,
                   [(t, events.encode(ev)) for t, ev in batch[::2]])
    finally:
        drop_session(settings, client_id)
    fresh = StreamConsumer(settings, StreamConfig(client_id=client_id))
    rows = [events.parse(events.encode(ev), t) for t, ev in batch]
    table = delta.table(events_uri(settings))
    assert fresh.seen_ids.committed_ids(table, rows) == {ev["eventId"] for _, ev in batch[::2]}
    minutes = {r["date_observed"].replace(second=0, microsecond=0) for r in rows}
    assert fresh.seen_ids.lookups == 1 and len(minutes) > 1   # one scan for all the batch's minutes
