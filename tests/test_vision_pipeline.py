"""The vision pipeline on real footage (Debian opencv-doc's vtest.avi), the real ONNX detector and a
real Mosquitto: streams, batching across cameras, tracking, per-camera analytics, MQTT events.

One test (stopped vehicles and congestion from synthetic boxes) checks the analytics logic alone; it
says so. Every other test runs real frames through the real detector.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho
import pytest

from citylake import events
from citylake.services import mosquitto
from citylake.services.process import wait_for_port
from vision.analytics import CameraAnalytics, CameraProfile
from vision.detector import Detection, ObjectDetector
from vision.publish import Collector, MqttPublisher
from vision.runner import Camera, Runner
from vision.streams import FrameSource
from vision.tracking import CameraTracker

VTEST = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
EPOCH = dt.datetime(2025, 7, 1, 1, 0, tzinfo=dt.UTC)
HTTP_PORT = int(os.environ.get("CITYLAKE_TEST_PORT_BASE", "25300")) + 51   # beside the deployment's block
RTSP_PORT = HTTP_PORT + 1


@pytest.fixture(scope="module")
def detector():
    return ObjectDetector()


@pytest.fixture(scope="module")
def subscriber(mqtt):
    """A real MQTT subscriber on the camera topics: every message received, as (topic, payload)."""
    received: list[tuple[str, bytes]] = []
    ready = threading.Event()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="test-vision-subscriber")
    client.username_pw_set(*mqtt.mqtt_credentials(mosquitto.INGEST))
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(events.SUBSCRIPTION, qos=1)
    client.on_subscribe = lambda c, u, mid, rcs, p: ready.set()
    client.on_message = lambda c, u, msg: received.append((msg.topic, msg.payload))
    client.connect("127.0.0.1", mqtt.mqtt_port)
    client.loop_start()
    assert ready.wait(10), "could not subscribe to Mosquitto"
    yield received
    client.disconnect()
    client.loop_stop()


def test_vtest_through_the_runner_publishes_crowd_events_over_mqtt(mqtt, subscriber, detector):
    profile = CameraProfile("hcm-d1-vtest", interval_s=2.0, crowd_threshold=3)
    publisher = MqttPublisher.for_settings(mqtt, client_id="test-vision-runner")
    runner = Runner([Camera(profile, str(VTEST), fps=5, max_frames=20)], detector, publisher, epoch=EPOCH)
    report = runner.run(seconds=60)
    assert publisher.close(10), "the broker did not acknowledge every QoS 1 event"

    assert report.frames == 20 and report.health["hcm-d1-vtest"].state == "ended"
    people_tracks = [t for t in runner.trackers["hcm-d1-vtest"].tracks.values() if t.label == "person"]
    assert len(people_tracks) >= 3, "vtest.avi shows several pedestrians: they should be tracked"
    assert max(t.hits for t in people_tracks) >= 10, "a pedestrian should stay one track across frames"

    deadline = time.monotonic() + 10
    while len([m for m in subscriber if "/hcm-d1-vtest/" in m[0]]) < publisher.published \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    mine = [(topic, payload) for topic, payload in subscriber if "/hcm-d1-vtest/" in topic]
    assert len(mine) == publisher.published == report.events
    rows = [events.parse(payload, topic) for topic, payload in mine]       # raises if any is invalid
    crowd = [json.loads(r["payload"]) for r in rows if r["event_type"] == "CrowdFlowObserved"]
    assert len(crowd) >= 2 and all(c["peopleCount"] > 0 for c in crowd)
    assert [c["dateObservedTo"] for c in crowd][:2] == ["2025-07-01T01:00:02.000Z", "2025-07-01T01:00:04.000Z"]
    assert any(r["event_type"] == "TrafficFlowObserved" for r in rows)
    alerts = [json.loads(r["payload"]) for r in rows if r["event_type"] == "Alert"]
    assert any(a["subCategory"] == "crowdAboveThreshold" for a in alerts), "more than 3 people are in view"
    assert not any("embedding" in r["payload"] or "face" in r["payload"].lower() for r in rows)


MJPEG_SERVER = r'''
import http.server, socketserver, sys, time, cv2
port, per_connection, fps = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
cap = cv2.VideoCapture(sys.argv[4])
jpegs = [cv2.imencode(".jpg", cap.read()[1])[1].tobytes() for _ in range(per_connection)]
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def do_GET(self):   # an MJPEG camera that ends its stream after `per_connection` frames
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace;boundary=frame")
        self.end_headers()
        try:
            for jpg in jpegs:
                self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n"
                                 % len(jpg) + jpg + b"\r\n")
                time.sleep(1 / fps)
        except OSError:
            pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = allow_reuse_address = True
Server(("127.0.0.1", port), Handler).serve_forever()
'''


@pytest.fixture
def mjpeg_camera(tmp_path):
    """vtest.avi served over HTTP as MJPEG by a separate process; the stream ends every 12 frames."""
    script = tmp_path / "mjpeg_server.py"
    script.write_text(MJPEG_SERVER)
    proc = subprocess.Popen([sys.executable, str(script), str(HTTP_PORT), "12", "20", str(VTEST)])
    try:
        wait_for_port(HTTP_PORT, 20, "the MJPEG test server")
        yield f"http://127.0.0.1:{HTTP_PORT}/cam.mjpg"
    finally:
        proc.terminate()
        proc.wait(10)


def test_http_stream_is_decoded_and_reconnected_after_it_ends(mjpeg_camera):
    source = FrameSource("http-cam", mjpeg_camera, fps=10, max_frames=20, backoff_s=0.2, timeout_s=5)
    frames = list(source.frames())
    assert len(frames) == 20 and frames[0].image.shape == (576, 768, 3)
    retries = [h for h in source.history if h.state == "retrying"]
    assert retries and retries[0].reason == "stream ended or stalled" and retries[0].retries == 1
    # after the reconnection frames flowed again and the retry counter went back to zero
    assert source.history[-1].state == "ended" and source.health.retries == 0
    assert source.health.total_retries >= 1 and source.health.last_frame_at is not None


@pytest.fixture
def rtsp_camera(tmp_path):
    """vtest.avi (transcoded to MPEG-4 in MP4 by ffmpeg) served by GStreamer's RTSP server."""
    clip = tmp_path / "vtest.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(VTEST), "-t", "20", "-c:v", "mpeg4", "-q:v", "5",
                    str(clip)], check=True)
    server = Path(__file__).with_name("rtsp_server.py")
    proc = subprocess.Popen(["/usr/bin/python3", str(server), str(RTSP_PORT), str(clip)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready", "the RTSP server did not start"
        yield f"rtsp://127.0.0.1:{RTSP_PORT}/cam"
    finally:
        proc.terminate()
        proc.wait(10)


def test_rtsp_stream_is_decoded(rtsp_camera):
    source = FrameSource("rtsp-cam", rtsp_camera, fps=5, max_frames=8, backoff_s=0.2, timeout_s=10)
    frames = list(source.frames())
    assert len(frames) == 8 and frames[0].image.shape == (576, 768, 3)
    assert frames[-1].image.mean() > 20          # real pixels, not a grey placeholder
    assert source.health.last_frame_at is not None


def test_corrupt_files_and_ended_streams_are_reported_and_retried_while_others_go_on(
        tmp_path, mjpeg_camera, detector):
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(bytes(range(256)) * 2000)
    truncated = tmp_path / "truncated.avi"
    truncated.write_bytes(VTEST.read_bytes()[:300_000])       # about 3 s of the 80 s its header promises
    cameras = [Camera(CameraProfile("good"), str(VTEST), fps=5, max_frames=10),
               Camera(CameraProfile("garbage"), str(garbage), fps=5),
               Camera(CameraProfile("truncated"), str(truncated), fps=2),
               Camera(CameraProfile("http-cam"), mjpeg_camera, fps=10, max_frames=16)]
    collector = Collector()
    runner = Runner(cameras, detector, collector, batch_size=4, epoch=EPOCH, max_retries=2, backoff_s=0.1,
                    log=lambda line: None)
    report = runner.run(seconds=60)

    assert report.streams["good"].frames == 10 and report.health["good"].state == "ended"
    assert any(e["cameraId"] == "good" for e in collector.events)
    history = {cid: [(h.state, h.reason, h.retries) for h in runner.health_log if h.camera_id == cid]
               for cid in runner.cameras}
    assert [s for s, _, r in history["garbage"] if s == "retrying"] == ["retrying", "retrying"]
    assert history["garbage"][-1][0] == "failed" and "cannot open" in history["garbage"][-1][1]
    assert report.streams["garbage"].frames == 0
    # a truncated file decodes its first frames, then is reported as truncated and tried again
    assert any(s == "retrying" and "truncated" in why for s, why, _ in history["truncated"])
    assert report.health["truncated"].state == "failed" and report.streams["truncated"].frames > 0
    assert any(s == "retrying" and why == "stream ended or stalled" for s, why, _ in history["http-cam"])
    # a live camera is never waited for: frames it delivers while the detector is behind are dropped
    http = report.streams["http-cam"]
    assert http.frames >= 1 and http.frames + http.dropped == 16 and report.health["http-cam"].state == "ended"


def test_batched_across_streams_gives_the_same_counts_as_one_frame_at_a_time(detector):
    def run(naive: bool):
        cameras = [Camera(CameraProfile("a", interval_s=1.0), str(VTEST), fps=5, max_frames=9),
                   Camera(CameraProfile("b", interval_s=2.0), str(VTEST), fps=2, max_frames=6)]
        collector = Collector()
        runner = Runner(cameras, detector, collector, batch_size=6, naive=naive, epoch=EPOCH)
        report = runner.run(seconds=120)
        summary = sorted((e["cameraId"], e["type"], e["dateObserved"], e.get("peopleCount"),
                          json.dumps(e.get("vehicleCounts"))) for e in collector.events)
        return report, summary, {cid: len(t.tracks) for cid, t in runner.trackers.items()}

    naive, naive_events, naive_tracks = run(naive=True)
    batched, batched_events, batched_tracks = run(naive=False)
    assert naive.frames == batched.frames == 15
    assert naive.detector_calls == 15 and batched.detector_calls < 15 and batched.mean_batch > 1
    assert batched.analytics == naive.analytics
    assert batched_events == naive_events and batched_tracks == naive_tracks


def test_the_parked_van_in_vtest_is_a_stopped_vehicle_incident(detector):
    """Real footage: vtest.avi's parked vehicles (top right) stay still for the whole clip. Sampled
    at one frame per 2 s for 36 s, they become carStopped incidents after the 30 s default."""
    profile = CameraProfile("hcm-vtest-parking", interval_s=60.0)
    assert profile.stopped_after_s == 30.0
    collector = Collector()
    runner = Runner([Camera(profile, str(VTEST), fps=0.5, max_frames=18)], detector, collector, epoch=EPOCH)
    runner.run(seconds=120)
    stopped = [e for e in collector.events if e["type"] == "Alert" and e["subCategory"] == "carStopped"]
    assert len(stopped) == 1, "every parked vehicle crosses the limit at the same frame: one alert"
    issued = dt.datetime.fromisoformat(stopped[0]["dateIssued"].replace("Z", "+00:00"))
    assert 30 <= (issued - EPOCH).total_seconds() <= 34
    parked = [t for t in runner.trackers["hcm-vtest-parking"].tracks.values()
              if t.label in ("car", "truck", "bus") and t.hits >= 15]
    assert parked and all(f"#{t.track_id}" in stopped[0]["description"] for t in parked)
    (flow,) = [e for e in collector.events if e["type"] == "TrafficFlowObserved"]
    assert flow["stoppedVehicles"] == len(parked) and not flow["congested"]
    assert not [e for e in collector.events if e.get("subCategory") == "trafficJam"]


def test_stopped_vehicle_and_congestion_logic_on_synthetic_boxes():
    """Analytics logic only (synthetic detections, no footage): a car parked for 40 s among moving
    motorbikes gives one carStopped alert after 30 s; a motorbike whose label flickers between
    motorcycle and bicycle is counted once, as a motorcycle; a dense slow queue is a traffic jam."""
    profile = CameraProfile("synthetic", interval_s=20.0, stopped_after_s=30.0)
    tracker, analytics = CameraTracker(fps=2), CameraAnalytics(profile)
    out: list[dict] = []
    for i in range(80):                                  # 40 s at 2 frames/s
        ts = EPOCH + dt.timedelta(seconds=i / 2)
        boxes = [Detection(600 + (i % 2), 300, 700, 360, 0.9, "car")]          # parked (1 px jitter)
        if i < 30:                                       # a motorbike crossing: flickering label
            boxes.append(Detection(20 + 20 * i, 500, 60 + 20 * i, 560, 0.7,
                                   "bicycle" if i % 4 == 0 else "motorcycle"))
        seen = tracker.update(ts, boxes)
        out += analytics.update(ts, seen, boxes, (720, 1280))
    out += analytics.flush()
    stopped = [e for e in out if e["type"] == "Alert" and e["subCategory"] == "carStopped"]
    assert len(stopped) == 1 and "car #" in stopped[0]["description"]
    issued = dt.datetime.fromisoformat(stopped[0]["dateIssued"].replace("Z", "+00:00"))
    assert 30 <= (issued - EPOCH).total_seconds() <= 31.5
    flows = [e for e in out if e["type"] == "TrafficFlowObserved"]
    assert sum(f["vehicleCounts"]["motorcycle"] for f in flows) == 1
    assert sum(f["vehicleCounts"]["bicycle"] for f in flows) == 0
    assert sum(f["vehicleCounts"]["car"] for f in flows) == 1
    assert flows[-1]["stoppedVehicles"] == 1
    assert not [e for e in out if e.get("subCategory") == "trafficJam"]

    # a queue of 14 motorbikes creeping forward, then clearing
    jam_profile = CameraProfile("jam", interval_s=10.0)
    tracker, analytics = CameraTracker(fps=2), CameraAnalytics(jam_profile)
    out = []
    for i in range(30):
        ts = EPOCH + dt.timedelta(seconds=i / 2)
        boxes = [Detection(40 + 80 * k + i, 400, 100 + 80 * k + i, 470, 0.8, "motorcycle") for k in range(14)]
        seen = tracker.update(ts, boxes)
        out += analytics.update(ts, seen, boxes, (720, 1280))
    jams = [e for e in out if e["type"] == "Alert" and e["subCategory"] == "trafficJam"]
    assert len(jams) == 1, "one alert when the jam starts, not one per frame"
    for e in out:
        events.parse(events.encode(e), events.topic(e["cameraId"], e["type"]))


def test_face_matching_only_where_enabled_logged_and_never_published(tmp_path, lakehouse, detector):
    """messi5.jpg (real photo) as a 1-second clip on a camera with face matching on, vtest.avi on
    one with it off: the watchlist is searched (and logged) for the first only; no event carries
    anything about faces."""
    import cv2

    from citylake.settings import Settings
    from vision.faces import FaceDetector, FaceEmbedder, Watchlist, search_log
    from vision.runner import FaceStep

    photo = cv2.imread("/usr/share/doc/opencv-doc/examples/data/messi5.jpg")
    clip = tmp_path / "messi.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 10, photo.shape[1::-1])
    for _ in range(10):
        writer.write(photo)
    writer.release()
    settings = Settings()
    face_detector, embedder = FaceDetector(), FaceEmbedder()
    watchlist = Watchlist.from_images([("wl-001", "test subject", photo)], face_detector, embedder,
                                      settings=settings)
    cameras = [Camera(CameraProfile("faces-on", faces=True), str(clip), fps=2, max_frames=2),
               Camera(CameraProfile("faces-off"), str(VTEST), fps=2, max_frames=2)]
    with pytest.raises(ValueError, match="no FaceStep"):
        Runner(cameras, detector, Collector())
    collector = Collector()
    runner = Runner(cameras, detector, collector, epoch=EPOCH,
                    faces=FaceStep(face_detector, embedder, watchlist, purpose="pipeline test of the watchlist"))
    report = runner.run(seconds=60)
    assert report.streams["faces-on"].faces >= 2 and report.streams["faces-on"].watchlist_matches >= 2
    assert report.streams["faces-off"].faces == 0
    log = search_log(settings).to_pylist()
    assert {row["camera_id"] for row in log} == {"faces-on"} and len(log) == 2
    assert all(row["purpose"] == "pipeline test of the watchlist" for row in log)
    assert collector.events and {e["cameraId"] for e in collector.events} == {"faces-on", "faces-off"}
    keys = {k.lower() for e in collector.events for k in e}
    assert not [k for k in keys if "face" in k or "embedding" in k or "watchlist" in k]
    assert not [p for _, p in collector.messages if b"wl-001" in p or b"test subject" in p]
