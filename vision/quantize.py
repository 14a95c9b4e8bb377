"""INT8 NanoDet: static QDQ quantization of the pinned FP32 detector, calibrated on real footage.

Why: on these CPUs (AVX-512 VNNI) an INT8 convolution runs several times faster than FP32, and the
detector is most of a frame's CPU time. Static (not dynamic) quantization, because the activation
ranges are fixed once from real frames instead of being measured at run time on every call; QDQ
format, weights per channel (s8), activations u8 — what ONNX Runtime's VNNI kernels take.

Calibration frames are the project's footage (opencv-doc's ``vtest.avi``, the first 60 s, every
1.5 s, plus ``licenseplate_motion.jpg``, a street with a car); the rest of ``vtest.avi`` and other
stills stay out of it, so tests can compare INT8 with FP32 on frames the calibration never saw.

The INT8 file is derived, not downloaded: it is rebuilt when the FP32 model, the calibration recipe
or ONNX Runtime's version change (a manifest beside it records them), so it needs no pinned sha256.
"""
from __future__ import annotations

import fcntl
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

DATA = Path("/usr/share/doc/opencv-doc/examples/data")
VTEST = DATA / "vtest.avi"
CALIBRATION_FRAMES = tuple(range(0, 600, 15))   # vtest.avi frame numbers (10 fps: the first 60 s)
CALIBRATION_STILLS = ("licenseplate_motion.jpg",)
FILENAME = "coco_detector_int8.onnx"
RECIPE = {"format": "QDQ", "activations": "QUInt8", "weights": "QInt8", "per_channel": True,
          "calibration": "MinMax", "frames": f"vtest.avi[0:600:15] + {', '.join(CALIBRATION_STILLS)}",
          "version": 2}


def calibration_images() -> list[np.ndarray]:
    """The BGR frames the activation ranges come from (see the module docstring)."""
    capture = cv2.VideoCapture(str(VTEST))
    wanted, images = set(CALIBRATION_FRAMES), []
    for index in range(max(CALIBRATION_FRAMES) + 1):
        ok, frame = capture.read()
        if not ok:
            raise RuntimeError(f"{VTEST} ended at frame {index}: is opencv-doc installed?")
        if index in wanted:
            images.append(frame)
    capture.release()
    for name in CALIBRATION_STILLS:
        image = cv2.imread(str(DATA / name))
        if image is None:
            raise RuntimeError(f"cannot read {DATA / name}: is opencv-doc installed?")
        images.append(image)
    return images


class _Reader:
    """onnxruntime's CalibrationDataReader protocol: one preprocessed frame per call."""

    def __init__(self, input_name: str, blobs: Iterator[np.ndarray]):
        self.input_name, self.blobs = input_name, blobs

    def get_next(self) -> dict | None:
        blob = next(self.blobs, None)
        return None if blob is None else {self.input_name: blob}


def _manifest(fp32: Path) -> dict:
    import onnxruntime

    from vision.models import sha256_of

    return {"source_sha256": sha256_of(fp32), "onnxruntime": onnxruntime.__version__, **RECIPE}


def _infinite_pads(path: Path) -> list[str]:
    """Pad nodes that pad with -inf (before a max-pool): an infinite range has no INT8 scale, so
    they stay FP32 (quantizing them gives NaN scales and a model that detects nothing)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    constants = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return [node.name for node in model.graph.node
            if node.op_type == "Pad" and len(node.input) > 2 and node.input[2] in constants
            and not np.isfinite(constants[node.input[2]]).all()]


def build(fp32: Path, out: Path) -> None:
    """Quantize ``fp32`` into ``out`` (QDQ, calibrated on :func:`calibration_images`)."""
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from vision.detector import ObjectDetector

    fp32_detector = ObjectDetector(fp32, providers=["CPUExecutionProvider"], workers=1, threads=1)
    blobs = (fp32_detector.preprocess([image]) for image in calibration_images())
    with tempfile.TemporaryDirectory(dir=out.parent) as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        # the -inf padding kept in FP32 (_infinite_pads) still gets a (unused) zero point computed
        # from its infinite range: numpy warns about the division, nothing of it reaches the model
        with np.errstate(invalid="ignore", divide="ignore"):
            quantize_static(str(prepared), str(out), _Reader(fp32_detector.input_name, blobs),
                            quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8, per_channel=True,
                            calibrate_method=CalibrationMethod.MinMax,
                            nodes_to_exclude=_infinite_pads(prepared))


def ensure_int8(progress=None) -> Path:
    """The INT8 detector in the models folder, (re)built when missing or out of date."""
    from vision import models

    fp32 = models.ensure("coco_detector")
    out = fp32.with_name(FILENAME)
    manifest_path = out.with_suffix(".json")
    wanted = _manifest(fp32)

    def current() -> bool:
        if not (out.exists() and manifest_path.exists()):
            return False
        recorded = json.loads(manifest_path.read_text())
        return recorded.pop("sha256", None) == models.sha256_of(out) and recorded == wanted

    if current():
        return out
    with open(fp32.parent / ".lock", "w") as lock:     # one builder at a time, as models.ensure
        fcntl.flock(lock, fcntl.LOCK_EX)
        if current():
            return out
        if progress:
            progress(f"quantizing {fp32.name} to INT8 (static QDQ, {len(CALIBRATION_FRAMES)} frames "
                     "of vtest.avi for calibration)")
        partial = out.with_name(f".{FILENAME}.part")
        build(fp32, partial)
        partial.replace(out)
        manifest_path.write_text(json.dumps({**wanted, "sha256": models.sha256_of(out)}, indent=2))
    return out
