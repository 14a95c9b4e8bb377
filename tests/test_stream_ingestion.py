"""Stream ingestion against a real Mosquitto: exactly once through a SIGKILL, dead letters, compaction.

The consumer runs as a subprocess with small batches and its acks held for a second after every
commit (CITYLAKE_STREAM_PAUSE_AFTER_COMMIT); it is SIGKILLed inside that window — the batch is in
Delta but the broker has no PUBACK for it — while the publisher is still sending. The restarted
consumer gets the batch again plus everything queued meanwhile, and the table must hold every
event exactly once.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pyarrow.compute as pc
import pytest

from citylake import delta, events
from citylake.services import mosquitto
from citylake.settings import Settings
from ingestion.stream.compaction import compact
from ingestion.stream.consumer import (
    StreamConfig,
    StreamConsumer,
    dead_letter_uri,
    drop_session,
    events_uri,
    message_hash,
)

REPO = Path(__file__).resolve().parent.parent
CAMERAS = 200
VALID = 20_000


def _valid_events(base: dt.datetime, n: int = VALID) -> list[tuple[str, dict]]:
    """``n`` events from 200 cameras, 15 s apart per camera (20,000: 25 minutes)."""
    out = []
    for i in range(n):
        cam, k = f"HCM-CAM-{i % CAMERAS:04d}", i // CAMERAS
        end = base + dt.timedelta(seconds=15 * k)
        lon, lat = 106.6 + (i % CAMERAS) / 1000, 10.7 + (i % CAMERAS) / 2000
        if k % 10 < 7:
            ev = events.traffic_flow(cam, end - dt.timedelta(seconds=15), end,
                                     {"motorcycle": 20 + i % 30, "car": i % 5, "bus": i % 2}, lon, lat,
                                     congested=i % 11 == 0)
        elif k % 10 < 9:
            ev = events.crowd_flow(cam, end - dt.timedelta(seconds=15), end, i % 60, lon, lat, threshold=50)
        else:
            ev = events.alert(cam, end, "traffic", "carStopped", lon, lat, description="xe dừng quá 60 s")
        out.append((events.topic(cam, ev["type"]), ev))
    return out


def _malformed(base: dt.datetime) -> list[tuple[str, bytes, str]]:
    """(topic, payload, the words the dead-letter reason must contain), 10 of each kind."""
    out = []
    for i in range(10):
        cam = f"HCM-BAD-{i:03d}"
        end = base + dt.timedelta(seconds=i)
        crowd = events.crowd_flow(cam, end - dt.timedelta(seconds=15), end, 5, 106.7, 10.8, threshold=50)
        out.append((events.topic(cam, "CrowdFlowObserved"), b'{"schemaVersion": "1.0", "eventId": "%d' % i,
                    "not JSON"))
        out.append((events.topic(cam, "CrowdFlowObserved"), b"\xff\xfe\x00binary %d" % i, "not JSON"))
        out.append((events.topic(cam, "CrowdFlowObserved"), events.encode(dict(crowd, schemaVersion="2.0")),
                    "unsupported schemaVersion '2.0'"))
        out.append((events.topic(cam, "CrowdFlowObserved"), events.encode(dict(crowd, peopleCount=-1 - i)),
                    "peopleCount must be bigger than or equal to 0"))
        out.append((events.topic(f"HCM-OTHER-{i:03d}", "CrowdFlowObserved"), events.encode(crowd),
                    "does not match camera"))
    return out


class _Lines:
    """A subprocess's output, line by line, in a queue (and kept whole for error messages)."""

    def __init__(self, proc: subprocess.Popen):
        self.queue: queue.Queue[str] = queue.Queue()
        self.all: list[str] = []
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc):
        for line in proc.stdout:
            self.all.append(line)
            self.queue.put(line)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no {pattern!r} within {timeout}s:\n{''.join(self.all[-30:])}")


def _publish(settings: Settings, messages: list[tuple[str, bytes]], rate: float, done: threading.Event):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-publisher-{uuid.uuid4().hex[:6]}")
    client.username_pw_set(*settings.mqtt_credentials(mosquitto.FLEET))
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", settings.mqtt_port)
    client.loop_start()
    started, infos = time.monotonic(), []
    for n, (topic_name, payload) in enumerate(messages):
        infos.append(client.publish(topic_name, payload, qos=1))
        ahead = started + n / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
    for info in infos:
        info.wait_for_publish(60)
    client.disconnect()
    client.loop_stop()
    done.set()


