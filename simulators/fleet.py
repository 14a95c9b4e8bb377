"""The fleet simulator: 1,000+ cameras' events on the bus at a chosen rate, for demos and load tests.

Each camera publishes ``rate_per_camera`` events per second at QoS 1, in the v1 schema
(:mod:`citylake.events`), as its edge analytics would: ``TrafficFlowObserved`` for every interval
(motorbikes 80–90 % of the vehicles; morning and evening rush hours in Asia/Ho_Chi_Minh with more
traffic and some congestion), ``CrowdFlowObserved`` for crowd profiles (rarely above the camera's
threshold) and, now and then, an ``Alert`` (trafficJam, carStopped, crowdAboveThreshold,
civilDisorder). The output is deterministic given the seed and the start time: event ``n`` of the
fleet is due at ``start + n / (cameras × rate)``, which fixes its camera (``n mod cameras``), its
observation time and so its event id. What a camera reports for a window depends only on the seed,
the camera and the window (counts from a generator keyed by the window, incidents from the camera's
plan for that day), so a window replayed twice, in overlapping ranges, is the same event: same id,
same content, and the consumer's de-duplication makes the second a no-op.

Two modes:

* :meth:`FleetSimulator.run` — live, paced on a schedule (no drift, no bursts beyond one tick),
  reporting the achieved rate against the target, and how many messages the broker acknowledged.
* :meth:`FleetSimulator.replay` — a simulated time range (e.g. the last 24 hours of 5-minute
  flows) as fast as the broker takes it: the demo fills the camera tables with a day of history.

``malformed_fraction`` and ``duplicate_fraction`` turn that share of the messages into payloads a
consumer must dead-letter, or into an edge retry of the camera's previous event (same event id):
what the ingestion's dead-letter table and de-duplication are there for.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import select
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

import numpy as np
import paho.mqtt.client as mqtt

from citylake import events
from citylake.services import mosquitto
from citylake.settings import Settings

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PROFILES = ("traffic", "crowd", "traffic_crowd", "public_order")
RUSH_HOURS = ((6.5, 8.5), (16.5, 18.5))   # local time, hours
# a motorbike city: per-camera shares are drawn around these (motorcycle 80–90 %)
VEHICLE_MIX = {"motorcycle": 0.85, "car": 0.09, "bus": 0.01, "truck": 0.025, "bicycle": 0.025}
FLUSH_EVERY_S = 0.005                     # publishes leave the process in 5 ms batches (see _cork)
MAX_RATE_PER_CAMERA = 100.0               # event ids are per millisecond: keep one camera's events apart

# per-camera hazard rates, per hour
JAM_ONSET_RUSH, JAM_ONSET_OTHER, JAM_CLEAR = 1.2, 0.04, 3.0
CAR_STOPPED = 0.03
GATHERING_ONSET_EVENING, GATHERING_ONSET_OTHER, GATHERING_END = 0.05, 0.01, 4.0
CIVIL_DISORDER = 0.004


def registry_cameras(count: int = 1000, seed: int | None = None) -> list[dict]:
    """The same cameras as the registry source (``simulators.departments.cameras.generator.fleet``)."""
    from simulators.departments.cameras.generator import fleet

    return fleet(count) if seed is None else fleet(count, seed=seed)


def local_hour(ts: dt.datetime) -> float:
    local = ts.astimezone(LOCAL_TZ)
    return local.hour + local.minute / 60 + local.second / 3600


def in_rush_hour(ts: dt.datetime) -> bool:
    hour = local_hour(ts)
    return any(lo <= hour < hi for lo, hi in RUSH_HOURS)


# the share of a camera's peak traffic at each local hour: quiet nights, two rush hours, a busy day
_TRAFFIC_PROFILE = np.array([0.12, 0.08, 0.06, 0.06, 0.10, 0.30, 0.65, 1.00, 0.95, 0.70, 0.62, 0.65,
                             0.60, 0.58, 0.62, 0.70, 0.88, 1.00, 0.98, 0.80, 0.68, 0.55, 0.38, 0.22])
# people in view: evenings and lunchtime
_CROWD_PROFILE = np.array([0.10, 0.06, 0.04, 0.04, 0.08, 0.25, 0.45, 0.60, 0.55, 0.50, 0.55, 0.70,
                           0.75, 0.60, 0.55, 0.60, 0.70, 0.85, 0.95, 1.00, 1.00, 0.90, 0.60, 0.30])


def _profile(table: np.ndarray, ts: dt.datetime) -> float:
    """Linear interpolation of an hourly profile at a local time."""
    hour = local_hour(ts)
    lo = int(hour) % 24
    frac = hour - int(hour)
    return float(table[lo] * (1 - frac) + table[(lo + 1) % 24] * frac)


def _chance(rate_per_hour: float, seconds: float) -> float:
    return 1.0 - math.exp(-rate_per_hour * seconds / 3600.0)


class DayPlan:
    """One camera's incidents over one local day: when jams and gatherings start and end, when a
    vehicle stops or a disorder is reported. A function of (seed, camera, day) only, so live and
    replay, or two replays of overlapping ranges, see the same incidents with the same event ids."""

    def __init__(self, model: CameraModel, day: dt.date):
        rng = np.random.Generator(np.random.PCG64([model.seed, model.key, day.toordinal()]))
        self.midnight = dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
        self.next_midnight = self.midnight + dt.timedelta(days=1)      # no DST in Viet Nam
        minutes = 24 * 60
        hours = np.arange(minutes) / 60
        rush = np.zeros(minutes, dtype=bool)
        for lo, hi in RUSH_HOURS:
            rush |= (hours >= lo) & (hours < hi)
        evening = (hours >= 17) & (hours < 22)
        jam_on = np.where(rush, JAM_ONSET_RUSH, JAM_ONSET_OTHER) * model.jam_prone
        crowd_on = np.where(evening, GATHERING_ONSET_EVENING, GATHERING_ONSET_OTHER)
        # plain Python lists: the chain below is a sequential loop, and numpy scalars are slow there
        draw_jam, draw_crowd = rng.random((2, minutes)).tolist()
        seconds = rng.integers(0, 60, size=minutes).tolist()
        p_jam_on = (1 - np.exp(-jam_on / 60)).tolist()
        p_crowd_on = (1 - np.exp(-crowd_on / 60)).tolist()
        p_jam_off, p_crowd_off = _chance(JAM_CLEAR, 60), _chance(GATHERING_END, 60)
        crowd = model.profile != "traffic"
        jam_state, gathering_state = [False] * minutes, [False] * minutes
        onsets: list[tuple[int, str]] = []
        jam = gathering = False
        for m in range(minutes):
            if jam:
                jam = draw_jam[m] >= p_jam_off
            elif draw_jam[m] < p_jam_on[m]:
                jam = True
                onsets.append((m, "trafficJam"))
            jam_state[m] = jam
            if crowd:
                if gathering:
                    gathering = draw_crowd[m] >= p_crowd_off
                elif draw_crowd[m] < p_crowd_on[m]:
                    gathering = True
                    onsets.append((m, "crowdAboveThreshold"))
                gathering_state[m] = gathering
        self.jam, self.gathering = jam_state, gathering_state
        rare = [("carStopped", CAR_STOPPED)]
        if model.profile == "public_order":
            rare.append(("civilDisorder", CIVIL_DISORDER))
        for kind, rate in rare:
            onsets.extend((int(m), kind) for m in np.flatnonzero(rng.random(minutes) < _chance(rate, 60)))
        self.alerts: list[tuple[dt.datetime, str]] = sorted(
            (self.midnight + dt.timedelta(minutes=m, seconds=seconds[m]), kind) for m, kind in onsets)

    def minute(self, ts: dt.datetime) -> int:
        return min(int((ts - self.midnight).total_seconds() // 60), 24 * 60 - 1)


class CameraModel:
    """One camera's analytics output. What it observes in a window is a function of (seed, camera,
    window) alone — its counts from a generator keyed by the window, its incidents from its
    :class:`DayPlan` — so the same window always gives the same event."""

    def __init__(self, camera: dict, seed: int):
        self.camera = camera
        self.id = str(camera["camera_id"])
        self.lon = float(camera["longitude"])
        self.lat = float(camera["latitude"])
        self.profile = camera.get("analytics_profile", "traffic")
        if self.profile not in PROFILES:
            raise ValueError(f"camera {self.id}: unknown analytics_profile {self.profile!r}")
        self.threshold = int(camera.get("crowd_threshold") or 50)
        self.seed, self.key = int(seed), zlib.crc32(self.id.encode())
        rng = np.random.Generator(np.random.PCG64([self.seed, self.key]))
        # vehicles per hour at the peak: side streets to arterials
        self.peak_per_hour = float(np.clip(rng.lognormal(math.log(3500), 0.55), 400, 15000))
        motorcycle = float(rng.uniform(0.80, 0.90))
        rest = {k: v * rng.uniform(0.6, 1.4) for k, v in VEHICLE_MIX.items() if k != "motorcycle"}
        scale = (1 - motorcycle) / sum(rest.values())
        self.mix = np.array([motorcycle] + [rest[k] * scale for k in events.VEHICLE_TYPES[1:]])
        self.jam_prone = float(rng.uniform(0.3, 1.7))
        self.free_speed = float(rng.uniform(22, 38))
        self.crowd_base = self.threshold * float(rng.uniform(0.15, 0.45))
        self._plans: dict[dt.date, DayPlan] = {}
        self._last_plan: DayPlan | None = None
        self._bits = np.random.PCG64(0)
        self._gen = np.random.Generator(self._bits)
        self._inc = (self.key << 1) | 1
        self.pending: list[dict] = []
        self.last_end: dict[str, dt.datetime] = {}
        self.last_event: dict | None = None
        self.slot = 0

    def plan(self, ts: dt.datetime) -> DayPlan:
        last = self._last_plan
        if last is not None and last.midnight <= ts < last.next_midnight:
            return last
        day = ts.astimezone(LOCAL_TZ).date()
        plan = self._plans.get(day)
        if plan is None:
            if len(self._plans) > 2:
                self._plans.pop(min(self._plans))
            plan = self._plans[day] = DayPlan(self, day)
        self._last_plan = plan
        return plan

    def _rng(self, kind: int, end: dt.datetime) -> np.random.Generator:
        """The window's own generator: PCG64 set to a hash of (seed, camera, kind, window end) —
        a state assignment, cheaper than seeding a new generator for every event."""
        key = f"{self.seed}|{self.key}|{kind}|{round(end.timestamp() * 1000)}".encode()
        state = int.from_bytes(hashlib.blake2b(key, digest_size=16).digest(), "little")
        self._bits.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": self._inc},
                            "has_uint32": 0, "uinteger": 0}
        return self._gen

    def _alerts(self, start: dt.datetime, end: dt.datetime, kinds: tuple[str, ...]) -> list[tuple[dt.datetime, str]]:
        """Planned incidents of these kinds in (start, end]."""
        out = []
        for plan in {id(p): p for p in (self.plan(start), self.plan(end))}.values():
            out.extend((t, k) for t, k in plan.alerts if start < t <= end and k in kinds)
        return sorted(out)

    # -- the observations ------------------------------------------------------------------------
    def traffic(self, start: dt.datetime, end: dt.datetime) -> dict:
        rng = self._rng(0, end)
        seconds = max((end - start).total_seconds(), 0.001)
        plan = self.plan(end)
        jammed = bool(plan.jam[plan.minute(end)])
        middle = start + (end - start) / 2
        load = _profile(_TRAFFIC_PROFILE, middle)
        expected = self.peak_per_hour * load * seconds / 3600 * (0.7 if jammed else 1.0)  # a jam moves fewer
        split = rng.multinomial(int(rng.poisson(expected)), self.mix)
        counts = dict(zip(events.VEHICLE_TYPES, (int(x) for x in split)))
        if jammed:
            speed, occupancy = float(rng.uniform(3, 12)), float(rng.uniform(0.6, 0.95))
            stopped = int(rng.poisson(2))
        else:
            speed = float(max(8.0, self.free_speed * (1.05 - 0.35 * load) + rng.normal(0, 2)))
            occupancy = min(max(0.05 + 0.35 * load + float(rng.normal(0, 0.03)), 0.0), 0.55)
            stopped = 0
        for issued, kind in self._alerts(start, end, ("trafficJam", "carStopped")):
            if kind == "carStopped":
                stopped += 1
                self.pending.append(events.alert(
                    self.id, issued, "traffic", "carStopped", self.lon, self.lat, severity="medium",
                    description="Xe dừng đỗ bất thường / vehicle stopped in a traffic lane", source="simulator"))
            else:
                self.pending.append(events.alert(
                    self.id, issued, "traffic", "trafficJam", self.lon, self.lat,
                    severity="high" if in_rush_hour(issued) else "medium",
                    description="Ùn tắc giao thông / traffic jam", source="simulator"))
        return events.traffic_flow(self.id, start, end, counts, self.lon, self.lat, congested=jammed,
                                   average_speed_kmh=round(speed, 1), occupancy=round(occupancy, 3),
                                   stopped_vehicles=stopped, source="simulator")

    def crowd(self, start: dt.datetime, end: dt.datetime) -> dict:
        rng = self._rng(1, end)
        plan = self.plan(end)
        if plan.gathering[plan.minute(end)]:
            people = int(self.threshold * rng.uniform(1.05, 1.6))
        else:
            people = int(min(rng.poisson(self.crowd_base * _profile(_CROWD_PROFILE, end)), self.threshold))
        for issued, kind in self._alerts(start, end, ("crowdAboveThreshold", "civilDisorder")):
            if kind == "civilDisorder":
                self.pending.append(events.alert(
                    self.id, issued, "security", "civilDisorder", self.lon, self.lat, severity="high",
                    description="Gây rối trật tự công cộng / public-order incident", source="simulator"))
            else:
                self.pending.append(events.alert(
                    self.id, issued, "security", "crowdAboveThreshold", self.lon, self.lat, severity="high",
                    description=f"Tụ tập đông người / crowd above the threshold of {self.threshold}",
                    source="simulator"))
        capacity = max(self.threshold * 1.5, 1)
        return events.crowd_flow(self.id, start, end, people, self.lon, self.lat, threshold=self.threshold,
                                 occupancy=round(min(people / capacity, 1.0), 3), source="simulator")

    def _kinds(self) -> tuple[str, ...]:
        return {"traffic": ("traffic",), "crowd": ("crowd",), "traffic_crowd": ("traffic", "crowd"),
                "public_order": ("crowd",)}[self.profile]

    # -- live: one event per slot ----------------------------------------------------------------
    def next_live(self, observed: dt.datetime, interval: float) -> dict:
        """The camera's next message, observed at ``observed``: a pending alert, or the next flow
        (its window runs from the end of the previous flow of its kind, so windows tile time)."""
        if self.pending:
            return self.pending.pop(0)
        kinds = self._kinds()
        kind = kinds[self.slot % len(kinds)]
        self.slot += 1
        start = self.last_end.get(kind, observed - dt.timedelta(seconds=interval * len(kinds)))
        self.last_end[kind] = observed
        return self.traffic(start, observed) if kind == "traffic" else self.crowd(start, observed)

    # -- replay: every flow of a window, then its alerts -----------------------------------------
    def window(self, start: dt.datetime, end: dt.datetime) -> list[dict]:
        out = [self.traffic(start, end) if kind == "traffic" else self.crowd(start, end) for kind in self._kinds()]
        out.extend(self.pending)
        self.pending.clear()
        return out


def _malform(event: dict, rng: np.random.Generator, published: dt.datetime) -> tuple[str, bytes]:
    """A payload that ``citylake.events.parse`` must reject, and the topic it goes out on."""
    good_topic = events.topic(event["cameraId"], event["type"])
    kind = int(rng.integers(0, 6))
    if kind == 0:                                           # cut off mid-message
        payload = events.encode(event, published)
        return good_topic, payload[: max(1, len(payload) // 2)]
    if kind == 1:                                           # a future major version
        return good_topic, events.encode(dict(event, schemaVersion="2.0"), published)
    if kind == 2:                                           # a required field missing
        return good_topic, events.encode({k: v for k, v in event.items() if k != "dateObserved"}, published)
    if kind == 3:                                           # wrong camera on the topic
        return events.topic(event["cameraId"] + "-x", event["type"]), events.encode(event, published)
    if kind == 4:                                           # not a timestamp
        return good_topic, events.encode(dict(event, dateObserved="hôm qua"), published)
    if event["type"] == "TrafficFlowObserved":              # counts that do not add up
        return good_topic, events.encode(dict(event, intensity=event["intensity"] + 7), published)
    return good_topic, events.encode(dict(event, location={"type": "Point", "coordinates": [406.7, 10.8]}),
                                     published)


@dataclass
class FleetStats:
    """What a run did: published and acknowledged messages, the rate achieved against the target."""

    mode: str
    cameras: int
    target_rate: float | None
    published: int = 0
    acked: int = 0
    malformed: int = 0
    duplicates: int = 0
    elapsed_s: float = 0.0
    max_lag_s: float = 0.0                  # how far the publisher fell behind its schedule
    by_type: Counter = field(default_factory=Counter)
    vehicles: Counter = field(default_factory=Counter)
    first_observed: str | None = None
    last_observed: str | None = None

    @property
    def achieved_rate(self) -> float:
        return self.published / self.elapsed_s if self.elapsed_s else 0.0

    def as_dict(self) -> dict:
        out = asdict(self)
        out["by_type"], out["vehicles"] = dict(self.by_type), dict(self.vehicles)
        out["achieved_rate"] = round(self.achieved_rate, 1)
        return out

    def line(self) -> str:
        target = f" / target {self.target_rate:,.0f}" if self.target_rate else ""
        return (f"fleet {self.mode}: {self.published:,} events in {self.elapsed_s:.1f}s = "
                f"{self.achieved_rate:,.0f}/s{target}, acked {self.acked:,}, malformed {self.malformed:,}, "
                f"duplicates {self.duplicates:,}, max lag {self.max_lag_s:.2f}s")


def _cork(sock, on: bool) -> None:
    """TCP_CORK: the publishes of one tick go out together. A send to a corked socket is a copy into
    its buffer; uncorked, every QoS 1 publish was a loopback round of its own (~100 µs of CPU here)."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, int(on))
    except (AttributeError, OSError):       # not Linux, or a socket paho wrapped (TLS)
        pass


