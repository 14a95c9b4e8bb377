"""The multi-stream loop: N cameras → batches across streams → one detector call → per-camera analytics.

Each camera decodes in its own thread (OpenCV releases the GIL while decoding) and hands sampled
frames to one shared queue. The loop takes up to ``batch_size`` frames — or what arrived within
``max_wait_s`` of the first — makes ONE detector call for the batch, and routes each frame's
detections back to its camera's tracker and analytics, in the camera's frame order. Batching is
what makes 50 streams affordable: the per-call overhead of the model and the Python around it is
paid once per batch instead of once per frame.

Back-pressure: at most ``queue_per_camera`` frames of a camera wait. A live camera (or a file
played in real time) that gets ahead drops its new frames (counted as ``dropped``), so lag stays
bounded; a file played as fast as possible waits instead, so every sampled frame is processed.

``naive=True`` is the benchmark's baseline: no threads, one frame at a time, cameras in turn.

What a frame costs is set per camera (:class:`Camera`), all off by default (the exact path):
``detect_every`` N runs the detector on every Nth sampled frame only — the others are not even
converted to images, the tracker predicts across them and the analytics carry the last detection
forward; ``motion`` skips the detector where nothing moved since the last detection (the tracks are
held as they were); ``decode_size`` shrinks decoded images to the detector's input at once. The CPU
time of each stage (decode, gate, detect, track, analytics, publish) is measured per run.

Faces: only for cameras whose profile enables them, FaceDetector → FaceEmbedder →
Watchlist.search (which logs every search). Face results stay in this process: counts in the
stats, never an event on the bus.
"""
from __future__ import annotations

import datetime as dt
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # the CLI imports this module to build its parser: keep that import light
    from vision.analytics import CameraProfile
    from vision.streams import Frame, StreamHealth


@dataclass
class Camera:
    """One stream to analyse: where it is, how often to sample it, and its analytics profile."""

    profile: CameraProfile
    uri: str
    fps: float = 5.0
    loop: bool = False
    realtime: bool = False          # pace a file like a live camera (live streams always are)
    max_frames: int | None = None   # stop this camera after this many sampled frames
    detect_every: int = 1           # run the detector on every Nth sampled frame (tracker predicts between)
    motion: bool = False            # skip the detector where nothing moved (vision.motion.MotionGate)
    decode_size: tuple[int, int] | None = None   # (width, height) to shrink decoded images to

    @property
    def camera_id(self) -> str:
        return self.profile.camera_id


@dataclass
class StreamStats:
    frames: int = 0
    dropped: int = 0
    detections: int = 0
    events: int = 0
    faces: int = 0
    watchlist_matches: int = 0
    detected: int = 0        # frames the detector ran on
    predicted: int = 0       # frames between two detections (every Nth): tracker prediction only
    held: int = 0            # frames the motion gate found unchanged
    decode_s: float = 0.0    # CPU seconds of this camera's decoding (its own thread)
    gate_s: float = 0.0      # CPU seconds making its motion thumbnails
    lag_s: deque = field(default_factory=lambda: deque(maxlen=2000))   # read → analysed, per frame

    def lag(self, q: float) -> float | None:
        if not self.lag_s:
            return None
        ordered = sorted(self.lag_s)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class RunReport:
    mode: str
    wall_s: float
    frames: int
    detector_calls: int
    detector_s: float
    events: int
    streams: dict[str, StreamStats]
    health: dict[str, StreamHealth]
    analytics: dict[str, dict]
    stages_s: dict[str, float] = field(default_factory=dict)   # CPU seconds per stage

    @property
    def fps(self) -> float:
        return self.frames / self.wall_s if self.wall_s else 0.0

    @property
    def failed(self) -> dict[str, str]:
        """Cameras that failed for good (gave up retrying, or their decoding broke), with why."""
        return {cid: h.reason for cid, h in self.health.items() if h.state == "failed"}

    @property
    def mean_batch(self) -> float:
        return self.frames / self.detector_calls if self.detector_calls else 0.0

    def summary(self) -> str:
        lines = [f"{self.mode}: {self.frames} frames in {self.wall_s:.1f}s = {self.fps:.1f} frames/s, "
                 f"{self.detector_calls} detector calls (mean batch {self.mean_batch:.1f}, "
                 f"{self.detector_s:.1f}s in the detector), {self.events} events"]
        for cam, s in self.streams.items():
            h = self.health[cam]
            p95 = s.lag(0.95)
            lines.append(f"  {cam:<16} {s.frames:>6} frames  {s.dropped:>5} dropped  lag p95 "
                         f"{'-' if p95 is None else f'{p95 * 1000:.0f} ms':>8}  {h.state}"
                         f"{' (' + h.reason + ')' if h.reason else ''}")
        return "\n".join(lines)


