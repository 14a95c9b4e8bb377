"""Camera sources: decode a file or an RTSP/HTTP stream with OpenCV, sample it at a target rate.

A camera that fails is never fatal to the others: every open, failure, end and recovery is a
:class:`StreamHealth` record (camera, state, reason, retries, last frame), and a failed source is
reopened with capped exponential backoff. Frames are sampled by timestamp — decoded ones that fall
between two samples are dropped at once (``grab`` without ``retrieve``), nothing is buffered.

Clocks: a file's frames carry media time (``epoch`` + position in the file, so a replay is
deterministic and intervals line up); a live stream's frames carry the wall clock when read.
"""
from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

LIVE_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


def is_live(uri: str) -> bool:
    return uri.lower().startswith(LIVE_SCHEMES)


@dataclass(frozen=True)
class Frame:
    camera_id: str
    timestamp: dt.datetime      # observation time (media time for files, wall clock for streams)
    image: np.ndarray
    index: int                  # sampled frame number in this source, from 0
    read_at: float              # time.monotonic() when decoded: the start of the frame's lag


@dataclass
class StreamHealth:
    """What an operator needs about one camera: is it live, and if not, why and since when."""

    camera_id: str
    uri: str
    state: str = "connecting"          # connecting | live | retrying | ended | failed | stopped
    reason: str = ""
    retries: int = 0                    # consecutive failed attempts (reset once frames flow again)
    total_retries: int = 0
    last_frame_at: dt.datetime | None = None
    frames_decoded: int = 0
    frames_sampled: int = 0
    changed_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def as_dict(self) -> dict:
        d = dict(self.__dict__)
        for key in ("last_frame_at", "changed_at"):
            d[key] = d[key].isoformat() if d[key] else None
        return d


