"""The vision path's CPU levers keep its answers: the INT8 detector, detection on every Nth frame,
the motion gate and decoding at the detector's size, on real footage (opencv-doc's vtest.avi).

Speed is measured in ``bench/bench_vision.py``, never here: these tests check that each lever
gives the same detections, tracks and counts as the exact path (or says how far it may differ).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision import models, quantize
from vision.analytics import CameraProfile
from vision.detector import Detection, ObjectDetector, _one_box_per_vehicle
from vision.motion import MotionGate, thumbnail
from vision.publish import Collector
from vision.runner import Camera, Runner
from vision.streams import FrameSource
from vision.tracking import CameraTracker

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
VTEST = DATA / "vtest.avi"
EPOCH = dt.datetime(2025, 7, 1, 1, 0, tzinfo=dt.UTC)
HELD_OUT = tuple(range(610, 795, 20))      # vtest.avi frames the calibration never saw


@pytest.fixture(scope="module")
def vtest() -> dict[int, np.ndarray]:
    capture = cv2.VideoCapture(str(VTEST))
    frames = {}
    for index in range(795):
        ok, frame = capture.read()
        assert ok
        frames[index] = frame
    capture.release()
    return frames


@pytest.fixture(scope="module")
def fp32():
    return ObjectDetector(precision="fp32")


@pytest.fixture(scope="module")
def int8():
    return ObjectDetector(precision="int8")


def _iou(a: Detection, b: Detection) -> float:
    w, h = min(a.x2, b.x2) - max(a.x1, b.x1), min(a.y2, b.y2) - max(a.y1, b.y1)
    if w <= 0 or h <= 0:
        return 0.0
    return w * h / ((a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - w * h)


def _matched(found: list[Detection], among: list[Detection]) -> int:
    return sum(any(d.label == o.label and _iou(d, o) >= 0.5 for o in among) for d in found)


def test_int8_agrees_with_fp32_on_frames_outside_its_calibration(fp32, int8, vtest):
    assert not set(HELD_OUT) & set(quantize.CALIBRATION_FRAMES)
    assert int8.precision == "int8"
    assert quantize.ensure_int8().stat().st_size < 0.4 * models.ensure("coco_detector").stat().st_size
    frames = [vtest[i] for i in HELD_OUT] + [cv2.imread(str(DATA / "messi5.jpg"))]
    reference, quantized = fp32.detect(frames), int8.detect(frames)
    total = sum(len(r) for r in reference)
    assert total >= 60                                  # pedestrians and the parked vehicles
    recall = sum(_matched(r, q) for r, q in zip(reference, quantized, strict=True)) / total
    precision = sum(_matched(q, r) for r, q in zip(reference, quantized, strict=True)) / sum(map(len, quantized))
    assert recall >= 0.9 and precision >= 0.9, (recall, precision)


def test_the_int8_model_is_rebuilt_when_its_recipe_changes():
    path = quantize.ensure_int8()
    manifest = path.with_suffix(".json")
    recorded = json.loads(manifest.read_text())
    assert recorded["format"] == "QDQ" and recorded["sha256"]
    before = path.stat().st_mtime_ns
    assert quantize.ensure_int8() == path and path.stat().st_mtime_ns == before    # up to date: kept
    manifest.write_text(json.dumps({**recorded, "onnxruntime": "0.0.0"}))
    lines: list[str] = []
    assert quantize.ensure_int8(lines.append) == path
    assert path.stat().st_mtime_ns != before and lines and "quantizing" in lines[0]
    assert json.loads(manifest.read_text())["onnxruntime"] == recorded["onnxruntime"]


def test_one_vehicle_is_one_box_but_a_rider_keeps_their_motorbike():
    van = [Detection(652, 44, 725, 99, 0.8, "truck"), Detection(651, 43, 724, 99, 0.5, "bus")]
    assert _one_box_per_vehicle(van) == van[:1]
    rider = [Detection(100, 50, 140, 160, 0.8, "person"), Detection(95, 90, 145, 170, 0.7, "motorcycle")]
    assert _one_box_per_vehicle(rider) == rider
    two_bikes = [Detection(0, 0, 40, 80, 0.9, "motorcycle"), Detection(30, 0, 70, 80, 0.9, "motorcycle")]
    assert _one_box_per_vehicle(two_bikes) == two_bikes


def test_tracks_every_nth_frame_still_need_two_detections():
    """Detection every 3rd frame, prediction between: a box seen once is noise (no track), a walking
    one keeps a single id; without norfair's period the first would be a track at once."""
    tracker = CameraTracker(fps=5, detect_every=3)
    ids: set[int] = set()
    for i in range(30):
        ts = EPOCH + dt.timedelta(seconds=i / 5)
        if i % 3:
            tracker.predict()
            continue
        boxes = [Detection(100 + 4 * i, 200, 160 + 4 * i, 320, 0.9, "person")]
        if i == 12:
            boxes.append(Detection(500, 50, 560, 90, 0.6, "car"))       # a one-off false detection
        ids |= {t.track_id for t in tracker.update(ts, boxes)}
    tracks = [tracker.tracks[i] for i in ids]
    assert [t.label for t in tracks] == ["person"] and tracks[0].hits == 9


