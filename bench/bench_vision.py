"""Camera analytics on CPU: the naive loop vs the optimised path, side by side in one run.

Naive: one frame at a time, camera after camera, FP32 NanoDet on every frame with ONNX Runtime's
own threading. Optimised: the batched runner (decoding threads per camera, one single-threaded
detector run per core) with the INT8 detector (static QDQ, ``vision.quantize``), the detector on
every Nth frame (the tracker predicts between) and the motion gate; ``--decode-small`` adds
decoding at the detector's input size. The same sampled frames of N cameras (vtest.avi, real
footage) through the whole per-frame path — decode, detect, track, analytics, events.

1. Frames per CPU-second (process CPU time: a busy machine flatters neither side), naive vs
   optimised in alternating rounds, medians compared; then each lever added one at a time.
2. Where the CPU goes: ms of CPU per frame per stage (decode, gate, detect, track, analytics,
   publish; detect = process CPU minus the other stages, so it includes ONNX Runtime's threads).
3. Cameras sustained at 5 fps: live-paced cameras (the file played in real time, looping), more and
   more, until frames drop (over 5 %) or the read-to-analysed lag p95 passes 2 s; the baseline
   (FP32 on every frame, batched) beside it on the same machine in the same run.
4. Accuracy guard: vehicle and person counts per interval of the optimised path vs FP32 on every
   frame, the whole of vtest.avi (80 s, 10 s intervals). Each kind's total over the intervals may
   differ by at most 5 %; exit status 1 when it does not.

    .venv/bin/python bench/bench_vision.py [--cameras 8] [--frames 40] [--rounds 2] [--sustain 10,15,20,25]
"""
from __future__ import annotations

import argparse
import datetime as dt
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
from vision.detector import ObjectDetector, usable_cores  # noqa: E402
from vision.publish import Collector  # noqa: E402
from vision.runner import Camera, Runner  # noqa: E402

VTEST = "/usr/share/doc/opencv-doc/examples/data/vtest.avi"
EPOCH = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
STAGES = ("decode", "gate", "detect", "track", "analytics", "publish")
KINDS = ("vehicles", "persons")


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cameras(n: int, frames: int | None, live: bool, levers: dict, interval_s: float = 10) -> list[Camera]:
    return [Camera(CameraProfile(f"bench-{i:02d}", interval_s=interval_s), VTEST, fps=5.0, max_frames=frames,
                   loop=live, realtime=live, **levers) for i in range(n)]


def run_once(detector, cams: list[Camera], naive: bool, batch: int, seconds: float | None = None):
    collector = Collector()
    runner = Runner(cams, detector, collector, batch_size=batch, naive=naive, epoch=EPOCH, log=lambda line: None)
    cpu = _cpu()
    report = runner.run(seconds=seconds)
    return report, _cpu() - cpu, collector


def throughput(name: str, detector, n: int, frames: int, naive: bool, batch: int, levers: dict) -> dict:
    report, cpu, _ = run_once(detector, cameras(n, frames, False, levers), naive, batch)
    stages = dict(report.stages_s)
    stages["detect"] = max(0.0, cpu - sum(v for k, v in stages.items() if k != "detect"))
    return {"name": name, "frames": report.frames, "wall_s": report.wall_s, "cpu_s": cpu, "fps": report.fps,
            "fps_per_cpu_s": report.frames / cpu, "detector_calls": report.detector_calls,
            "detected": sum(s.detected for s in report.streams.values()),
            "held": sum(s.held for s in report.streams.values()),
            "stage_ms_per_frame": {k: 1000 * stages.get(k, 0.0) / report.frames for k in STAGES}}


def sustain(detector, n: int, seconds: float, batch: int, levers: dict) -> dict:
    report, cpu, _ = run_once(detector, cameras(n, None, True, levers), False, batch, seconds)
    offered = sum(s.frames + s.dropped for s in report.streams.values())
    dropped = sum(s.dropped for s in report.streams.values())
    lags = sorted(x for s in report.streams.values() for x in s.lag_s)
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else None
    ok = offered > 0 and dropped / offered <= 0.05 and p95 is not None and p95 < 2.0
    return {"cameras": n, "analysed_fps": report.fps, "offered": offered, "dropped": dropped,
            "drop_rate": dropped / offered if offered else None, "lag_p95_s": p95, "sustained": ok,
            "cpu_cores_used": cpu / report.wall_s, "load_average": os.getloadavg()}