class FrameSource:
    """One camera: yields sampled :class:`Frame`s, reports health, reopens after failures.

    ``loop``: a file starts again at its end (demos); otherwise a file's end is final ("ended"),
    while a live stream that ends or stalls is retried. ``max_retries`` consecutive failures
    (None: forever) make the source give up ("failed"). ``realtime`` paces a file at its own
    speed, as a camera would deliver it (default: as fast as the consumer takes frames).
    """

    def __init__(self, camera_id: str, uri: str | Path, fps: float = 5.0, *, loop: bool = False,
                 realtime: bool = False, max_frames: int | None = None, max_retries: int | None = None,
                 backoff_s: float = 1.0, backoff_max_s: float = 30.0, timeout_s: float = 10.0,
                 epoch: dt.datetime | None = None,
                 on_health: Callable[[StreamHealth], None] | None = None):
        self.camera_id = camera_id
        self.uri = str(uri)
        self.fps = float(fps)
        self.loop = loop
        self.realtime = realtime
        self.max_frames = max_frames
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.backoff_max_s = backoff_max_s
        self.timeout_s = timeout_s
        self.live = is_live(self.uri)
        self.epoch = epoch or dt.datetime.now(dt.UTC)
        self.on_health = on_health
        self.health = StreamHealth(camera_id, self.uri)
        self.history: list[StreamHealth] = []   # every state change, oldest first
        self._lock = threading.Lock()

    # -- health --------------------------------------------------------------------------------
    def _report(self, state: str, reason: str = "", **changes) -> None:
        with self._lock:
            if state == self.health.state and reason == self.health.reason and not changes:
                return
            self.health = replace(self.health, state=state, reason=reason,
                                  changed_at=dt.datetime.now(dt.UTC), **changes)
            snapshot = replace(self.health)
            self.history.append(snapshot)
        if self.on_health:
            self.on_health(snapshot)

    def _open(self) -> cv2.VideoCapture:
        if not self.live and not Path(self.uri).exists():
            raise OSError(f"no such file: {self.uri}")
        ms = int(self.timeout_s * 1000)
        if self.uri.startswith(("rtsp://", "rtsps://")):
            # RTP over the RTSP connection: no UDP ports to open, no packet loss on a busy network
            # (read by OpenCV's FFmpeg backend at open; an operator's own setting wins)
            os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
        cap = cv2.VideoCapture(self.uri, cv2.CAP_FFMPEG,
                               [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms])
        if not cap.isOpened():
            cap.release()
            raise OSError("cannot open (unreachable, refused, or not a video OpenCV/FFmpeg can decode)")
        return cap

    def _retry(self, reason: str, stop: threading.Event) -> bool:
        """Report the failure, wait (capped exponential backoff); False: give up, or stopped."""
        retries = self.health.retries + 1
        if self.max_retries is not None and retries > self.max_retries:
            self._report("failed", f"gave up after {self.max_retries} retries: {reason}")
            return False
        self._report("retrying", reason, retries=retries, total_retries=self.health.total_retries + 1)
        delay = min(self.backoff_max_s, self.backoff_s * 2 ** (retries - 1))
        return not stop.wait(delay)

    def _why_ended(self, got_any: bool, decoded: int, expected: int) -> str:
        if self.live:
            return "stream ended or stalled"
        if not got_any:
            return "no decodable frame (corrupt or empty file)"
        if expected and decoded < 0.98 * expected:     # the header promised more: cut short
            return f"truncated or corrupt file: decoded {decoded} of {expected} frames"
        return "end of file"

    # -- frames --------------------------------------------------------------------------------
    def frames(self, stop: threading.Event | None = None) -> Iterator[Frame]:
        """Sampled frames until the file ends, ``max_frames``, a give-up, or ``stop`` is set."""
        stop = stop or threading.Event()
        period = 1.0 / self.fps
        sampled = 0
        media_offset = 0.0          # seconds of media before this opening (loops, reconnects)
        while not stop.is_set():
            if self.health.retries == 0:
                self._report("connecting")
            try:
                cap = self._open()
            except OSError as exc:
                if not self._retry(str(exc), stop):
                    return
                continue
            got_any, reason, next_due, started = False, "", None, time.monotonic()
            last_pos, decoded = 0.0, 0
            expected = 0 if self.live else int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            try:
                while not stop.is_set():
                    if not cap.grab():
                        reason = self._why_ended(got_any, decoded, expected)
                        break
                    decoded += 1
                    now = time.monotonic()
                    with self._lock:
                        self.health.frames_decoded += 1
                    if self.live:
                        pos = now - started
                    else:
                        pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                        if self.realtime:                      # deliver no faster than a camera
                            ahead = pos - (now - started)
                            if ahead > 0 and stop.wait(ahead):
                                break
                    last_pos = pos
                    if next_due is not None and pos + 1e-6 < next_due:
                        continue                               # between two samples: drop undecoded
                    ok, image = cap.retrieve()
                    if not ok or image is None:
                        reason = "frame could not be decoded"
                        break
                    next_due = (pos if next_due is None else next_due) + period
                    if next_due < pos:                         # a stall: do not burst to catch up
                        next_due = pos + period
                    ts = (dt.datetime.now(dt.UTC) if self.live
                          else self.epoch + dt.timedelta(seconds=media_offset + pos))
                    if not got_any:
                        got_any = True
                        if self.live:          # a stream that delivers again has recovered; a file
                            with self._lock:   # read again from its start has not, until it ends well
                                self.health.retries = 0
                    with self._lock:
                        self.health.frames_sampled += 1
                        self.health.last_frame_at = ts
                    self._report("live")
                    yield Frame(self.camera_id, ts, image, sampled, time.monotonic())
                    sampled += 1
                    if self.max_frames is not None and sampled >= self.max_frames:
                        self._report("ended", f"reached max_frames={self.max_frames}")
                        return
            finally:
                cap.release()
            if stop.is_set():
                break
            media_offset += last_pos + period
            if not self.live and reason == "end of file":
                if self.loop:
                    continue                                   # a demo file starts again at once
                self._report("ended", reason)
                return
            if not self._retry(reason, stop):
                return
        self._report("stopped", "stop requested")