class FaceStep:
    """Face detection → embedding → watchlist search, for the cameras that enable it.

    ``purpose`` and ``user`` go with every search into the watchlist's access log.
    """

    def __init__(self, detector, embedder, watchlist, *, purpose: str = "camera watchlist matching",
                 user: str = "vision-runner"):
        self.detector, self.embedder, self.watchlist = detector, embedder, watchlist
        self.purpose, self.user = purpose, user

    def __call__(self, camera_id: str, image, at: dt.datetime) -> tuple[int, int]:
        """(faces found, watchlist matches) in one frame; searches (and logs) only when faces exist."""
        faces = self.detector.detect(image)
        if not faces:
            return 0, 0
        embeddings = self.embedder.embed(image, faces)
        matches = self.watchlist.search(embeddings, camera_id, self.purpose, self.user, faces=faces, at=at)
        return len(faces), len(matches)


class Runner:
    """Runs cameras until they end, ``seconds`` pass, or :meth:`stop`; returns a :class:`RunReport`."""

    def __init__(self, cameras: list[Camera], detector, publisher, *, batch_size: int = 8,
                 max_wait_s: float = 0.05, naive: bool = False, queue_per_camera: int = 4,
                 score_threshold: float = 0.35, faces: FaceStep | None = None,
                 epoch: dt.datetime | None = None, max_retries: int | None = 5, backoff_s: float = 1.0,
                 progress_every_s: float | None = None, log: Callable[[str], None] | None = None,
                 motion_keyframe_s: float = 10.0):
        from vision.analytics import CameraAnalytics
        from vision.streams import FrameSource
        from vision.tracking import CameraTracker

        if len({c.camera_id for c in cameras}) != len(cameras):
            raise ValueError("camera ids must be unique")
        if faces is None and any(c.profile.faces for c in cameras):
            raise ValueError("a camera enables face matching but no FaceStep was given")
        self.cameras = {c.camera_id: c for c in cameras}
        self.detector, self.publisher, self.faces = detector, publisher, faces
        self.batch_size, self.max_wait_s, self.naive = batch_size, max_wait_s, naive
        self.queue_per_camera, self.score_threshold = queue_per_camera, score_threshold
        self.progress_every_s = progress_every_s
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        epoch = epoch or dt.datetime.now(dt.UTC)
        self._stop = threading.Event()
        self.health_log: list[StreamHealth] = []
        self.sources = {c.camera_id: FrameSource(c.camera_id, c.uri, c.fps, loop=c.loop, realtime=c.realtime,
                                                 max_frames=c.max_frames, max_retries=max_retries,
                                                 backoff_s=backoff_s, epoch=epoch, on_health=self._on_health,
                                                 decode_every=c.detect_every,
                                                 decode_size=None if c.profile.faces else c.decode_size)
                        for c in cameras}
        self.trackers = {cid: CameraTracker(c.fps, detect_every=c.detect_every) for cid, c in self.cameras.items()}
        self.analytics = {cid: CameraAnalytics(c.profile) for cid, c in self.cameras.items()}
        self.stats = {cid: StreamStats() for cid in self.cameras}
        self.detector_calls, self.detector_s, self.events = 0, 0.0, 0
        from vision.motion import MotionGate

        self.gates = {cid: MotionGate(keyframe_s=motion_keyframe_s) for cid, c in self.cameras.items() if c.motion}
        self._last: dict[str, tuple[list, list]] = {cid: ([], []) for cid in self.cameras}
        # CPU seconds of the stages run on the main thread (decoding and thumbnails: per camera)
        self.stage_s = {"gate": 0.0, "detect": 0.0, "track": 0.0, "analytics": 0.0, "publish": 0.0}
        self._pending = dict.fromkeys(self.cameras, 0)
        self._room = threading.Condition()
        self._queue: queue.Queue = queue.Queue()

    def stop(self) -> None:
        self._stop.set()
        with self._room:
            self._room.notify_all()

    def _on_health(self, h: StreamHealth) -> None:
        self.health_log.append(h)
        if h.state not in ("live", "connecting"):
            self.log(f"[vision] {h.camera_id}: {h.state}{': ' + h.reason if h.reason else ''}"
                     f"{f' (retry {h.retries})' if h.state == 'retrying' else ''}")

    # -- per frame: tracking, analytics, faces, events -----------------------------------------
    def _decoded(self, frame: Frame) -> Frame:
        """On the decoding thread: the motion gate's thumbnail, for a gated camera's decoded frame."""
        if frame.image is None or frame.camera_id not in self.gates:
            return frame
        from dataclasses import replace

        from vision.motion import thumbnail

        t = time.thread_time()
        frame = replace(frame, thumbnail=thumbnail(frame.image))
        self.stats[frame.camera_id].gate_s += time.thread_time() - t
        return frame

    def _route(self, frame: Frame, kind: str, detections: list | None) -> None:
        """One frame after the detector: ``kind`` is detect (``detections`` found in it), predict
        (every Nth: none due) or hold (the motion gate saw nothing move)."""
        cid = frame.camera_id
        stats, tracker = self.stats[cid], self.trackers[cid]
        t0 = time.thread_time()
        if kind == "detect":
            seen = tracker.update(frame.timestamp, detections)
            self._last[cid] = (seen, detections)
            stats.detected += 1
            stats.detections += len(detections)
        else:
            seen, detections = self._last[cid]
            if kind == "predict":
                tracker.predict()
                stats.predicted += 1
            else:
                tracker.hold(frame.timestamp, seen)
                stats.held += 1
        t1 = time.thread_time()
        shape = frame.shape if frame.shape[0] else frame.image.shape[:2]
        new_events = self.analytics[cid].update(frame.timestamp, seen, detections, shape)
        if self.cameras[cid].profile.faces and frame.image is not None:
            found, matched = self.faces(cid, frame.image, frame.timestamp)
            stats.faces += found
            stats.watchlist_matches += matched
        t2 = time.thread_time()
        for event in new_events:
            self.publisher.publish(event)
        self.stage_s["track"] += t1 - t0
        self.stage_s["analytics"] += t2 - t1
        self.stage_s["publish"] += time.thread_time() - t2
        stats.frames += 1
        stats.events += len(new_events)
        self.events += len(new_events)
        stats.lag_s.append(time.monotonic() - frame.read_at)

    def _detect(self, frames: list[Frame]) -> None:
        """A batch: which frames need the detector (every Nth, motion), ONE call for those, then
        every frame routed in order."""
        t = time.thread_time()
        kinds: list[str] = []
        for f in frames:
            gate = self.gates.get(f.camera_id)
            if f.image is None:
                kinds.append("predict")
            elif gate is not None and f.thumbnail is not None and not gate.moved(f.thumbnail, f.timestamp):
                kinds.append("hold")
            else:
                kinds.append("detect")
                if gate is not None and f.thumbnail is not None:
                    gate.detected(f.thumbnail, f.timestamp)
        self.stage_s["gate"] += time.thread_time() - t
        todo = [f for f, kind in zip(frames, kinds, strict=True) if kind == "detect"]
        results = iter(())
        if todo:
            t, cpu = time.monotonic(), time.thread_time()
            results = iter(self.detector.detect([f.image for f in todo], score_threshold=self.score_threshold,
                                                sizes=[f.shape if f.shape[0] else f.image.shape[:2] for f in todo]))
            self.detector_s += time.monotonic() - t
            self.stage_s["detect"] += time.thread_time() - cpu
            self.detector_calls += 1
        for frame, kind in zip(frames, kinds, strict=True):
            self._route(frame, kind, next(results) if kind == "detect" else None)

    def _finish(self) -> None:
        for cid, analytics in self.analytics.items():
            for event in analytics.flush():
                self.publisher.publish(event)
                self.stats[cid].events += 1
                self.events += 1
            self.trackers[cid].prune(dt.datetime.max.replace(tzinfo=dt.UTC))

    # -- the loops -----------------------------------------------------------------------------
    def run(self, seconds: float | None = None) -> RunReport:
        started = time.monotonic()
        deadline = started + seconds if seconds else None
        progress = _Progress(self, started) if self.progress_every_s else None
        if self.naive:
            self._run_naive(deadline, progress)
        else:
            self._run_batched(deadline, progress)
        self._finish()
        wall = time.monotonic() - started
        stages = {"decode": sum(s.decode_s for s in self.stats.values()), **self.stage_s}
        stages["gate"] += sum(s.gate_s for s in self.stats.values())
        return RunReport("naive" if self.naive else "batched", wall, sum(s.frames for s in self.stats.values()),
                         self.detector_calls, self.detector_s, self.events, self.stats,
                         {cid: s.health for cid, s in self.sources.items()},
                         {cid: a.totals for cid, a in self.analytics.items()}, stages)

    def _run_naive(self, deadline: float | None, progress: _Progress | None) -> None:
        """One frame at a time, one camera after the other: the baseline."""
        iterators = {cid: iter(src.frames(self._stop)) for cid, src in self.sources.items()}
        while iterators and not self._stop.is_set():
            for cid in list(iterators):
                t = time.thread_time()
                frame = next(iterators[cid], None)
                self.stats[cid].decode_s += time.thread_time() - t
                if frame is None:
                    del iterators[cid]
                    continue
                self._detect([self._decoded(frame)])
                if progress:
                    progress.tick()
                if deadline and time.monotonic() >= deadline:
                    self._stop.set()
                    break

    def _feed(self, cid: str) -> None:
        """A camera's decoding thread: sampled frames into the shared queue, within its quota."""
        from vision.streams import is_live

        source, cam = self.sources[cid], self.cameras[cid]
        droppy = cam.realtime or is_live(cam.uri)
        frames = iter(source.frames(self._stop))
        try:
            while True:
                t = time.thread_time()
                frame = next(frames, None)
                self.stats[cid].decode_s += time.thread_time() - t
                if frame is None:
                    break
                frame = self._decoded(frame)
                with self._room:
                    if droppy and self._pending[cid] >= self.queue_per_camera:
                        self.stats[cid].dropped += 1            # behind: skip, keep the lag bounded
                        continue
                    while self._pending[cid] >= self.queue_per_camera and not self._stop.is_set():
                        self._room.wait(0.5)
                    self._pending[cid] += 1
                self._queue.put(frame)
        except Exception as exc:   # a camera must never take the others down
            source._report("failed", f"decoding thread failed: {exc!r}")
        finally:
            self._queue.put(cid)    # this camera is done

    def _run_batched(self, deadline: float | None, progress: _Progress | None) -> None:
        threads = [threading.Thread(target=self._feed, args=(cid,), name=f"cam-{cid}", daemon=True)
                   for cid in self.sources]
        for t in threads:
            t.start()
        running = len(threads)
        try:
            while running:
                if deadline and time.monotonic() >= deadline:
                    break
                batch: list[Frame] = []
                try:
                    item = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                fill_until = time.monotonic() + self.max_wait_s
                while True:
                    if isinstance(item, str):
                        running -= 1
                    else:
                        batch.append(item)
                    if len(batch) >= self.batch_size or not running:
                        break
                    try:
                        item = self._queue.get(timeout=max(0.0, fill_until - time.monotonic()))
                    except queue.Empty:
                        break
                if not batch:
                    continue
                with self._room:
                    for f in batch:
                        self._pending[f.camera_id] -= 1
                    self._room.notify_all()
                self._detect(batch)
                if progress:
                    progress.tick()
        finally:
            self.stop()
            for t in threads:
                t.join(timeout=15)


