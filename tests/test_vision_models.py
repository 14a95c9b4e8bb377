"""The models step and the ONNX wrappers, on the real models and real footage from opencv-doc.

The models live in CITYLAKE_MODELS_DIR (default ``.models``): the first run downloads and converts
them (about a minute), later runs only verify their checksums.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from vision import models

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
HTML = Path("/usr/share/doc/opencv-doc/opencv4/html")   # same package: stills with real faces
ALLOWED = {"person", "bicycle", "car", "motorcycle", "bus", "truck"}


@pytest.fixture(scope="module")
def model_paths():
    return models.ensure_all()


@pytest.fixture(scope="module")
def vtest_frames():
    capture = cv2.VideoCapture(str(DATA / "vtest.avi"))
    frames = {}
    for index in range(401):
        ok, frame = capture.read()
        assert ok, f"vtest.avi ended at frame {index}"
        if index in (0, 100, 200, 400):
            frames[index] = frame
    capture.release()
    return frames


@pytest.fixture(scope="module")
def detector(model_paths):
    from vision.detector import ObjectDetector

    return ObjectDetector(threads=2)


@pytest.fixture(scope="module")
def faces(model_paths):
    from vision.faces import FaceDetector, FaceEmbedder

    return FaceDetector(threads=2), FaceEmbedder(threads=2)


def test_models_step_is_idempotent_and_pinned(model_paths):
    before = {name: path.stat().st_mtime_ns for name, path in model_paths.items()}
    lines: list[str] = []
    again = models.ensure_all(progress=lines.append)
    assert lines == []   # nothing fetched, nothing converted
    assert {name: path.stat().st_mtime_ns for name, path in again.items()} == before
    for name, path in again.items():
        assert models.sha256_of(path) == models.MODELS[name].onnx_sha256
        assert path.parent == models.models_dir()


def test_a_tampered_model_or_archive_is_refused(model_paths, tmp_path, monkeypatch):
    monkeypatch.setenv("CITYLAKE_MODELS_DIR", str(tmp_path))
    tampered = tmp_path / "face_detector.onnx"
    shutil.copyfile(model_paths["face_detector"], tampered)
    with open(tampered, "r+b") as f:
        f.seek(4096)
        byte = f.read(1)
        f.seek(4096)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(models.ModelChecksumError, match="changed or corrupted"):
        models.ensure("face_detector")

    # a corrupt cached archive is refused before anything is extracted or converted from it
    tampered.unlink()
    archive = models.MODELS["face_detector"].archive
    real_archive = Path(model_paths["face_detector"]).parent / "archives" / archive.filename
    (tmp_path / "archives").mkdir()
    data = bytearray(real_archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "archives" / archive.filename).write_bytes(bytes(data))
    with pytest.raises(models.ModelChecksumError, match="registry served something else"):
        models.ensure("face_detector")
    assert not tampered.exists()


def test_detector_finds_the_pedestrians_of_vtest(detector, vtest_frames):
    assert detector.input_size == (416, 416) and detector.batched
    found = detector.detect([vtest_frames[100]])[0]
    people = [d for d in found if d.label == "person"]
    assert 5 <= len(people) <= 14, people
    assert {d.label for d in found} <= ALLOWED
    height, width = vtest_frames[100].shape[:2]
    for d in found:
        assert 0 <= d.x1 < d.x2 <= width and 0 <= d.y1 < d.y2 <= height and 0.35 <= d.score <= 1
    # pedestrians are taller than wide; the parked van (top right) is a vehicle
    assert np.median([(d.y2 - d.y1) / (d.x2 - d.x1) for d in people]) > 1.5
    assert any(d.label in {"car", "truck", "bus"} and d.x1 > width / 2 and d.y2 < height / 3 for d in found)


def test_a_batch_gives_the_same_detections_as_single_frames(detector, vtest_frames):
    frames = list(vtest_frames.values())
    batched = detector.detect(frames)
    for frame, together in zip(frames, batched, strict=True):
        alone = detector.detect([frame])[0]
        assert len(alone) == len(together) > 0
        for a, b in zip(alone, together, strict=True):
            assert a.label == b.label
            assert abs(a.score - b.score) < 1e-3
            assert max(abs(a.x1 - b.x1), abs(a.y1 - b.y1), abs(a.x2 - b.x2), abs(a.y2 - b.y2)) < 1.0


def test_blazeface_finds_messi(faces):
    face_detector, _ = faces
    found = face_detector.detect(cv2.imread(str(DATA / "messi5.jpg")))
    assert len(found) == 1, found
    face = found[0]
    assert face.score > 0.7
    assert face.x1 < 239 < face.x2 and face.y1 < 115 < face.y2 and 25 < face.size < 60
    (rx, ry), (lx, ly), _, (mx, my) = face.landmarks[:4]
    assert rx < lx and max(ry, ly) < my   # eyes side by side, above the mouth


def _embedding(faces, image):
    face_detector, embedder = faces
    found = face_detector.detect(image)
    assert found, "no face"
    return embedder.embed(image, found[:1])[0]


def test_embedding_is_stable_for_a_face_and_apart_from_others(faces):
    messi = cv2.imread(str(DATA / "messi5.jpg"))
    reference = _embedding(faces, messi)
    assert reference.shape == (192,) and abs(np.linalg.norm(reference) - 1) < 1e-5
    variants = [np.roll(messi, (7, 11), (0, 1)), cv2.flip(messi, 1),
                cv2.convertScaleAbs(messi, alpha=1.2, beta=25)]
    same = [float(_embedding(faces, v) @ reference) for v in variants]
    lena = cv2.imread(str(HTML / "faceDetection.png"))
    other_man = cv2.imread(str(HTML / "example.jpg"))[:, :380]
    others = [float(_embedding(faces, img) @ reference) for img in (lena, other_man)]
    assert min(same) > 0.7, same
    assert min(same) > max(others) + 0.3, (same, others)


def test_watchlist_search_is_always_logged(faces, settings):
    from citylake import delta
    from citylake.catalog import restricted_uri
    from vision.faces import Watchlist, search_log

    face_detector, embedder = faces
    lena = cv2.imread(str(HTML / "faceDetection.png"))
    watchlist = Watchlist.from_images(
        [("W-001", "test subject A", lena),
         ("W-002", "test subject B", cv2.imread(str(HTML / "example.jpg"))[:, :380])],
        face_detector, embedder, settings=settings)
    before = search_log(settings).num_rows

    messi = cv2.imread(str(DATA / "messi5.jpg"))
    messi_faces = face_detector.detect(messi)
    none = watchlist.search(embedder.embed(messi, messi_faces), camera_id="CAM-Q1-0001",
                            purpose="Test: searching a face that is on no watchlist", user="officer.tran")
    assert none == []
    log = search_log(settings).to_pylist()
    assert len(log) == before + 1
    row = max((r for r in log if r["camera_id"] == "CAM-Q1-0001"), key=lambda r: r["searched_at"])
    assert (row["camera_id"], row["faces_searched"], row["matches"], row["user"]) == \
        ("CAM-Q1-0001", 1, 0, "officer.tran")
    assert set(row) == {"searched_at", "user", "camera_id", "purpose", "faces_searched", "matches"}

    flipped = cv2.flip(lena, 1)
    lena_faces = face_detector.detect(flipped)
    hits = watchlist.search(embedder.embed(flipped, lena_faces), camera_id="CAM-Q1-0002",
                            purpose="Test: a watchlisted face seen by a camera", faces=lena_faces)
    assert [(m.watchlist_id, m.face_index) for m in hits] == [("W-001", 0)]
    assert hits[0].similarity >= watchlist.threshold
    assert search_log(settings).num_rows == before + 2
    stored = delta.read_arrow(restricted_uri(settings, "cameras", "face_matches")).to_pylist()
    mine = [r for r in stored if r["camera_id"] == "CAM-Q1-0002"]
    assert mine and mine[-1]["watchlist_id"] == "W-001"
    assert set(mine[-1]) == {"camera_id", "matched_at", "watchlist_id", "similarity", "x1", "y1", "x2", "y2"}
    assert mine[-1]["x1"] == pytest.approx(lena_faces[0].x1)

    with pytest.raises(PermissionError):
        watchlist.search(embedder.embed(messi, messi_faces), camera_id="CAM-Q1-0001", purpose="")
    assert search_log(settings).num_rows == before + 2
