"""The fleet simulator against the real Mosquitto: paced rate, valid events, motorbikes, bad messages."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections import Counter

import paho.mqtt.client as mqtt
import pytest

from citylake import events
from citylake.services import mosquitto
from simulators.fleet import FleetSimulator, in_rush_hour, registry_cameras


@pytest.fixture(scope="module")
def cameras():
    return registry_cameras(200)


class Listener:
    """A plain QoS 1 subscriber that keeps every message it gets."""

    def __init__(self, settings):
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"test-fleet-{time.time_ns()}")
        self.client.username_pw_set(*settings.mqtt_credentials(mosquitto.INGEST))
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *a: self._ready.set()
        self.client.connect("127.0.0.1", settings.mqtt_port)
        self.client.subscribe(events.SUBSCRIPTION, qos=1)
        self.client.loop_start()
        assert self._ready.wait(10), "no SUBACK"

    def _on_message(self, client, userdata, msg):
        with self._lock:
            self.messages.append((msg.topic, msg.payload))

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)                      # anything beyond the expected count shows up too
        self.client.disconnect()
        self.client.loop_stop()
        return list(self.messages)


def _parse_all(messages):
    rows, rejected = [], []
    for topic_name, payload in messages:
        try:
            rows.append(events.parse(payload, topic_name))
        except events.InvalidEvent as exc:
            rejected.append(exc.reason)
    return rows, rejected


def test_live_rate_valid_events_and_motorbikes(mqtt, cameras):
    listener = Listener(mqtt)
    sim = FleetSimulator(mqtt, cameras, rate_per_camera=2.0, seed=7, progress=None)
    seconds, target = 4.0, len(cameras) * 2.0
    # the simulated clock starts at yesterday's 11:00 in Ho Chi Minh City: what the cameras see
    # depends on the local hour, so a run at midnight must not test a near-empty street
    local_11 = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=7)).replace(hour=11, minute=0, second=0, microsecond=0)
    start = local_11 - dt.timedelta(days=1, hours=7)
    started = time.monotonic()
    stats = sim.run(seconds=seconds, start=start)
    wall = time.monotonic() - started
    messages = listener.wait_for(stats.published)

    expected = target * seconds
    assert abs(stats.published - expected) <= 0.1 * expected
    assert abs(stats.achieved_rate - target) <= 0.1 * target, stats.line()
    assert wall < seconds * 1.1 + 1.5, f"the schedule ran {wall:.1f}s for {seconds}s"
    assert stats.acked == stats.published
    assert len(messages) == stats.published

    rows, rejected = _parse_all(messages)
    assert rejected == []
    ids = [r["event_id"] for r in rows]
    assert len(set(ids)) == len(ids)
    assert {r["camera_id"] for r in rows} == {c["camera_id"] for c in cameras}
    by_camera = Counter(r["camera_id"] for r in rows)
    assert max(by_camera.values()) - min(by_camera.values()) <= 1        # every camera at the same rate
    for row in rows:
        assert row["published_at"] >= row["date_observed"] - dt.timedelta(milliseconds=50)

    payloads = [json.loads(r["payload"]) for r in rows]
    vehicles = Counter()
    for p in payloads:
        if p["type"] == "TrafficFlowObserved":
            vehicles.update(p["vehicleCounts"])
            assert p["source"] == "simulator"
    assert sum(vehicles.values()) >= 100, vehicles
    share = vehicles["motorcycle"] / sum(vehicles.values())
    assert 0.75 <= share <= 0.95, vehicles
    assert vehicles["motorcycle"] > 5 * vehicles["car"]
    types = Counter(p["type"] for p in payloads)
    assert types["TrafficFlowObserved"] and types["CrowdFlowObserved"], types


def test_malformed_and_duplicate_messages(mqtt, cameras):
    listener = Listener(mqtt)
    sim = FleetSimulator(mqtt, cameras, rate_per_camera=5.0, seed=11, malformed_fraction=0.15,
                         duplicate_fraction=0.05, progress=None)
    stats = sim.run(events=2000)
    messages = listener.wait_for(stats.published)
    assert len(messages) == stats.published == 2000

    rows, rejected = _parse_all(messages)
    assert len(rejected) == stats.malformed and 200 <= stats.malformed <= 400
    reasons = " | ".join(rejected)
    for fragment in ("not JSON", "unsupported schemaVersion", "schema:", "does not match camera"):
        assert fragment in reasons
    ids = Counter(r["event_id"] for r in rows)
    assert sum(n - 1 for n in ids.values()) == stats.duplicates and stats.duplicates >= 50


def test_replay_is_deterministic_with_rush_hours_jams_and_alerts(mqtt, cameras):
    end = dt.datetime(2025, 7, 1, 17, 0, tzinfo=dt.UTC)            # midnight in Ho Chi Minh City
    first = [e for _, _, e in FleetSimulator(mqtt, cameras[:60], seed=3).replay_windows(24, end)]
    again = [e for _, _, e in FleetSimulator(mqtt, cameras[:60], seed=3).replay_windows(24, end)]
    other = [e for _, _, e in FleetSimulator(mqtt, cameras[:60], seed=4).replay_windows(24, end)]
    assert first == again
    assert first != other
    # the same window is the same event whatever range it is replayed in (ids and contents)
    later = FleetSimulator(mqtt, cameras[:60], seed=3).replay_windows(2, end + dt.timedelta(hours=1))
    overlap = [e for _, _, e in later]
    shared = {e["eventId"]: e for e in overlap if e["dateObserved"] <= events.iso(end)}
    assert len(shared) > 60 * 12
    assert all(shared[e["eventId"]] == e for e in first if e["eventId"] in shared)
    assert sum(e["eventId"] in shared for e in first) == len(shared)
    assert len({e["eventId"] for e in first}) == len(first)

    flows = [e for e in first if e["type"] == "TrafficFlowObserved"]
    assert {e["dateObserved"][14:16] for e in flows} <= {f"{m:02d}" for m in range(0, 60, 5)}

    def observed(e):
        return dt.datetime.fromisoformat(e["dateObserved"].replace("Z", "+00:00"))

    rush = [e for e in flows if in_rush_hour(observed(e))]
    night = [e for e in flows if 1 <= observed(e).astimezone(dt.timezone(dt.timedelta(hours=7))).hour < 4]
    mean = lambda es: sum(e["intensity"] for e in es) / len(es)  # noqa: E731
    assert mean(rush) > 4 * mean(night)
    assert sum(e["congested"] for e in rush) / len(rush) > 5 * max(sum(e["congested"] for e in night), 1) / len(night)
    crowd = [e for e in first if e["type"] == "CrowdFlowObserved"]
    assert 0 < sum(e["congested"] for e in crowd) < 0.05 * len(crowd)      # rarely above the threshold
    alerts = Counter(e["subCategory"] for e in first if e["type"] == "Alert")
    assert {"trafficJam", "carStopped", "crowdAboveThreshold"} <= set(alerts), alerts

    # and on the bus: two hours of 20 cameras, flat out, all acknowledged and all valid
    listener = Listener(mqtt)
    stats = FleetSimulator(mqtt, cameras[:20], seed=3, progress=None).replay(hours=2, end=end)
    messages = listener.wait_for(stats.published)
    rows, rejected = _parse_all(messages)
    assert rejected == [] and len(rows) == stats.published == stats.acked
    assert stats.by_type["TrafficFlowObserved"] >= 20 * 24 * 0.5