class _Progress:
    """A line every few seconds on long runs: throughput, lag, drops, cameras live."""

    def __init__(self, runner: Runner, started: float):
        self.runner, self.started = runner, started
        self.next_at = started + runner.progress_every_s

    def tick(self) -> None:
        now = time.monotonic()
        if now < self.next_at:
            return
        self.next_at = now + self.runner.progress_every_s
        r = self.runner
        frames = sum(s.frames for s in r.stats.values())
        lags = [s.lag(0.95) for s in r.stats.values() if s.lag_s]
        live = sum(1 for s in r.sources.values() if s.health.state == "live")
        r.log(f"[vision] {now - self.started:6.0f}s  {frames} frames  {frames / (now - self.started):.1f} f/s  "
              f"lag p95 {max(lags) * 1000 if lags else 0:.0f} ms  "
              f"dropped {sum(s.dropped for s in r.stats.values())}  events {r.events}  "
              f"live {live}/{len(r.sources)}")


# -- command line (``citylake vision``) --------------------------------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("--source", action="append", required=True, metavar="CAMERA=URI",
                        help="a camera: id=file path, rtsp:// or http(s):// URL (repeat for more)")
    parser.add_argument("--fps", type=float, default=5.0, help="frames sampled per second per camera")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long (default: until "
                                                                    "the files end)")
    parser.add_argument("--batch", type=int, default=8, help="frames per detector call")
    parser.add_argument("--naive", action="store_true", help="one frame at a time (the baseline)")
    parser.add_argument("--precision", choices=("int8", "fp32"), default="int8",
                        help="detector weights: int8 (static QDQ, ~2.5× less CPU, counts within 5 %% of "
                             "fp32 on vtest.avi) or fp32")
    parser.add_argument("--detect-every", type=int, default=2, metavar="N",
                        help="run the detector on every Nth sampled frame; the tracker predicts between "
                             "(1: every frame)")
    parser.add_argument("--no-motion-gate", dest="motion", action="store_false",
                        help="run the detector even where nothing moved since its last run")
    parser.add_argument("--decode-small", action="store_true",
                        help="shrink decoded frames to the detector's input size in the decoding threads")
    parser.add_argument("--loop", action="store_true", help="files start again at their end")
    parser.add_argument("--realtime", action="store_true", help="play files at their own speed")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds per counting interval")
    parser.add_argument("--crowd-threshold", type=int, default=20)
    parser.add_argument("--stopped-after", type=float, default=30.0, help="seconds before a still "
                                                                          "vehicle is an incident")
    parser.add_argument("--max-retries", type=int, default=5, help="consecutive failures of a camera before "
                                                                   "it is given up (and the exit status is 1)")
    parser.add_argument("--faces", action="append", default=[], metavar="CAMERA",
                        help="enable watchlist face matching for this camera (off by default)")
    parser.add_argument("--watchlist", action="append", default=[], metavar="ID=IMAGE",
                        help="a watchlist entry: id and a reference photo (needed with --faces)")


