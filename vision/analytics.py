"""Per-camera analytics from tracks: what a camera reports, as events of the shared schema.

Per interval (aligned to the clock, ``interval_s``): vehicle counts by type — each vehicle track
counted once, in the interval where it appeared, under its majority class — and the crowd (persons
in frame, averaged over the frames of the interval). Incidents as they happen: a vehicle that
barely moves for ``stopped_after_s`` (``carStopped``), congestion (``trafficJam``: many vehicles
and little movement or a crowded frame), a crowd above the camera's threshold
(``crowdAboveThreshold``). Movement is measured in box sizes per second, so it needs no camera
calibration; speeds in km/h would (``averageVehicleSpeed`` stays null).
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from dataclasses import dataclass, field

import numpy as np

from citylake import events
from vision.tracking import BoxLike, Track

VEHICLES = frozenset(events.VEHICLE_TYPES)
_GRID = (36, 64)  # rows, cols of the coarse mask that measures the frame's occupancy


@dataclass(frozen=True)
class CameraProfile:
    """A camera's analytics settings (from the camera registry's analytics profile)."""

    camera_id: str
    lon: float = 106.700981           # default: Ho Chi Minh City centre
    lat: float = 10.776889
    traffic: bool = True
    crowd: bool = True
    faces: bool = False               # watchlist matching: off unless enabled for this camera
    interval_s: float = 60.0
    crowd_threshold: int = 20
    stopped_after_s: float = 30.0
    stopped_tolerance: float = 0.35   # a "stopped" box drifts less than this many box sizes
    congestion_min_vehicles: float = 12.0
    congestion_max_motion: float = 0.25   # median box sizes per second below this: slow traffic
    congestion_occupancy: float = 0.35    # or vehicles cover this share of the frame


@dataclass
class _Interval:
    start: dt.datetime
    end: dt.datetime
    persons: list[int] = field(default_factory=list)
    person_occupancy: list[float] = field(default_factory=list)
    vehicle_occupancy: list[float] = field(default_factory=list)
    stopped_max: int = 0


@dataclass
class _Stillness:
    anchor_ts: dt.datetime
    cx: float
    cy: float
    alerted: bool = False


def _occupancy(boxes: list[tuple[float, float, float, float]], shape: tuple[int, int]) -> float:
    """Share of the frame covered by the union of the boxes (on a coarse grid: overlaps count once)."""
    if not boxes:
        return 0.0
    h, w = shape
    rows, cols = _GRID
    mask = np.zeros(_GRID, dtype=bool)
    for x1, y1, x2, y2 in boxes:
        c1, c2 = int(max(0, x1) / w * cols), math.ceil(min(w, x2) / w * cols)
        r1, r2 = int(max(0, y1) / h * rows), math.ceil(min(h, y2) / h * rows)
        mask[r1:r2, c1:c2] = True
    return float(mask.mean())


def _motion(track: Track, now: dt.datetime, window_s: float = 2.0) -> float | None:
    """Recent movement of a track in box sizes per second (None: not enough history)."""
    recent = [p for p in track.positions if (now - p[0]).total_seconds() <= window_s]
    if len(recent) < 2:
        return None
    (t0, x0, y0, _, _), (t1, x1, y1, w1, h1) = recent[0], recent[-1]
    seconds = (t1 - t0).total_seconds()
    size = math.sqrt(max(1.0, w1 * h1))
    return math.hypot(x1 - x0, y1 - y0) / size / seconds if seconds > 0 else None


class CameraAnalytics:
    """Turns one camera's tracks, frame after frame, into events (``update`` returns new ones)."""

    def __init__(self, profile: CameraProfile):
        self.profile = profile
        self._interval: _Interval | None = None
        self._counted: set[int] = set()
        self._tracks: dict[int, Track] = {}            # tracks seen since the interval started
        self._still: dict[int, _Stillness] = {}
        self._congested = False
        self.totals = {"vehicles": {k: 0 for k in events.VEHICLE_TYPES}, "frames": 0, "intervals": 0,
                       "max_people": 0, "stopped_alerts": 0, "jam_alerts": 0, "crowd_alerts": 0}

    # -- the interval clock --------------------------------------------------------------------
    def _bounds(self, ts: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        step = self.profile.interval_s
        start = dt.datetime.fromtimestamp(math.floor(ts.timestamp() / step) * step, dt.UTC)
        return start, start + dt.timedelta(seconds=step)

    def update(self, ts: dt.datetime, seen: list[Track], detections: list[BoxLike],
               shape: tuple[int, int]) -> list[dict]:
        """One processed frame: ``seen`` are the tracks matched in it, ``detections`` the raw boxes."""
        out: list[dict] = []
        if self._interval is None or ts >= self._interval.end:
            if self._interval is not None:
                out += self._close(self._interval.end)
            self._interval = _Interval(*self._bounds(ts))
        interval = self._interval
        self.totals["frames"] += 1
        persons = [d for d in detections if d.label == "person"]
        interval.persons.append(len(persons))
        interval.person_occupancy.append(_occupancy([(d.x1, d.y1, d.x2, d.y2) for d in persons], shape))
        vehicles = [t for t in seen if t.label in VEHICLES]
        for t in seen:
            self._tracks[t.track_id] = t
        interval.vehicle_occupancy.append(_occupancy([t.box for t in vehicles], shape))
        if self.profile.traffic:
            out += self._stopped(ts, vehicles)
            out += self._congestion(ts, vehicles, interval.vehicle_occupancy[-1])
        return out

    def flush(self) -> list[dict]:
        """Close the open interval (end of a run): its partial counts become an event."""
        if self._interval is None or not self._interval.persons:
            return []
        out = self._close(self._interval.end)
        self._interval = None
        return out

    # -- incidents -----------------------------------------------------------------------------
    def _stopped(self, ts: dt.datetime, vehicles: list[Track]) -> list[dict]:
        p = self.profile
        newly: list[Track] = []
        for t in vehicles:
            _, cx, cy, w, h = t.positions[-1]
            still = self._still.get(t.track_id)
            tolerance = p.stopped_tolerance * math.sqrt(max(1.0, w * h))
            if still is None or math.hypot(cx - still.cx, cy - still.cy) > tolerance:
                self._still[t.track_id] = _Stillness(ts, cx, cy)      # moved: start over here
                continue
            if not still.alerted and (ts - still.anchor_ts).total_seconds() >= p.stopped_after_s:
                still.alerted = True
                newly.append(t)
        stopped_now = sum(1 for t in vehicles if self._still[t.track_id].alerted)
        self._interval.stopped_max = max(self._interval.stopped_max, stopped_now)
        if not newly:
            return []
        self.totals["stopped_alerts"] += 1
        # one alert per frame lists every vehicle that just crossed the limit (the event id is per
        # camera, time and sub-category, so one alert per vehicle at the same instant would collide)
        what = ", ".join(f"{t.label} #{t.track_id} still since "
                         f"{events.iso(self._still[t.track_id].anchor_ts)}" for t in newly)
        return [events.alert(p.camera_id, ts, "traffic", "carStopped", p.lon, p.lat, severity="medium",
                             description=f"{len(newly)} vehicle(s) stopped for over "
                                         f"{p.stopped_after_s:.0f} s: {what}")]

    def _congestion(self, ts: dt.datetime, vehicles: list[Track], occupancy: float) -> list[dict]:
        p = self.profile
        motions = [m for m in (_motion(t, ts) for t in vehicles) if m is not None]
        slow = bool(motions) and statistics.median(motions) < p.congestion_max_motion
        jammed = len(vehicles) >= p.congestion_min_vehicles and (slow or occupancy >= p.congestion_occupancy)
        was, self._congested = self._congested, jammed
        if not jammed or was:
            return []
        self.totals["jam_alerts"] += 1
        return [events.alert(p.camera_id, ts, "traffic", "trafficJam", p.lon, p.lat, severity="high",
                             description=f"{len(vehicles)} vehicles in view, occupancy {occupancy:.0%}, "
                                         f"median motion {statistics.median(motions) if motions else 0:.2f} "
                                         "box sizes/s")]

    # -- interval reports ----------------------------------------------------------------------
    def _close(self, end: dt.datetime) -> list[dict]:
        p, interval = self.profile, self._interval
        out: list[dict] = []
        self.totals["intervals"] += 1
        if p.traffic:
            counts = {k: 0 for k in events.VEHICLE_TYPES}
            for tid, t in self._tracks.items():
                if tid not in self._counted and t.label in VEHICLES:
                    counts[t.label] += 1
                    self._counted.add(tid)
            for k, n in counts.items():
                self.totals["vehicles"][k] += n
            occupancy = statistics.fmean(interval.vehicle_occupancy) if interval.vehicle_occupancy else None
            out.append(events.traffic_flow(p.camera_id, interval.start, end, counts, p.lon, p.lat,
                                           congested=self._congested, occupancy=occupancy,
                                           stopped_vehicles=interval.stopped_max))
        if p.crowd:
            people = round(statistics.fmean(interval.persons)) if interval.persons else 0
            self.totals["max_people"] = max(self.totals["max_people"], people)
            out.append(events.crowd_flow(p.camera_id, interval.start, end, people, p.lon, p.lat,
                                         threshold=p.crowd_threshold,
                                         occupancy=statistics.fmean(interval.person_occupancy)))
            if people > p.crowd_threshold:
                self.totals["crowd_alerts"] += 1
                out.append(events.alert(p.camera_id, end, "security", "crowdAboveThreshold", p.lon, p.lat,
                                        severity="high" if people > 2 * p.crowd_threshold else "medium",
                                        description=f"about {people} people in view on average over "
                                                    f"{p.interval_s:.0f} s (threshold {p.crowd_threshold})"))
        # forget tracks that ended before this interval: counted already, no longer on screen
        self._tracks = {tid: t for tid, t in self._tracks.items() if t.last_seen >= interval.start}
        self._counted &= set(self._tracks)
        self._still = {tid: s for tid, s in self._still.items() if tid in self._tracks}
        return out