def test_motion_gate_on_real_frames(vtest):
    gate = MotionGate(keyframe_s=10)
    still = thumbnail(vtest[100])
    assert gate.moved(still, EPOCH)                     # nothing to compare with yet
    gate.detected(still, EPOCH)
    assert not gate.moved(thumbnail(vtest[100].copy()), EPOCH + dt.timedelta(seconds=1))
    assert gate.last_change == 0
    assert gate.moved(thumbnail(vtest[104]), EPOCH + dt.timedelta(seconds=1))   # people walked 0.4 s
    assert gate.last_change >= gate.min_area
    assert gate.moved(still, EPOCH + dt.timedelta(seconds=10))                  # keyframe due


@pytest.fixture(scope="module")
def still_then_moving(tmp_path_factory, vtest) -> Path:
    """4 s of one vtest.avi frame held still (a scene where nothing moves), then 4 s of the footage."""
    path = tmp_path_factory.mktemp("clips") / "still_then_moving.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (768, 576))
    for i in range(80):
        writer.write(vtest[100] if i < 40 else vtest[100 + i])
    writer.release()
    return path


def test_motion_gate_skips_a_still_scene_and_detects_when_it_moves(still_then_moving, int8):
    camera = Camera(CameraProfile("gated", interval_s=60), str(still_then_moving), fps=5, motion=True)
    runner = Runner([camera], int8, Collector(), epoch=EPOCH, log=lambda line: None)
    report = runner.run(seconds=120)
    stats = report.streams["gated"]
    assert report.frames == 40 and stats.held + stats.detected == 40
    assert 18 <= stats.held <= 19                      # the still part: its first frame only
    assert stats.detected >= 20                        # every moving frame
    people = [t for t in runner.trackers["gated"].tracks.values() if t.label == "person"]
    assert people and max(t.hits for t in people) >= 15
    # held frames still count people: the crowd average is not dragged down by skipped frames
    (crowd,) = [e for e in runner.publisher.events if e["type"] == "CrowdFlowObserved"]
    assert crowd["peopleCount"] >= 5


def test_decoding_every_nth_frame_and_at_the_detector_size(fp32):
    full = list(FrameSource("full", VTEST, fps=5, max_frames=9, epoch=EPOCH).frames())
    small = list(FrameSource("small", VTEST, fps=5, max_frames=9, epoch=EPOCH, decode_every=3,
                             decode_size=fp32.input_size).frames())
    assert [f.timestamp for f in small] == [f.timestamp for f in full]
    assert [f.image is not None for f in small] == [i % 3 == 0 for i in range(9)]
    assert all(f.shape == (576, 768) for f in small) and small[0].image.shape == (416, 416, 3)
    # boxes from the small decode, in the camera's pixels, are the boxes of the full frame
    a = fp32.detect([full[3].image])[0]
    b = fp32.detect([small[3].image], sizes=[small[3].shape])[0]
    assert len(a) == len(b) >= 5
    for x, y in zip(a, b, strict=True):
        assert x.label == y.label and _iou(x, y) > 0.98


def _counts(detector, **levers) -> dict[str, list[int]]:
    collector = Collector()
    camera = Camera(CameraProfile("guard", interval_s=10), str(VTEST), fps=5, max_frames=200, **levers)
    report = Runner([camera], detector, collector, epoch=EPOCH, log=lambda line: None).run(seconds=300)
    assert report.frames == 200
    return {"vehicles": [sum(e["vehicleCounts"].values()) for e in collector.events
                         if e["type"] == "TrafficFlowObserved"],
            "persons": [e["peopleCount"] for e in collector.events if e["type"] == "CrowdFlowObserved"]}


def test_int8_every_2nd_frame_with_the_gate_keeps_the_counts_within_the_guard(fp32, int8):
    """40 s of vtest.avi: FP32 on every frame vs the optimised path (the bench's guard: 5 %)."""
    reference = _counts(fp32)
    optimised = _counts(int8, detect_every=2, motion=True)
    assert sum(reference["vehicles"]) == 2             # the parked van and the car beside it, once each
    assert len(optimised["persons"]) == len(reference["persons"]) == 4
    for kind in ("vehicles", "persons"):
        ref, opt = sum(reference[kind]), sum(optimised[kind])
        assert abs(opt - ref) <= 0.05 * ref, (kind, reference, optimised)
