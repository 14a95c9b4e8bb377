"""Motion gating: no detector call on a frame where nothing moved since the last detection.

As Frigate does: a small grey, blurred copy of the frame is compared with the copy of the last frame
the detector ran on; pixels that changed by more than ``threshold`` grey levels are counted, and
under ``min_area`` of the frame the detector is skipped (the camera's tracks are held as they were).
Comparing with the last *detected* frame, not the previous one, lets slow movement add up until it
counts. A detection is forced every ``keyframe_s`` all the same, so a scene that changes too slowly
to notice (light, a car creeping) is looked at again.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import cv2
import numpy as np

THUMBNAIL_WIDTH = 160


def thumbnail(image: np.ndarray, width: int = THUMBNAIL_WIDTH) -> np.ndarray:
    """The frame shrunk to ``width`` pixels across, grey, blurred (sensor noise and compression
    artefacts must not count as motion)."""
    height = max(1, round(image.shape[0] * width / image.shape[1]))
    small = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)   # INTER_AREA: 5× the cost
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    return cv2.GaussianBlur(grey, (5, 5), 0)


@dataclass
class MotionGate:
    """One camera's gate. ``moved`` says whether to run the detector; ``detected`` records that it ran."""

    threshold: int = 25          # grey levels (of 255) for a pixel to count as changed
    min_area: float = 0.003      # share of the frame that must change (0.3 %: a person far away)
    keyframe_s: float = 10.0     # detect at least this often, motion or not
    reference: np.ndarray | None = None
    reference_at: dt.datetime | None = None
    last_change: float = 0.0     # share of the frame that changed, at the last ``moved`` call

    def moved(self, small: np.ndarray, ts: dt.datetime) -> bool:
        if self.reference is None or self.reference.shape != small.shape:
            return True
        if (ts - self.reference_at).total_seconds() >= self.keyframe_s:
            return True
        diff = cv2.absdiff(small, self.reference)
        self.last_change = cv2.countNonZero(cv2.threshold(diff, self.threshold, 255, cv2.THRESH_BINARY)[1]) \
            / diff.size
        return self.last_change >= self.min_area

    def detected(self, small: np.ndarray, ts: dt.datetime) -> None:
        self.reference, self.reference_at = small, ts
