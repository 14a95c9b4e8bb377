"""The demo's camera feed: the fleet's recent hours and one camera of real footage, streamed to bronze.

What a running city has around the clock, condensed for a demo: the stream consumer runs while the
fleet simulator replays the last hours of 1,000 registry cameras (5-minute windows, as their edge
analytics would have sent them) and the vision pipeline analyses real footage (opencv-doc's
vtest.avi) as one of those registry cameras; every event goes over the project's Mosquitto at QoS 1
and lands in bronze once. Run again, the replay overlaps the previous one: the same windows carry
the same event ids and the consumer drops them.
"""
from __future__ import annotations

import datetime as dt
import threading
import time

from citylake.settings import Settings

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def _footage_camera(cameras: list[dict]) -> dict:
    """A registry camera that counts crowds (vtest.avi is a pedestrian scene)."""
    return next(c for c in cameras if "crowd" in c["analytics_profile"] and not c["face_matching"])


def run(settings: Settings, hours: float = 6.0, cameras: int = 1000, vision_frames: int = 40,
        say=print) -> dict:
    from ingestion.stream.consumer import StreamConfig, StreamConsumer
    from simulators.fleet import FleetSimulator, registry_cameras
    from vision.analytics import CameraProfile
    from vision.detector import ObjectDetector
    from vision.publish import MqttPublisher
    from vision.runner import Camera, Runner

    fleet = registry_cameras(cameras, seed=settings.seed)
    consumer = StreamConsumer(settings, StreamConfig())
    stop = threading.Event()
    consumed = threading.Thread(target=consumer.run, kwargs={"stop": stop}, name="stream-consumer", daemon=True)
    consumed.start()
    try:
        replay = FleetSimulator(settings, fleet).replay(hours=hours)
        say(f"    fleet: {replay.published:,} events of the last {hours:g} h from {len(fleet):,} cameras "
            f"in {replay.elapsed_s:.0f}s")

        cam = _footage_camera(fleet)
        profile = CameraProfile(cam["camera_id"], lon=cam["longitude"], lat=cam["latitude"], interval_s=5,
                                crowd_threshold=int(cam["crowd_threshold"]))
        publisher = MqttPublisher.for_settings(settings)
        runner = Runner([Camera(profile, VTEST, fps=2, max_frames=vision_frames)], ObjectDetector(), publisher,
                        epoch=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=vision_frames / 2),
                        log=lambda line: None)
        report = runner.run()
        acked = publisher.close()
        say(f"    vision: {report.frames} frames of real footage as camera {cam['camera_id']} "
            f"({cam['name']}): {report.events} events{'' if acked else ' (NOT all acknowledged)'}")

        expected = replay.published + publisher.published
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            s = consumer.stats()
            if s["received"] >= expected and time.monotonic() - consumer.last_received_at() > 1.0:
                break
            time.sleep(0.5)
    finally:
        stop.set()
        consumed.join(60)
    s = consumer.stats()
    say(f"    stream → bronze: {s['events']:,} new events, {s['duplicates']:,} duplicates dropped, "
        f"{s['dead_letters']:,} dead letters; latency p95 {s['latency_p95_s'] or 0:.2f}s (the replay publishes "
        f"as fast as the broker takes it, faster than cameras would)")
    return s
