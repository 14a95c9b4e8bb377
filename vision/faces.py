"""Faces: BlazeFace detection, MobileFaceNet embeddings, and a watchlist whose every search is logged.

Faces are personal data (biometric, Decree 13/2023/NĐ-CP): embeddings stay in memory or in the
restricted layer, are never published (nothing here touches MQTT), and every watchlist search
appends who, when, which camera, why and how many to ``restricted/_audit/watchlist_searches``.
Matches go to ``restricted/cameras/face_matches`` without any embedding.
"""
from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pyarrow as pa

from vision.detector import session

# MediaPipe BlazeFace: two anchor grids (16×16 × 2 anchors, 8×8 × 6 anchors) on a square input.
ANCHOR_GRIDS = ((16, 2), (8, 6))
# Landmark order: subject's right eye (image left), left eye, nose tip, mouth centre, right ear, left ear.
# Where eyes, nose and mouth centre sit in the 112×112 crop the embedder expects (ArcFace template).
TEMPLATE_112 = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                         [56.1396, 92.2848]], np.float32)

AUDIT_SCHEMA = pa.schema([("searched_at", pa.timestamp("us", tz="UTC")), ("user", pa.string()),
                          ("camera_id", pa.string()), ("purpose", pa.string()),
                          ("faces_searched", pa.int64()), ("matches", pa.int64())])
MATCH_SCHEMA = pa.schema([("camera_id", pa.string()), ("matched_at", pa.timestamp("us", tz="UTC")),
                          ("watchlist_id", pa.string()), ("similarity", pa.float32()),
                          ("x1", pa.float32()), ("y1", pa.float32()), ("x2", pa.float32()),
                          ("y2", pa.float32())])


@dataclass(frozen=True, slots=True)
class Face:
    x1: float
    y1: float
    x2: float
    y2: float                                  # pixels in the original frame
    score: float
    landmarks: tuple[tuple[float, float], ...]  # 6 points, BlazeFace order (see ANCHOR_GRIDS note)

    @property
    def size(self) -> float:
        return min(self.x2 - self.x1, self.y2 - self.y1)


