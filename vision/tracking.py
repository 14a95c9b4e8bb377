"""Multi-object tracking per camera: detections of one frame → tracks with ids that persist.

Built on Norfair (Kalman-filtered boxes, IoU matching) from the ``norfair-enough`` package: the
maintained fork of tryolabs/norfair. The original ``norfair`` 2.3 pins numpy<2 and would downgrade
the project's numpy; the fork needs only numpy, scipy and rich (no torch, no non-headless OpenCV).

Tracking ignores the class: a motorbike that the detector calls "bicycle" in one frame keeps its
track, and the track's class is the majority of its detections' labels. Without that a motorbike
would be counted twice (motorbikes dominate Ho Chi Minh City's traffic, and small ones flicker
between classes).
"""
from __future__ import annotations

import datetime as dt
import logging
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from norfair import Detection as NorfairDetection
from norfair import Tracker

# norfair warns on every frame where a Kalman-predicted box has collapsed to a line (an object
# leaving the frame); IoU treats it as no overlap, which is right, so the warning is noise
logging.getLogger("norfair.distances").setLevel(logging.ERROR)


class BoxLike(Protocol):
    """What tracking needs of a detection (``vision.detector.Detection``): a box, score, label."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float
    label: str


@dataclass
class Track:
    """One object followed through a camera's frames."""

    track_id: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    labels: Counter = field(default_factory=Counter)
    # observed boxes only (not predictions): (timestamp, cx, cy, w, h); bounded
    positions: deque = field(default_factory=lambda: deque(maxlen=600))
    hits: int = 0

    @property
    def label(self) -> str:
        """Majority label; ties go to the label seen first."""
        return self.labels.most_common(1)[0][0]

    @property
    def box(self) -> tuple[float, float, float, float]:
        _, cx, cy, w, h = self.positions[-1]
        return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2

    def observe(self, ts: dt.datetime, det: BoxLike) -> None:
        self.last_seen = ts
        self.hits += 1
        self.labels[det.label] += 1
        w, h = det.x2 - det.x1, det.y2 - det.y1
        self.positions.append((ts, (det.x1 + det.x2) / 2, (det.y1 + det.y2) / 2, w, h))


class CameraTracker:
    """Tracks for one camera. ``update`` once per processed frame, in time order.

    ``max_age_s``: a track survives this long without a matching detection (occlusions, missed
    detections); ``min_hits``: detections before a track gets an id (filters one-frame noise).
    ``min_iou``: the overlap a detection needs with a track's predicted box to continue it.

    When the detector runs on every Nth frame only, :meth:`predict` steps the Kalman filters on
    the frames between (tracks age and move as they would), and the next :meth:`update` tells
    norfair how many frames passed (its ``period``), so a detection every N frames keeps a track
    as alive as one every frame did, and ``min_hits`` still means detections, not frames
    (``detect_every``: the N, so a new track survives until the next detection).
    """

    def __init__(self, fps: float, *, max_age_s: float = 2.0, min_hits: int = 2, min_iou: float = 0.2,
                 detect_every: int = 1):
        self.fps = fps
        hit_max = max(2, round(max_age_s * fps))
        self._tracker = Tracker(distance_function="iou", distance_threshold=1.0 - min_iou,
                                hit_counter_max=hit_max, initialization_delay=min(min_hits - 1, hit_max - 1))
        self.min_hits, self.hit_max, self.detect_every = min_hits, hit_max, detect_every
        self.tracks: dict[int, Track] = {}      # every track not yet pruned, live or finished
        self.active: dict[int, Track] = {}
        self._since = 0                          # frames predicted since the last detection

    def predict(self) -> None:
        """A frame without detection: the Kalman filters step forward, no detection is matched."""
        self._tracker.update(None)
        self._since += 1

    def hold(self, ts: dt.datetime, tracks: list[Track]) -> None:
        """A frame the motion gate found unchanged: the tracks last seen are still there, as they were
        (the filters do not step: nothing moved, and a parked car must not age out and be counted
        again when the scene moves)."""
        for track in tracks:
            track.last_seen = ts

    def update(self, ts: dt.datetime, detections: list[BoxLike]) -> list[Track]:
        """Feed one frame; returns the tracks matched in this frame (the objects visible now)."""
        nd = [NorfairDetection(np.array([[d.x1, d.y1], [d.x2, d.y2]], dtype=float),
                               scores=np.array([d.score, d.score]), data=d) for d in detections]
        # the gap to the next detection (what a new track must survive) is detect_every frames
        period = max(self.detect_every, self._since + 1)
        self._since = 0
        # a new object starts at hit_counter = period and every hit adds 2 × period: a delay of
        # (min_hits - 1) × period still asks for min_hits detections before an id
        self._tracker.initialization_delay = min((self.min_hits - 1) * period, self.hit_max - 1)
        alive = self._tracker.update(nd or None, period=period)
        # norfair keeps a shallow copy of the matched detection: its ``data`` is our object, still
        # referenced when it is from an older frame, so an identity check cannot be fooled
        current = {id(d) for d in detections}
        seen: list[Track] = []
        self.active = {}
        for obj in alive:
            track = self.tracks.get(obj.id)
            if track is None:
                track = self.tracks[obj.id] = Track(obj.id, ts, ts)
            self.active[obj.id] = track
            if obj.last_detection is not None and id(obj.last_detection.data) in current:
                track.observe(ts, obj.last_detection.data)
                seen.append(track)
        return seen

    def prune(self, before: dt.datetime) -> None:
        """Forget finished tracks last seen before ``before`` (analytics has counted them)."""
        for tid in [t for t, tr in self.tracks.items() if tr.last_seen < before and t not in self.active]:
            del self.tracks[tid]
