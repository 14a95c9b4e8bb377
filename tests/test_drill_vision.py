"""Drills for honest vision: real video files (made with ffmpeg here, then cut short), the real
detector, a real RTSP server and the real Mosquitto.

* a truncated file is reported and retried a bounded number of times (tenacity), and never read
  again from its start under new times: no frame twice, no time beyond the footage;
* a truncated file that is completed while the source waits resumes where it stopped;
* truncated real footage through the runner invents no incident (the reported case: a carStopped
  alert from 1.6 s of footage) and marks the camera failed;
* ``citylake vision`` over files ends without ``--seconds`` and exits 1 when a camera failed for
  good, 0 when none did;
* a live stream's frames carry the stream's time (start + PTS), not the time they were processed.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_vision_pipeline import EPOCH, VTEST, rtsp_camera  # noqa: F401  (rtsp_camera: a fixture)

from vision.analytics import CameraProfile
from vision.detector import ObjectDetector
from vision.publish import Collector
from vision.runner import Camera, Runner, exit_status
from vision.streams import FrameSource

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """10 s of ffmpeg's test pattern at 10 fps, MJPEG in AVI (the index at the end, as cameras write)."""
    path = tmp_path_factory.mktemp("clips") / "clip.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=10:size=320x240:rate=10",
                    "-c:v", "mjpeg", "-q:v", "5", str(path)], check=True)
    return path


def _cut(source: Path, target: Path, share: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[:int(len(data) * share)])
    return target


def _times(frames) -> list[float]:
    return [(f.timestamp - EPOCH).total_seconds() for f in frames]


def test_a_truncated_file_is_retried_a_bounded_number_of_times_and_never_replayed(clip, tmp_path):
    truncated = _cut(clip, tmp_path / "truncated.avi", 0.3)
    source = FrameSource("cut", truncated, fps=5, epoch=EPOCH, max_retries=3, backoff_s=0.01)
    frames = list(source.frames())                       # returns: a file source ends

    times = _times(frames)
    assert 10 <= len(frames) <= 16, len(frames)          # 30 % of 10 s at 5 fps, once
    assert [f.index for f in frames] == list(range(len(frames)))
    assert times == sorted(set(times)) and times[-1] < 3.5, times
    assert [round(b - a, 3) for a, b in zip(times, times[1:])] == [0.2] * (len(times) - 1)
    retries = [h for h in source.history if h.state == "retrying"]
    assert [h.retries for h in retries] == [1, 2, 3]
    assert all("truncated or corrupt file" in h.reason for h in retries)
    assert source.health.state == "failed" and source.health.reason.startswith("gave up after 3 retries")
    assert source.health.frames_sampled == len(frames)
    # the same file read once, with no retry at all, gives exactly the same frames at the same times
    once = FrameSource("once", truncated, fps=5, epoch=EPOCH, max_retries=0)
    assert _times(list(once.frames())) == times and once.health.state == "failed"


def test_a_truncated_file_completed_during_the_backoff_resumes_where_it_stopped(clip, tmp_path):
    growing = _cut(clip, tmp_path / "growing.avi", 0.4)

    def complete(health):
        if health.state == "retrying":                   # the upload finishes while the source waits
            growing.write_bytes(clip.read_bytes())

    source = FrameSource("growing", growing, fps=5, epoch=EPOCH, max_retries=3, backoff_s=0.05,
                         on_health=complete)
    frames = list(source.frames())
    full = list(FrameSource("full", clip, fps=5, epoch=EPOCH).frames())
    assert _times(frames) == _times(full) and len(full) == 50
    assert [f.index for f in frames] == list(range(50))
    assert [h.state for h in source.history].count("retrying") == 1
    assert source.health.state == "ended" and source.health.retries == 0


@pytest.fixture(scope="module")
def detector():
    return ObjectDetector()


def test_truncated_footage_through_the_runner_invents_no_incident_and_fails_the_camera(detector, tmp_path):
    # vtest.avi cut after about 1.6 s; stopped vehicles would need 1 s of stillness to alert
    truncated = _cut(VTEST, tmp_path / "vtest-cut.avi", 310_000 / VTEST.stat().st_size)
    profile = CameraProfile("hcm-cut", interval_s=1.0, stopped_after_s=1.0)
    collector = Collector()
    runner = Runner([Camera(profile, str(truncated), fps=5)], detector, collector, epoch=EPOCH, max_retries=2,
                    backoff_s=0.01, log=lambda line: None)
    report = runner.run()                                # no seconds: it must end by itself

    frames = report.streams["hcm-cut"].frames
    assert 6 <= frames <= 10, frames                     # 1.6 s at 5 fps, each frame once
    assert report.failed.keys() == {"hcm-cut"} and "truncated" in report.failed["hcm-cut"]
    assert exit_status(report) == 1
    last_frame = report.health["hcm-cut"].last_frame_at
    assert (last_frame - EPOCH).total_seconds() < 2.0
    stamps = []
    for e in collector.events:
        stamps.append(dt.datetime.fromisoformat((e.get("dateIssued") or e["dateObservedFrom"]).replace("Z", "+00:00")))
    assert stamps and all(EPOCH <= s <= last_frame for s in stamps), (stamps, last_frame)
    # the parked vehicles of vtest.avi are in view for at most 1.6 s of footage: not "stopped" for 1 s
    # more than the footage shows, and never twice
    stopped = [e for e in collector.events if e.get("subCategory") == "carStopped"]
    assert len(stopped) <= 1 and all(
        dt.datetime.fromisoformat(e["dateIssued"].replace("Z", "+00:00")) <= last_frame for e in stopped)


def _vision(mqtt_settings, *sources: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "orchestration.cli", "vision", "--fps", "2", "--max-retries", "1"]
    for spec in sources:
        cmd += ["--source", spec]
    env = {**os.environ, **mqtt_settings.env()}
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def test_citylake_vision_ends_by_itself_and_exits_1_when_a_camera_fails_for_good(mqtt, clip, tmp_path):
    garbage = tmp_path / "garbage.avi"
    garbage.write_bytes(bytes(range(256)) * 400)
    short = tmp_path / "short.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clip), "-t", "2", "-c", "copy", str(short)], check=True)

    good = _vision(mqtt, f"good={short}")                  # no --seconds: ends when the file does
    assert good.returncode == 0, good.stdout + good.stderr
    assert "ended (end of file)" in good.stdout and "FAILED" not in good.stderr

    mixed = _vision(mqtt, f"good={short}", f"bad={garbage}", f"cut={_cut(clip, tmp_path / 'cut.avi', 0.3)}")
    assert mixed.returncode == 1, mixed.stdout + mixed.stderr
    assert "FAILED bad: gave up after 1 retries: cannot open" in mixed.stderr
    assert "FAILED cut: gave up after 1 retries: truncated or corrupt file" in mixed.stderr
    assert "FAILED good" not in mixed.stderr


def test_live_frames_carry_the_stream_time_not_the_processing_time(rtsp_camera):  # noqa: F811
    source = FrameSource("rtsp-cam", rtsp_camera, fps=5, max_frames=8, backoff_s=0.2, timeout_s=10)
    frames = []
    for frame in source.frames():
        frames.append(frame)
        time.sleep(0.5)            # a detector far slower than the camera: processing time is 0.5 s apart
    stream = [(b.timestamp - a.timestamp).total_seconds() for a, b in zip(frames, frames[1:])]
    assert len(frames) == 8 and all(0.15 <= d <= 0.35 for d in stream), stream   # the stream's own 5 fps