def _anchors() -> np.ndarray:
    centres = []
    for cells, per_cell in ANCHOR_GRIDS:
        ys, xs = np.mgrid[0:cells, 0:cells]
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], 1)
        centres.append(np.repeat(grid, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


class FaceDetector:
    """BlazeFace (back-camera, 256×256) on ONNX Runtime. The frame is letterboxed, not stretched,
    so the landmarks keep the face's geometry; the model has a fixed batch of one."""

    def __init__(self, model_path: str | Path | None = None, providers: list[str] | None = None,
                 threads: int | None = None, score_threshold: float = 0.6, nms_iou: float = 0.3):
        if model_path is None:
            from vision import models

            model_path = models.ensure("face_detector")
        self.session = session(model_path, providers, threads)
        model_input = self.session.get_inputs()[0]
        self.input_name = model_input.name
        self.size = int(model_input.shape[1])
        # outputs: scores (1,512,1), (1,384,1) and boxes (1,512,16), (1,384,16), by shape
        outputs = sorted(self.session.get_outputs(), key=lambda o: (o.shape[2], -o.shape[1]))
        self.output_names = [o.name for o in outputs]
        self.anchors = _anchors()
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou

    def detect(self, frame: np.ndarray, score_threshold: float | None = None) -> list[Face]:
        threshold = self.score_threshold if score_threshold is None else score_threshold
        height, width = frame.shape[:2]
        scale = self.size / max(height, width)
        resized = cv2.resize(frame, (round(width * scale), round(height * scale)))
        square = np.zeros((self.size, self.size, 3), np.uint8)
        square[:resized.shape[0], :resized.shape[1]] = resized
        blob = (square[None, :, :, ::-1].astype(np.float32) / 127.5) - 1.0
        scores_a, scores_b, boxes_a, boxes_b = self.session.run(self.output_names, {self.input_name: blob})
        logits = np.concatenate([scores_a[0, :, 0], scores_b[0, :, 0]])
        scores = 1.0 / (1.0 + np.exp(-logits.clip(-80, 80)))
        keep = np.nonzero(scores > threshold)[0]
        if not len(keep):
            return []
        raw = np.concatenate([boxes_a[0], boxes_b[0]])[keep] / self.size
        anchor = self.anchors[keep]
        centre = anchor + raw[:, 0:2]
        half = raw[:, 2:4] / 2
        boxes = np.concatenate([centre - half, centre + half], 1) * (self.size / scale)
        points = (anchor[:, None, :] + raw[:, 4:16].reshape(-1, 6, 2)) * (self.size / scale)
        boxes[:, 0::2] = boxes[:, 0::2].clip(0, width)
        boxes[:, 1::2] = boxes[:, 1::2].clip(0, height)
        xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1)
        chosen = cv2.dnn.NMSBoxes(xywh.tolist(), scores[keep].tolist(), threshold, self.nms_iou)
        faces = [Face(*map(float, boxes[i]), float(scores[keep][i]),
                      tuple((float(x), float(y)) for x, y in points[i]))
                 for i in np.asarray(chosen).ravel()]
        return sorted(faces, key=lambda f: -f.score)


class FaceEmbedder:
    """MobileFaceNet (192-d). Each face is aligned first: a similarity transform
    (``cv2.estimateAffinePartial2D``) takes its eyes, nose and mouth to the 112×112 template."""

    def __init__(self, model_path: str | Path | None = None, providers: list[str] | None = None,
                 threads: int | None = None):
        if model_path is None:
            from vision import models

            model_path = models.ensure("face_embedder")
        self.session = session(model_path, providers, threads)
        self.input_name = self.session.get_inputs()[0].name
        self.dim = int(self.session.get_outputs()[0].shape[1])

    @staticmethod
    def align(frame: np.ndarray, face: Face) -> np.ndarray:
        points = np.array(face.landmarks[:4], np.float32)
        matrix, _ = cv2.estimateAffinePartial2D(points, TEMPLATE_112, method=cv2.LMEDS)
        if matrix is None:   # degenerate landmarks: fall back to the box
            x1, y1, x2, y2 = (int(round(v)) for v in (face.x1, face.y1, face.x2, face.y2))
            return cv2.resize(frame[max(y1, 0):y2, max(x1, 0):x2], (112, 112))
        return cv2.warpAffine(frame, matrix, (112, 112), flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_REPLICATE)

    def embed(self, frame: np.ndarray, faces: list[Face]) -> np.ndarray:
        """(n, 192) float32, each row L2-normalised; one batched run for all faces."""
        if not faces:
            return np.zeros((0, self.dim), np.float32)
        crops = np.stack([self.align(frame, face) for face in faces])
        blob = (crops[:, :, :, ::-1].astype(np.float32) - 127.5) / 128.0
        vectors = self.session.run(None, {self.input_name: blob})[0]
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@dataclass(frozen=True, slots=True)
class Match:
    face_index: int        # which of the searched embeddings
    watchlist_id: str
    label: str
    similarity: float


@dataclass
class Watchlist:
    """Reference faces (id, label, embedding) held in memory only; searched by cosine similarity."""

    settings: object = None
    threshold: float = 0.5
    ids: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    embeddings: np.ndarray = field(default_factory=lambda: np.zeros((0, 192), np.float32))

    def add(self, watchlist_id: str, label: str, embedding: np.ndarray) -> None:
        vector = np.asarray(embedding, np.float32).reshape(1, -1)
        vector /= np.linalg.norm(vector)
        if not len(self.ids):
            self.embeddings = np.zeros((0, vector.shape[1]), np.float32)
        self.ids.append(watchlist_id)
        self.labels.append(label)
        self.embeddings = np.concatenate([self.embeddings, vector])

    @classmethod
    def from_images(cls, references: list[tuple[str, str, np.ndarray]], detector: FaceDetector,
                    embedder: FaceEmbedder, settings=None, threshold: float = 0.5) -> Watchlist:
        """One entry per (id, label, BGR image): the image's most confident face."""
        watchlist = cls(settings=settings, threshold=threshold)
        for watchlist_id, label, image in references:
            faces = detector.detect(image)
            if not faces:
                raise ValueError(f"no face found in the reference image of {watchlist_id}")
            watchlist.add(watchlist_id, label, embedder.embed(image, faces[:1])[0])
        return watchlist

    def search(self, embeddings: np.ndarray, camera_id: str, purpose: str, user: str | None = None,
               faces: list[Face] | None = None, at: dt.datetime | None = None) -> list[Match]:
        """Best watchlist entry per face at or above the threshold. Every call is logged, matches
        or not; matches are stored (camera, time, id, similarity, box: no embedding)."""
        from citylake import delta
        from citylake.catalog import restricted_uri
        from citylake.settings import get_settings

        if not purpose or len(purpose.strip()) < 10:
            raise PermissionError("a watchlist search needs a stated purpose (at least a sentence)")
        settings = self.settings or get_settings()
        at = at or dt.datetime.now(dt.UTC)
        queries = np.asarray(embeddings, np.float32).reshape(-1, self.embeddings.shape[1])
        matches: list[Match] = []
        if len(self.ids) and len(queries):
            similarity = queries @ self.embeddings.T
            best = similarity.argmax(1)
            for i, j in enumerate(best):
                if similarity[i, j] >= self.threshold:
                    matches.append(Match(i, self.ids[j], self.labels[j], float(similarity[i, j])))
        who = user or settings.user or getpass.getuser()
        audit = pa.Table.from_pylist([{
            "searched_at": at, "user": who, "camera_id": camera_id, "purpose": purpose.strip(),
            "faces_searched": len(queries), "matches": len(matches)}], schema=AUDIT_SCHEMA)
        delta.write_arrow(audit, restricted_uri(settings, "_audit", "watchlist_searches"), mode="append")
        if matches:
            rows = []
            for m in matches:
                face = faces[m.face_index] if faces else None
                box = (face.x1, face.y1, face.x2, face.y2) if face else (None,) * 4
                rows.append({"camera_id": camera_id, "matched_at": at, "watchlist_id": m.watchlist_id,
                             "similarity": m.similarity, **dict(zip(("x1", "y1", "x2", "y2"), box, strict=True))})
            delta.write_arrow(pa.Table.from_pylist(rows, schema=MATCH_SCHEMA),
                              restricted_uri(settings, "cameras", "face_matches"), mode="append")
        return matches


def search_log(settings=None) -> pa.Table:
    """The watchlist search audit trail (restricted)."""
    from citylake import delta
    from citylake.catalog import restricted_uri
    from citylake.settings import get_settings

    uri = restricted_uri(settings or get_settings(), "_audit", "watchlist_searches")
    return delta.read_arrow(uri) if delta.exists(uri) else AUDIT_SCHEMA.empty_table()
