"""Camera sources: decode a file or an RTSP/HTTP stream with OpenCV, sample it at a target rate.

A camera that fails is never fatal to the others: every open, failure, end and recovery is a
:class:`StreamHealth` record (camera, state, reason, retries, last frame), and a failed source is
reopened with capped exponential backoff. Frames are sampled by timestamp — decoded ones that fall
between two samples are dropped at once (``grab`` without ``retrieve``), nothing is buffered.

Clocks: a frame's time comes from the stream, never from when it is processed: a file's is
``epoch`` + its position in the file (so a replay is deterministic and intervals line up); a live
stream's is the connection's start + the frame's position (PTS) in the stream — streams without
timestamps (MJPEG) fall back to the frame's arrival. A retried file resumes after its last sampled
frame: a truncated file is never replayed from its start under new times.
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
from tenacity import RetryCallState, Retrying, retry_if_exception_type

LIVE_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://")


def is_live(uri: str) -> bool:
    return uri.lower().startswith(LIVE_SCHEMES)


@dataclass(frozen=True)
class Frame:
    camera_id: str
    timestamp: dt.datetime      # observation time (media time for files, wall clock for streams)
    image: np.ndarray | None    # None: a frame grabbed but not decoded (no detection due on it)
    index: int                  # sampled frame number in this source, from 0
    read_at: float              # time.monotonic() when decoded: the start of the frame's lag
    shape: tuple[int, int] = (0, 0)   # (height, width) of the camera's picture (image may be smaller)
    thumbnail: np.ndarray | None = None   # small grey frame for the motion gate (set by the runner)


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


class StreamFailure(Exception):
    """One attempt at a source failed; ``reason`` is what the operator sees."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class FrameSource:
    """One camera: yields sampled :class:`Frame`s, reports health, reopens after failures.

    ``loop``: a file starts again at its end (demos); otherwise a file's end is final ("ended"),
    while a live stream that ends or stalls, or a corrupt or truncated file, is retried.
    ``max_retries`` consecutive failures (None: forever) make the source give up ("failed").
    ``realtime`` paces a file at its own speed, as a camera would deliver it (default: as fast as
    the consumer takes frames).
    ``decode_every``: only every Nth sampled frame is decoded into an image; the others are grabbed
    (their time is known) and yielded without one — converting a frame to BGR costs most of its
    decoding, and a frame nobody runs the detector on does not need it.
    ``decode_size`` ((width, height)): decoded images are resized to it at once (the detector's input
    size): everything after decoding handles a third of the pixels; boxes are still given in the
    camera's pixels (``Frame.shape``).
    """

    def __init__(self, camera_id: str, uri: str | Path, fps: float = 5.0, *, loop: bool = False,
                 realtime: bool = False, max_frames: int | None = None, max_retries: int | None = 5,
                 backoff_s: float = 1.0, backoff_max_s: float = 30.0, timeout_s: float = 10.0,
                 epoch: dt.datetime | None = None,
                 on_health: Callable[[StreamHealth], None] | None = None,
                 decode_every: int = 1, decode_size: tuple[int, int] | None = None):
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
        if decode_every < 1:
            raise ValueError("decode_every must be at least 1")
        self.decode_every, self.decode_size = decode_every, decode_size
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

    def _why_ended(self, got_any: bool, decoded: int, expected: int) -> str:
        if self.live:
            return "stream ended or stalled"
        if not got_any:
            return "no decodable frame (corrupt or empty file)"
        if expected and decoded < 0.98 * expected:     # the header promised more: cut short
            return f"truncated or corrupt file: decoded {decoded} of {expected} frames"
        return "end of file"

    # -- retries (tenacity): bounded, capped exponential backoff, reset once frames flow again ------
    def _give_up(self, _state: RetryCallState) -> bool:
        return self.max_retries is not None and self.health.retries >= self.max_retries

    def _backoff(self, _state: RetryCallState) -> float:
        return min(self.backoff_max_s, self.backoff_s * 2 ** self.health.retries)

    def _before_retry(self, state: RetryCallState) -> None:
        reason = state.outcome.exception().reason
        self._report("retrying", reason, retries=self.health.retries + 1,
                     total_retries=self.health.total_retries + 1)

    # -- frames --------------------------------------------------------------------------------
    def frames(self, stop: threading.Event | None = None) -> Iterator[Frame]:
        """Sampled frames until the file ends, ``max_frames``, a give-up, or ``stop`` is set.

        A failed attempt (cannot open, corrupt, truncated, a live stream that ended) is retried with
        tenacity, at most ``max_retries`` times in a row; a file is read again from where its last
        frame was sampled, so no frame is ever delivered twice (nor under a new time).
        """
        stop = stop or threading.Event()
        read = _Progress()
        retrying = Retrying(retry=retry_if_exception_type(StreamFailure), stop=self._give_up, wait=self._backoff,
                            before_sleep=self._before_retry, sleep=stop.wait, reraise=True)
        while not stop.is_set():
            outcome = "stopped"
            try:
                for attempt in retrying:
                    with attempt:
                        outcome = yield from self._attempt(stop, read)
            except StreamFailure as exc:
                self._report("failed", f"gave up after {self.max_retries} retries: {exc.reason}")
                return
            if outcome == "stopped":
                self._report("stopped", "stop requested")
            if outcome != "loop":
                return
            read.loop_offset += read.last_pos + 1.0 / self.fps      # a demo file starts again at once
            read.resume_pos, read.next_due = None, None

    def _attempt(self, stop: threading.Event, read: _Progress) -> Iterator[Frame]:
        """One opening of the source; returns how it ended, raises :class:`StreamFailure` on failure."""
        if stop.is_set():
            return "stopped"
        if self.health.retries == 0:
            self._report("connecting")
        try:
            cap = self._open()
        except OSError as exc:
            raise StreamFailure(str(exc)) from None
        period = 1.0 / self.fps
        got_any, reason, started = False, "", time.monotonic()
        decoded, stream_start, last_live_pos = 0, None, -1.0
        expected = 0 if self.live else int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        next_due = read.next_due if not self.live else None
        try:
            while not stop.is_set():
                if not cap.grab():
                    reason = self._why_ended(got_any or read.resume_pos is not None, decoded, expected)
                    break
                decoded += 1
                now = time.monotonic()
                with self._lock:
                    self.health.frames_decoded += 1
                pos = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0        # the frame's time in the stream
                if self.live:
                    if pos <= last_live_pos:     # a stream without timestamps (MJPEG): its arrival
                        pos = max(now - started, last_live_pos + 1e-3)
                    last_live_pos = pos
                else:
                    if read.resume_pos is not None and pos <= read.resume_pos + 1e-6:
                        continue                 # delivered before this retry: never again
                    if self.realtime:                          # deliver no faster than a camera
                        ahead = pos - (now - started)
                        if ahead > 0 and stop.wait(ahead):
                            break
                read.last_pos = pos
                if next_due is not None and pos + 1e-6 < next_due:
                    continue                                   # between two samples: drop undecoded
                image, shape = None, (0, 0)
                if read.sampled % self.decode_every == 0 or not read.shape[0]:
                    ok, image = cap.retrieve()
                    if not ok or image is None:
                        reason = "frame could not be decoded"
                        break
                    shape = image.shape[:2]
                    if self.decode_size and (shape[1], shape[0]) != tuple(self.decode_size):
                        # as the detector would resize it: the same detections, the work moved here
                        image = cv2.resize(image, self.decode_size, interpolation=cv2.INTER_LINEAR)
                    read.shape = shape
                else:
                    shape = read.shape
                next_due = (pos if next_due is None else next_due) + period
                if next_due < pos:                             # a stall: do not burst to catch up
                    next_due = pos + period
                if self.live:
                    if stream_start is None:     # the wall clock of this connection's position 0
                        stream_start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=pos)
                    ts = stream_start + dt.timedelta(seconds=pos)
                else:
                    ts = self.epoch + dt.timedelta(seconds=read.loop_offset + pos)
                    read.resume_pos, read.next_due = pos, next_due
                if not got_any:
                    got_any = True               # frames flow again (new ones, for a file): recovered
                    with self._lock:
                        self.health.retries = 0
                with self._lock:
                    self.health.frames_sampled += 1
                    self.health.last_frame_at = ts
                self._report("live")
                yield Frame(self.camera_id, ts, image, read.sampled, time.monotonic(), shape)
                read.sampled += 1
                if self.max_frames is not None and read.sampled >= self.max_frames:
                    self._report("ended", f"reached max_frames={self.max_frames}")
                    return "max_frames"
        finally:
            cap.release()
        if stop.is_set():
            return "stopped"
        if not self.live and reason == "end of file":
            if self.loop:
                return "loop"
            self._report("ended", reason)
            return "ended"
        raise StreamFailure(reason)


@dataclass
class _Progress:
    """How far one source got, across its retries and loops."""

    sampled: int = 0                      # frames delivered
    resume_pos: float | None = None       # a file: position (s) of the last delivered frame
    next_due: float | None = None         # a file: position of the next sample
    last_pos: float = 0.0                 # position of the last decoded frame
    loop_offset: float = 0.0              # seconds of media before this pass (looping files)
    shape: tuple[int, int] = (0, 0)       # (height, width) of the last decoded image