def run_from_args(settings, args) -> RunReport:
    from vision.analytics import CameraProfile
    from vision.detector import ObjectDetector
    from vision.publish import MqttPublisher

    detector = ObjectDetector(precision=args.precision)
    cameras = []
    for spec in args.source:
        cid, sep, uri = spec.partition("=")
        if not sep or not cid or not uri:
            raise SystemExit(f"--source wants CAMERA=URI, not {spec!r}")
        profile = CameraProfile(cid, interval_s=args.interval, crowd_threshold=args.crowd_threshold,
                                stopped_after_s=args.stopped_after, faces=cid in args.faces)
        cameras.append(Camera(profile, uri, fps=args.fps, loop=args.loop, realtime=args.realtime,
                              detect_every=1 if args.naive else args.detect_every,
                              motion=args.motion and not args.naive,
                              decode_size=detector.input_size if args.decode_small and not args.naive else None))
    faces = None
    if args.faces:
        import cv2

        from vision.faces import FaceDetector, FaceEmbedder, Watchlist

        if not args.watchlist:
            raise SystemExit("--faces needs at least one --watchlist ID=IMAGE")
        references = []
        for spec in args.watchlist:
            wid, _, path = spec.partition("=")
            image = cv2.imread(path)
            if image is None:
                raise SystemExit(f"cannot read the watchlist image {path!r}")
            references.append((wid, wid, image))
        face_detector, embedder = FaceDetector(), FaceEmbedder()
        faces = FaceStep(face_detector, embedder,
                         Watchlist.from_images(references, face_detector, embedder, settings=settings))
    publisher = MqttPublisher.for_settings(settings)
    runner = Runner(cameras, detector, publisher, batch_size=args.batch, naive=args.naive, faces=faces,
                    max_retries=args.max_retries, progress_every_s=10)
    try:
        report = runner.run(seconds=args.seconds)
    except KeyboardInterrupt:
        runner.stop()
        raise
    finally:
        acked = publisher.close()
    print(report.summary())
    print(f"published {publisher.published} events to 127.0.0.1:{settings.mqtt_port} "
          f"({'all acknowledged' if acked else 'NOT all acknowledged'})")
    for cid, reason in report.failed.items():
        print(f"FAILED {cid}: {reason}", file=sys.stderr)
    return report


def exit_status(report: RunReport) -> int:
    """1 when any camera failed for good: a scheduler or an operator must see it, not a 0."""
    return 1 if report.failed else 0