class _Publishers:
    """paho clients driven from the publishing thread itself (no network threads, no wake-up socket
    pair): each publish is written straight to the socket and the PUBACKs are read between bursts —
    about half the CPU per message of paho's threaded loop, which is what lets one Python process
    publish 2,000+/s at QoS 1 on a busy 2-core machine. A large in-flight window keeps the broker's
    round trips off the path."""

    def __init__(self, settings: Settings, count: int, name: str, max_inflight: int = 10000):
        self.acked = 0
        self._unflushed, self._flushed_at = 0, time.monotonic()
        self.port = settings.mqtt_port
        self.clients: list[mqtt.Client] = []
        for i in range(count):
            client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"{name}-{i}",
                                 protocol=mqtt.MQTTv311, clean_session=True)
            client.username_pw_set(*settings.mqtt_credentials(mosquitto.FLEET))
            client.max_inflight_messages_set(max_inflight)
            client.max_queued_messages_set(0)
            client.on_publish = self._on_publish
            try:
                client.connect("127.0.0.1", self.port, keepalive=60)
            except OSError as exc:
                self.close()
                raise ConnectionError(f"no Mosquitto on 127.0.0.1:{self.port}: {exc}") from None
            self.clients.append(client)
        deadline = time.monotonic() + 10
        while not all(c.is_connected() for c in self.clients):
            if time.monotonic() > deadline:
                self.close()
                raise ConnectionError(f"Mosquitto on 127.0.0.1:{self.port} did not accept the fleet")
            self.service(0.01)

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        self.acked += 1

    def publish(self, index: int, topic: str, payload: bytes) -> None:
        info = self.clients[index % len(self.clients)].publish(topic, payload, qos=1)
        self._unflushed += 1
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise ConnectionError(f"publish failed: {mqtt.error_string(info.rc)}")

    def service(self, timeout: float = 0.0) -> None:
        """Read acknowledgements, flush what is queued, keep alive; wait up to ``timeout`` seconds.
        paho's external-loop API (``loop_read``/``loop_write``/``loop_misc``): unlike ``loop()``
        it creates no wake-up socket pair, which costs a second syscall per publish."""
        socks = {c.socket(): c for c in self.clients if c.socket() is not None}
        now = time.monotonic()
        if self._unflushed and (self._unflushed >= 500 or now - self._flushed_at >= FLUSH_EVERY_S):
            for sock in socks:       # what was published since the last flush goes out as one segment
                _cork(sock, False)
                _cork(sock, True)
            self._unflushed, self._flushed_at = 0, now
        writes = [sock for sock, c in socks.items() if c.want_write()]
        try:
            readable, writable, _ = select.select(list(socks), writes, [], timeout)
        except (OSError, ValueError):
            readable, writable = [], []
        for sock, client in socks.items():
            rc = mqtt.MQTT_ERR_SUCCESS
            if sock in readable:
                rc = client.loop_read()
            if rc == mqtt.MQTT_ERR_SUCCESS and sock in writable:
                rc = client.loop_write()
            if rc == mqtt.MQTT_ERR_SUCCESS:
                rc = client.loop_misc()
            if rc in (mqtt.MQTT_ERR_CONN_LOST, mqtt.MQTT_ERR_NO_CONN):
                self._reconnect(client)
        for client in self.clients:
            if client.socket() is None:
                self._reconnect(client)

    @staticmethod
    def _reconnect(client: mqtt.Client) -> None:
        try:                                   # paho resends the un-acked QoS 1 messages
            client.reconnect()
        except OSError:
            time.sleep(0.5)

    def wait_acked(self, published: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.acked < published and time.monotonic() < deadline:
            self.service(0.01)

    def close(self) -> None:
        for client in self.clients:
            if client.socket() is not None:
                _cork(client.socket(), False)
            client.disconnect()


class FleetSimulator:
    """Publishes a camera fleet's events to the deployment's Mosquitto (see the module docstring)."""

    def __init__(self, settings: Settings, cameras: list[dict] | None = None, rate_per_camera: float = 2.0,
                 seed: int = 20250701, malformed_fraction: float = 0.0, duplicate_fraction: float = 0.0,
                 clients: int = 1, progress: Callable[[str], None] | None = print, progress_every: float = 5.0):
        if cameras is None:
            cameras = registry_cameras()
        if not cameras:
            raise ValueError("no cameras")
        if not 0 < rate_per_camera <= MAX_RATE_PER_CAMERA:
            raise ValueError(f"rate_per_camera must be in (0, {MAX_RATE_PER_CAMERA}]")
        if not (0 <= malformed_fraction <= 1 and 0 <= duplicate_fraction <= 1
                and malformed_fraction + duplicate_fraction <= 1):
            raise ValueError("malformed_fraction and duplicate_fraction are shares of the messages")
        self.settings = settings
        self.cameras = list(cameras)
        self.rate_per_camera = float(rate_per_camera)
        self.seed = int(seed)
        self.malformed_fraction = float(malformed_fraction)
        self.duplicate_fraction = float(duplicate_fraction)
        self.clients = clients
        self.progress = progress
        self.progress_every = progress_every

    @property
    def target_rate(self) -> float:
        return len(self.cameras) * self.rate_per_camera

    def _models(self) -> list[CameraModel]:
        return [CameraModel(camera, self.seed) for camera in self.cameras]

    def _say(self, text: str) -> None:
        if self.progress:
            self.progress(text)

    def _send(self, pubs: _Publishers, index: int, model: CameraModel, event: dict, rng: np.random.Generator,
              stats: FleetStats) -> None:
        """Publish one event, or its malformed / duplicated stand-in; count what went out."""
        now = dt.datetime.now(dt.UTC)
        draw = rng.random() if (self.malformed_fraction or self.duplicate_fraction) else 1.0
        if draw < self.malformed_fraction:
            topic, payload = _malform(event, rng, now)
            stats.malformed += 1
        elif draw < self.malformed_fraction + self.duplicate_fraction and model.last_event is not None:
            event = model.last_event                  # the edge retries its previous event: same id
            topic, payload = events.topic(event["cameraId"], event["type"]), events.encode(event, now)
            stats.duplicates += 1
        else:
            topic, payload = events.topic(event["cameraId"], event["type"]), events.encode(event, now)
            model.last_event = event
            stats.by_type[event["type"]] += 1
            if event["type"] == "TrafficFlowObserved":
                stats.vehicles.update(event["vehicleCounts"])
        pubs.publish(index, topic, payload)
        stats.published += 1
        stats.last_observed = event["dateObserved"]
        if stats.first_observed is None:
            stats.first_observed = event["dateObserved"]

    def run(self, seconds: float | None = None, events: int | None = None, *, start: dt.datetime | None = None,
            stop: threading.Event | None = None) -> FleetStats:
        """Publish live on the schedule for ``seconds`` (or ``events`` messages, or until ``stop`` is
        set). Event ``n`` is due at ``start + n / target_rate``."""
        total = events
        if total is None and seconds is not None:
            total = int(round(seconds * self.target_rate))
        if total is None and stop is None:
            raise ValueError("give seconds, events or a stop event")
        start = start or dt.datetime.now(dt.UTC)
        start = start.replace(microsecond=start.microsecond // 1000 * 1000)
        models = self._models()
        rng = np.random.default_rng([self.seed, 1])
        count, rate = len(models), self.target_rate
        interval = 1.0 / self.rate_per_camera
        stats = FleetStats("live", count, rate)
        for model in models:                 # the day plans before the clock starts, not during it
            model.plan(start)
            if total is not None:
                model.plan(start + dt.timedelta(seconds=total / rate))
        pubs = _Publishers(self.settings, self.clients, f"citylake-fleet-{self.seed}-{time.time_ns()}")
        t0 = time.monotonic()
        next_progress = t0 + self.progress_every
        n = 0
        try:
            while (total is None or n < total) and not (stop and stop.is_set()):
                now = time.monotonic()
                due = int((now - t0) * rate) + 1
                if total is not None:
                    due = min(due, total)
                if n < due:
                    stats.max_lag_s = max(stats.max_lag_s, now - t0 - n / rate)
                while n < due:
                    model = models[n % count]
                    observed = start + dt.timedelta(seconds=n / rate)
                    self._send(pubs, n, model, model.next_live(observed, interval), rng, stats)
                    n += 1
                    if n % 500 == 0:
                        pubs.service()
                if now >= next_progress:
                    stats.elapsed_s, stats.acked = now - t0, pubs.acked
                    self._say(f"  {stats.line()}")
                    next_progress += self.progress_every
                wait = t0 + n / rate - time.monotonic()
                pubs.service(max(wait, 0.002) if wait > 0 else 0.0)    # ticks of 2 ms or more
            stats.elapsed_s = time.monotonic() - t0
            pubs.wait_acked(stats.published, timeout=30)
            stats.acked = pubs.acked
        finally:
            pubs.close()
        self._say(stats.line())
        return stats

    def replay_windows(self, hours: float, end: dt.datetime | None = None,
                       window_minutes: int = 5) -> Iterator[tuple[int, CameraModel, dict]]:
        """Every camera's events over ``hours`` of simulated time ending at ``end`` (default: the last
        whole window before now), window by window: (camera index, camera, event)."""
        width = dt.timedelta(minutes=window_minutes)
        if end is None:
            now = dt.datetime.now(dt.UTC)
            end = now - (now - now.replace(minute=0, second=0, microsecond=0)) % width
        windows = int(round(hours * 60 / window_minutes))
        models = self._models()
        for w in range(windows):
            w_end = end - width * (windows - 1 - w)
            for index, model in enumerate(models):
                for event in model.window(w_end - width, w_end):
                    yield index, model, event

    def replay(self, hours: float = 24.0, end: dt.datetime | None = None, window_minutes: int = 5,
               max_unacked: int = 20000) -> FleetStats:
        """Publish a simulated time range as fast as the broker acknowledges it (bounded in flight)."""
        rng = np.random.default_rng([self.seed, 2])
        stats = FleetStats("replay", len(self.cameras), None)
        pubs = _Publishers(self.settings, self.clients, f"citylake-fleet-replay-{self.seed}-{time.time_ns()}")
        t0 = time.monotonic()
        next_progress = t0 + self.progress_every
        try:
            for index, model, event in self.replay_windows(hours, end, window_minutes):
                self._send(pubs, index, model, event, rng, stats)
                if stats.published % 500 == 0:
                    pubs.service()
                if stats.published - pubs.acked > max_unacked:
                    pubs.wait_acked(stats.published - max_unacked // 2, timeout=60)
                if stats.published % 1000 == 0 and time.monotonic() >= next_progress:
                    stats.elapsed_s, stats.acked = time.monotonic() - t0, pubs.acked
                    self._say(f"  {stats.line()} (simulated {stats.last_observed})")
                    next_progress += self.progress_every
            pubs.wait_acked(stats.published, timeout=60)
            stats.elapsed_s, stats.acked = time.monotonic() - t0, pubs.acked
        finally:
            pubs.close()
        self._say(stats.line())
        return stats


def run_cli(settings: Settings, args) -> FleetStats:
    """``citylake-sim fleet``: live for ``--seconds`` (or ``--events``), or ``--replay-hours`` of history."""
    from citylake.services import mosquitto
    from citylake.services.process import port_open

    if not port_open(settings.mqtt_port):
        print(f"Mosquitto not running on 127.0.0.1:{settings.mqtt_port}: starting this deployment's", flush=True)
        mosquitto.start(settings)
    cameras = registry_cameras(args.cameras)
    sim = FleetSimulator(settings, cameras, rate_per_camera=args.rate, seed=args.seed,
                         malformed_fraction=args.malformed, duplicate_fraction=args.duplicates,
                         clients=args.clients, progress=lambda s: print(s, flush=True))
    if args.replay_hours:
        print(f"==> replaying {args.replay_hours:g} h of {len(cameras):,} cameras' 5-minute flows", flush=True)
        stats = sim.replay(args.replay_hours)
    else:
        print(f"==> {len(cameras):,} cameras × {args.rate:g} events/s = {sim.target_rate:,.0f} events/s "
              f"to 127.0.0.1:{settings.mqtt_port}", flush=True)
        stats = sim.run(seconds=None if args.events else args.seconds, events=args.events)
    if args.report:
        with open(args.report, "w") as out:
            json.dump(stats.as_dict(), out, indent=2)
    return stats


def add_arguments(parser) -> None:
    parser.add_argument("--cameras", type=int, default=1000, help="how many registry cameras (default 1000)")
    parser.add_argument("--rate", type=float, default=2.0, help="events per second per camera (default 2)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to publish live (default 60)")
    parser.add_argument("--events", type=int, default=None, help="publish this many events instead")
    parser.add_argument("--replay-hours", type=float, default=0.0,
                        help="instead of live: publish this many hours of simulated 5-minute flows, flat out")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--malformed", type=float, default=0.0, help="share of malformed messages")
    parser.add_argument("--duplicates", type=float, default=0.0, help="share of re-sent (duplicate) events")
    parser.add_argument("--clients", type=int, default=1, help="MQTT connections to publish over")
    parser.add_argument("--report", default=None, help="write the run's statistics (JSON) here")


__all__ = ["FleetSimulator", "FleetStats", "CameraModel", "registry_cameras", "run_cli", "add_arguments",
           "in_rush_hour"]