def _txn_versions(uri: str) -> list[tuple[str, int]]:
    """(appId, version) of every app transaction action, in commit order, from the Delta log itself."""
    out = []
    logs = sorted(Path(uri, "_delta_log").glob("*.json"), key=lambda p: int(p.stem))
    for path in logs:
        for line in path.read_text().splitlines():
            action = json.loads(line)
            if "txn" in action:
                out.append((action["txn"]["appId"], action["txn"]["version"]))
    return out


@pytest.fixture(scope="module")
def killed_and_restarted(mqtt, tmp_path_factory):
    settings = Settings(lakehouse_override=str(tmp_path_factory.mktemp("stream") / "lakehouse"))
    client_id = f"citylake-test-{uuid.uuid4().hex[:8]}"  # a fresh broker session every run
    midnight = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    base = midnight - dt.timedelta(minutes=10)  # across midnight UTC: two partitions
    valid = _valid_events(base)
    malformed = _malformed(base)
    rng = random.Random(4)
    messages = [(t, events.encode(ev)) for t, ev in valid]
    exact = rng.sample(messages, 300)                                       # the same bytes twice
    retried = [(t, events.encode(ev)) for t, ev in rng.sample(valid, 300)]  # re-sent: new publishedAt
    extras = exact + retried + [(t, p) for t, p, _ in malformed]
    for item in extras:
        messages.insert(rng.randrange(len(messages) // 10, len(messages)), item)

    cmd = [sys.executable, "-m", "ingestion.stream.consumer", "--client-id", client_id,
           "--max-events", "500", "--max-seconds", "0.2"]
    env = {**os.environ, **settings.env(), "PYTHONUNBUFFERED": "1"}
    first = subprocess.Popen(cmd, cwd=REPO, env={**env, "CITYLAKE_STREAM_PAUSE_AFTER_COMMIT": "1"},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    second = None
    try:
        lines = _Lines(first)
        lines.wait_for(r"subscribed to", 30)
        published = threading.Event()
        publisher = threading.Thread(target=_publish, args=(settings, messages, 4000, published), daemon=True)
        publisher.start()
        for _ in range(2):
            lines.wait_for(r"batch \d+ committed", 30)
        held = lines.wait_for(r"batch (\d+) committed \((\d+) events, (\d+) dead letters\); acks held", 30)
        first.send_signal(signal.SIGKILL)  # inside the window: committed to Delta, not acknowledged
        first.wait(10)
        killed_batch, killed_events, killed_dead = (int(g) for g in held.groups())
        still_publishing = not published.is_set()
        committed_at_kill = delta.table(events_uri(settings)).transaction_version(client_id)

        second = subprocess.Popen(cmd + ["--until-idle", "4"], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        second_lines = _Lines(second)
        publisher.join(60)
        assert published.is_set(), "the publisher did not finish"
        assert second.wait(60) == 0, "".join(second_lines.all[-30:])
        time.sleep(0.2)
        final = "".join(second_lines.all)
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
    yield {"settings": settings, "client_id": client_id, "valid": valid, "malformed": malformed,
            "killed_batch": killed_batch, "killed_size": killed_events + killed_dead,
            "committed_at_kill": committed_at_kill, "still_publishing": still_publishing,
            "second_log": final}
    drop_session(settings, client_id)  # or the broker keeps queueing every camera event for it


def test_sigkill_mid_batch_then_restart_lands_every_event_exactly_once(killed_and_restarted):
    run = killed_and_restarted
    settings, client_id = run["settings"], run["client_id"]
    # the kill hit the worst case: the batch was committed, its acks not sent, messages still coming
    assert run["killed_batch"] >= 3 and run["committed_at_kill"] == run["killed_batch"]
    assert run["still_publishing"]
    # … and the restarted consumer got that batch again from the broker and dropped it
    resumed = re.search(r"resuming \S+ after batch (\d+)", run["second_log"])
    assert resumed and int(resumed.group(1)) == run["killed_batch"]
    dropped = [int(n) for n in re.findall(r"(\d+) duplicates dropped", run["second_log"])]
    assert dropped and dropped[-1] >= run["killed_size"] > 0

    table = delta.read_arrow(events_uri(settings))
    ids = {ev["eventId"] for _, ev in run["valid"]}
    assert table.num_rows == len(ids) == VALID
    assert set(table["event_id"].to_pylist()) == ids
    assert set(table["event_date"].to_pylist()) == {ev["dateObserved"][:10] for _, ev in run["valid"]}
    assert table.schema.remove_metadata() == events.BRONZE_SCHEMA
    ingested = table["_ingested_at"].to_pylist()
    assert all(i >= p for i, p in zip(ingested, table["published_at"].to_pylist()))

    dead = delta.read_arrow(dead_letter_uri(settings))
    assert dead.num_rows == len(run["malformed"]) == 50
    by_hash = {r["message_hash"]: r for r in dead.to_pylist()}
    for topic_name, payload, words in run["malformed"]:
        row = by_hash[message_hash(topic_name, payload)]
        assert words in row["reason"], (row["reason"], words)
        assert row["topic"] == topic_name and row["consumer_id"] == client_id
        stored = (base64.b64decode(row["payload"]) if row["payload_encoding"] == "base64"
                  else row["payload"].encode())
        assert stored == payload
    assert {r["payload_encoding"] for r in by_hash.values()} == {"utf-8", "base64"}

    # app transactions: one per commit, strictly increasing per table, no batch sequence reused
    for uri in (events_uri(settings), dead_letter_uri(settings)):
        txns = _txn_versions(uri)
        assert txns and {app for app, _ in txns} == {client_id}
        versions = [v for _, v in txns]
        assert versions == sorted(set(versions))
        assert delta.table(uri).transaction_version(client_id) == versions[-1]
    batches = set(table["_batch"].to_pylist()) | set(dead["_batch"].to_pylist())
    assert batches == {v for _, v in _txn_versions(events_uri(settings)) + _txn_versions(dead_letter_uri(settings))}
    assert batches == set(range(1, max(batches) + 1))  # a batch with nothing new commits nothing


def test_compaction_keeps_rows_and_reduces_files(killed_and_restarted):
    settings = killed_and_restarted["settings"]
    uris = {"bronze/cameras/events": events_uri(settings),
            "bronze/cameras/events_dead_letter": dead_letter_uri(settings)}
    before = {name: delta.read_arrow(uri) for name, uri in uris.items()}
    txn_before = delta.table(uris["bronze/cameras/events"]).transaction_version(killed_and_restarted["client_id"])
    with pytest.raises(ValueError, match="vacuum retention"):
        compact(settings, vacuum_retention_hours=1)

    result = compact(settings)

    for name, uri in uris.items():
        r = result[name]
        partitions = {p for p in before[name][
            "event_date" if name.endswith("events") else "received_date"].to_pylist()}
        assert r["files_before"] > r["files_after"] == len(partitions), (name, r)
        assert len(delta.table(uri).file_uris()) == r["files_after"]
        key = "event_id" if name.endswith("events") else "message_hash"
        after = delta.read_arrow(uri)
        assert after.sort_by(key).equals(before[name].sort_by(key).select(after.column_names))
    # the consumer's sequence survives the rewrite
    assert delta.table(uris["bronze/cameras/events"]).transaction_version(
        killed_and_restarted["client_id"]) == txn_before


def test_library_api_reports_latency_and_stops_on_request(mqtt, tmp_path):
    """What the benchmark drives: StreamConsumer(...).run(stop) in-process, then stats()."""
    settings = Settings(lakehouse_override=str(tmp_path / "lakehouse"))
    client_id = f"citylake-test-{uuid.uuid4().hex[:8]}"
    consumer = StreamConsumer(settings, StreamConfig(client_id=client_id))
    stop = threading.Event()
    result: dict = {}
    runner = threading.Thread(target=lambda: result.update(consumer.run(stop)), daemon=True)
    runner.start()
    assert consumer._subscribed.wait(30)
    now = dt.datetime.now(dt.UTC)
    messages = [(t, events.encode(ev)) for t, ev in _valid_events(now, 3000)]
    done = threading.Event()
    _publish(settings, messages, 3000, done)
    deadline = time.monotonic() + 30
    while consumer.stats()["events"] < 3000 and time.monotonic() < deadline:
        time.sleep(0.1)
    stop.set()
    runner.join(30)
    drop_session(settings, client_id)
    assert not runner.is_alive()
    assert result["events"] == 3000 and result["dead_letters"] == 0
    assert 0 < result["latency_p50_s"] <= result["latency_p95_s"] < 5
    table = delta.read_arrow(events_uri(settings), columns=["published_at", "_ingested_at"])
    assert table.num_rows == 3000
    assert not pc.any(pc.less(table["_ingested_at"], table["published_at"])).as_py()
