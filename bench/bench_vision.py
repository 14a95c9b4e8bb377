"""Camera analytics throughput: batched across streams vs one frame at a time, and cameras sustained.

Part 1, side by side in one process: the same sampled frames of N cameras (vtest.avi, real
footage) go through the whole per-frame path — decode, NanoDet on ONNX Runtime, tracking,
analytics, events — once with the batched runner (decoding threads per camera, frames of all
cameras gathered into one detector call: one run on a GPU, one single-threaded run per core on
CPU) and once with the naive loop (one frame at a time, camera after camera, ONNX Runtime's own
threading). Frames per second and frames
per CPU-second ("per core": process CPU time, so a busy machine does not flatter either side);
alternating rounds, medians compared.

Part 2: how many cameras at 5 fps this machine sustains — live-paced cameras (the file played in
real time, looping) with more and more of them, until frames start to drop (over 5 %) or the
read-to-analysed lag p95 passes 2 s.

    .venv/bin/python bench/bench_vision.py [--cameras 8] [--frames 20] [--rounds 2] [--sustain 2,4,6,8,10]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-vision"))
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from vision.analytics import CameraProfile  # noqa: E402
from vision.detector import ObjectDetector  # noqa: E402
from vision.publish import Collector  # noqa: E402
from vision.runner import Camera, Runner  # noqa: E402

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cameras(n: int, fps: float, frames: int | None, live: bool) -> list[Camera]:
    return [Camera(CameraProfile(f"bench-{i:02d}", interval_s=10), VTEST, fps=fps, max_frames=frames,
                   loop=live, realtime=live) for i in range(n)]


def throughput(detector, n: int, frames: int, naive: bool, batch: int) -> dict:
    runner = Runner(cameras(n, 5.0, frames, live=False), detector, Collector(), batch_size=batch, naive=naive,
                    log=lambda line: None)
    cpu = _cpu()
    report = runner.run()
    cpu = _cpu() - cpu
    return {"mode": report.mode, "frames": report.frames, "wall_s": report.wall_s, "cpu_s": cpu,
            "fps": report.fps, "fps_per_core": report.frames / cpu, "mean_batch": report.mean_batch,
            "events": report.events}


def sustain(detector, n: int, seconds: float, batch: int) -> dict:
    runner = Runner(cameras(n, 5.0, None, live=True), detector, Collector(), batch_size=batch,
                    log=lambda line: None)
    report = runner.run(seconds=seconds)
    offered = sum(s.frames + s.dropped for s in report.streams.values())
    dropped = sum(s.dropped for s in report.streams.values())
    lags = sorted(x for s in report.streams.values() for x in s.lag_s)
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else None
    ok = offered > 0 and dropped / offered <= 0.05 and p95 is not None and p95 < 2.0
    return {"cameras": n, "analysed_fps": report.fps, "offered": offered, "dropped": dropped,
            "drop_rate": dropped / offered if offered else None, "lag_p95_s": p95, "sustained": ok}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--frames", type=int, default=20, help="sampled frames per camera (part 1)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--sustain", default="2,4,6,8,10,12", help="camera counts to try at 5 fps (part 2)")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per sustain step")
    args = parser.parse_args()

    # batched: frames of all cameras per call, spread over one single-threaded run per core on CPU
    # (one big run on a GPU); naive: one frame per call with ONNX Runtime's default threading
    detector, single = ObjectDetector(), ObjectDetector(workers=1)
    for d in (detector, single):
        d.detect([np.zeros((576, 768, 3), "uint8")] * 2)     # warm-up
    print(f"vision benchmark: {args.cameras} cameras × {args.frames} frames of vtest.avi, "
          f"{os.cpu_count()} cores, providers {detector.session.get_providers()}, "
          f"{detector.workers} detector worker(s)", flush=True)
    runs: dict[str, list[dict]] = {"batched": [], "naive": []}
    for r in range(args.rounds):
        for naive in (False, True):
            result = throughput(single if naive else detector, args.cameras, args.frames, naive, args.batch)
            runs[result["mode"]].append(result)
            print(f"  round {r + 1} {result['mode']:<8} {result['frames']:>4} frames  {result['fps']:6.1f} f/s  "
                  f"{result['fps_per_core']:6.1f} f/s per core  mean batch {result['mean_batch']:.1f}", flush=True)
    med = {mode: {k: statistics.median(x[k] for x in rs) for k in ("fps", "fps_per_core")} for mode, rs in runs.items()}
    ratio = med["batched"]["fps_per_core"] / med["naive"]["fps_per_core"]
    print(f"\n  batched {med['batched']['fps']:.1f} f/s ({med['batched']['fps_per_core']:.1f} per core) vs naive "
          f"{med['naive']['fps']:.1f} f/s ({med['naive']['fps_per_core']:.1f} per core): "
          f"{ratio:.2f}× per core, {med['batched']['fps'] / med['naive']['fps']:.2f}× wall\n", flush=True)

    steps = []
    for n in (int(x) for x in args.sustain.split(",") if x):
        step = sustain(detector, n, args.seconds, args.batch)
        steps.append(step)
        print(f"  {n:>3} cameras at 5 fps: analysed {step['analysed_fps']:5.1f} f/s, dropped "
              f"{step['drop_rate']:.1%}, lag p95 {step['lag_p95_s'] or 0:.2f} s → "
              f"{'sustained' if step['sustained'] else 'NOT sustained'}", flush=True)
        if not step["sustained"]:
            break
    best = max((s["cameras"] for s in steps if s["sustained"]), default=0)
    print(f"\n  sustained at 5 fps on this machine: {best} cameras")
    out = Path(os.environ["CITYLAKE_RUN_DIR"]) / "reports" / "bench_vision.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"throughput": runs, "median": med, "ratio_per_core": ratio, "sustain": steps,
                               "sustained_cameras": best, "cores": os.cpu_count(),
                               "providers": detector.session.get_providers()}, indent=2))
    print(f"  report: {out}")


if __name__ == "__main__":
    main()