def ladder(steps: str, detector, seconds: float, batch: int, levers: dict, label: str) -> tuple[list, int]:
    results = []
    for n in (int(x) for x in steps.split(",") if x):
        step = sustain(detector, n, seconds, batch, levers)
        results.append(step)
        print(f"  {label:<9} {n:>3} cameras: analysed {step['analysed_fps']:5.1f} f/s, dropped "
              f"{step['drop_rate']:.1%}, lag p95 {step['lag_p95_s'] or 0:.2f} s, {step['cpu_cores_used']:.2f} "
              f"cores, load {step['load_average'][0]:.1f} → {'sustained' if step['sustained'] else 'NOT sustained'}",
              flush=True)
        if not step["sustained"]:
            break
    return results, max((s["cameras"] for s in results if s["sustained"]), default=0)


def counts(detector, levers: dict, batch: int) -> dict[str, list[int]]:
    """Vehicles (tracks counted) and persons (crowd) per 10 s interval, one camera, all of vtest.avi."""
    _, _, collector = run_once(detector, cameras(1, None, False, levers), False, batch)
    return {"vehicles": [sum(e["vehicleCounts"].values()) for e in collector.events
                         if e["type"] == "TrafficFlowObserved"],
            "persons": [e["peopleCount"] for e in collector.events if e["type"] == "CrowdFlowObserved"]}


def guard(reference: dict[str, list[int]], optimised: dict[str, list[int]], tolerance: float = 0.05) -> dict:
    out = {}
    for kind in KINDS:
        ref, opt = sum(reference[kind]), sum(optimised[kind])
        allowed = tolerance * ref
        out[kind] = {"reference": reference[kind], "optimised": optimised[kind], "reference_total": ref,
                     "optimised_total": opt, "deviation": abs(opt - ref) / ref if ref else float(opt > 0),
                     "allowed_difference": allowed, "ok": abs(opt - ref) <= allowed}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=8)
    parser.add_argument("--frames", type=int, default=40, help="sampled frames per camera (part 1)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--detect-every", type=int, default=2)
    parser.add_argument("--no-motion", action="store_true", help="leave the motion gate out")
    parser.add_argument("--decode-small", action="store_true", help="decode at the detector's input size")
    parser.add_argument("--sustain", default="4,8,12,16,20,25", help="camera counts at 5 fps, optimised path")
    parser.add_argument("--baseline-sustain", default="2,4,6,8", help="camera counts at 5 fps, FP32 every frame")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per sustain step")
    args = parser.parse_args()

    load_before = os.getloadavg()
    fp32_pool, int8_pool = ObjectDetector(precision="fp32"), ObjectDetector(precision="int8")
    naive_detector = ObjectDetector(precision="fp32", workers=1)
    for d in (fp32_pool, int8_pool, naive_detector):
        d.detect([np.zeros((576, 768, 3), "uint8")] * 2)     # warm-up
    levers = {"detect_every": args.detect_every, "motion": not args.no_motion,
              "decode_size": int8_pool.input_size if args.decode_small else None}
    print(f"vision benchmark: {args.cameras} cameras × {args.frames} frames of vtest.avi, {usable_cores()} cores, "
          f"providers {int8_pool.session.get_providers()}, load average {load_before[0]:.1f} "
          f"{load_before[1]:.1f} {load_before[2]:.1f}\n  optimised = INT8, batched, {levers}", flush=True)

    # 1. naive vs optimised, alternating rounds
    runs: dict[str, list[dict]] = {"naive": [], "optimised": []}
    for r in range(args.rounds):
        for name in ("naive", "optimised"):
            naive = name == "naive"
            result = throughput(name, naive_detector if naive else int8_pool, args.cameras, args.frames, naive,
                                args.batch, {} if naive else levers)
            runs[name].append(result)
            print(f"  round {r + 1} {name:<10} {result['frames']:>4} frames  {result['fps']:6.1f} f/s  "
                  f"{result['fps_per_cpu_s']:6.1f} f/CPU-s  detector on {result['detected']} frames", flush=True)
    med = {name: {k: statistics.median(x[k] for x in rs) for k in ("fps", "fps_per_cpu_s")}
           for name, rs in runs.items()}
    ratio = med["optimised"]["fps_per_cpu_s"] / med["naive"]["fps_per_cpu_s"]
    print(f"\n  naive {med['naive']['fps_per_cpu_s']:.1f} vs optimised {med['optimised']['fps_per_cpu_s']:.1f} "
          f"frames per CPU-second: {ratio:.2f}× (wall: {med['optimised']['fps'] / med['naive']['fps']:.2f}×)\n",
          flush=True)

    # each lever on top of the previous one (one round: indicative, the ratio above is the measure)
    steps = [("batched FP32, every frame", fp32_pool, {}), ("+ INT8", int8_pool, {}),
             (f"+ detector every {args.detect_every}", int8_pool, {"detect_every": args.detect_every}),
             ("+ motion gate", int8_pool, {"detect_every": args.detect_every, "motion": True}),
             ("+ decode at 416×416", int8_pool, {"detect_every": args.detect_every, "motion": not args.no_motion,
                                                  "decode_size": int8_pool.input_size})]
    lever_runs = []
    for name, detector, lever in steps:
        result = throughput(name, detector, args.cameras, args.frames, False, args.batch, lever)
        lever_runs.append(result)
        print(f"  {name:<28} {result['fps_per_cpu_s']:6.1f} f/CPU-s "
              f"({result['fps_per_cpu_s'] / med['naive']['fps_per_cpu_s']:.2f}× naive)", flush=True)

    # 2. per-stage CPU per frame, naive vs optimised (last round of each)
    print(f"\n  {'CPU ms per frame':<18}" + "".join(f"{s:>10}" for s in STAGES) + f"{'total':>10}")
    for name in ("naive", "optimised"):
        stage = runs[name][-1]["stage_ms_per_frame"]
        print(f"  {name:<18}" + "".join(f"{stage[s]:>10.2f}" for s in STAGES) + f"{sum(stage.values()):>10.2f}")

    # 3. cameras sustained at 5 fps
    print()
    sustained, best = ladder(args.sustain, int8_pool, args.seconds, args.batch, levers, "optimised")
    baseline, baseline_best = ladder(args.baseline_sustain, fp32_pool, args.seconds, args.batch, {}, "baseline")
    print(f"\n  sustained at 5 fps on this machine: {best} cameras optimised, {baseline_best} baseline")
    # what the measured CPU per frame would give with every core to ourselves (a projection, not a run)
    cores = usable_cores()
    projected = {name: int(cores * med[name]["fps_per_cpu_s"] / 5.0) for name in med}
    projected["batched FP32"] = int(cores * lever_runs[0]["fps_per_cpu_s"] / 5.0)
    print(f"  projection for {cores} idle cores (cores × frames per CPU-second ÷ 5 fps, not measured): "
          + ", ".join(f"{name} {n}" for name, n in projected.items()))

    # 4. accuracy guard
    reference, optimised = counts(fp32_pool, {}, args.batch), counts(int8_pool, levers, args.batch)
    checked = guard(reference, optimised)
    for kind, g in checked.items():
        print(f"  {kind:<8} per 10 s: FP32 every frame {g['reference']} (Σ {g['reference_total']}), optimised "
              f"{g['optimised']} (Σ {g['optimised_total']}): deviation {g['deviation']:.1%} → "
              f"{'ok' if g['ok'] else 'FAILED'}")
    ok = all(g["ok"] for g in checked.values())
    load_after = os.getloadavg()
    print(f"  accuracy guard {'passed' if ok else 'FAILED'}; load average at the end {load_after[0]:.1f} "
          f"{load_after[1]:.1f} {load_after[2]:.1f}")

    out = Path(os.environ["CITYLAKE_RUN_DIR"]) / "reports" / "bench_vision.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "levers": {k: v for k, v in levers.items()}, "throughput": runs, "median": med, "ratio_per_cpu_s": ratio,
        "lever_ladder": lever_runs, "sustain": sustained, "sustained_cameras": best,
        "baseline_sustain": baseline, "baseline_sustained_cameras": baseline_best,
        "projected_cameras_idle_cores": projected, "accuracy": checked,
        "accuracy_ok": ok, "cores": usable_cores(), "load_average": {"start": load_before, "end": load_after},
        "providers": int8_pool.session.get_providers()}, indent=2, default=str))
    print(f"  report: {out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
