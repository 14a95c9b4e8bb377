"""Stream ingestion: citylake's micro-batch consumer vs a naive one-event-per-commit writer, side by side.

Both read the same fleet (the simulator, in its own process) from the same Mosquitto and write the
same bronze rows to Delta, one after the other in this run:

* **paced**: 1,000 cameras × 2 events/s for 60 s (the city's load). Reported: events/s sustained,
  end-to-end latency p50/p95/max (Delta commit time − the event's publishedAt), the backlog when
  the fleet stops and after a short drain, and the CPU the consumer used.
* **flat out**: a backlog of N events is queued at the broker first (each writer's persistent
  session), then each writer drains it as fast as it can: its maximum events/s.

The commit time is the modification time of the Delta log entry that added the event's file (when
readers can see it), the same measurement for both writers. The aim: 1,000 cameras × 2 events/s
with p95 under 2 s on a 2-core machine (the fleet and the broker share those cores).

    .venv/bin/python bench/bench_stream.py [--cameras 1000] [--rate 2] [--seconds 60] [--flat-events 100000]

Own deployment: ``CITYLAKE_PORT_BASE=26500``, run folder ``.run/bench-stream``; the JSON report goes
to ``.run/bench-stream/reports/``.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import unquote

REPO = Path(__file__).resolve().parent.parent
os.environ.setdefault("CITYLAKE_RUN_DIR", str(REPO / ".run" / "bench-stream"))
os.environ.setdefault("CITYLAKE_PORT_BASE", "26500")
os.environ.pop("CITYLAKE_LAKEHOUSE", None)
sys.path.insert(0, str(REPO))

import paho.mqtt.client as mqtt  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from deltalake import write_deltalake  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

from citylake import events  # noqa: E402
from citylake.services import mosquitto  # noqa: E402
from citylake.settings import Settings  # noqa: E402

OURS = "citylake consumer (micro-batches)"
NAIVE = "naive (one event per commit)"
PYTHON = sys.executable


# ---------------------------------------------------------------------------------------------
# The baseline: what a first version looks like
# ---------------------------------------------------------------------------------------------

class NaiveWriter:
    """Subscribe, parse, append the one row to Delta, acknowledge; next message."""

    def __init__(self, settings: Settings, client_id: str):
        self.settings = settings
        self.client_id = client_id
        self.uri = f"{settings.lakehouse}/bronze/cameras/events"
        self.messages: queue.Queue = queue.Queue()
        self.committed = 0
        self.dead = 0
        self._subscribed = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5,
                                  manual_ack=True)
        self.client.username_pw_set(*settings.mqtt_credentials(mosquitto.INGEST))
        self.client.on_connect = lambda c, u, f, rc, p: c.subscribe(events.SUBSCRIPTION, qos=1)
        self.client.on_subscribe = lambda *a: self._subscribed.set()
        self.client.on_message = lambda c, u, m: self.messages.put(m)

    def stats(self) -> dict:
        return {"events": self.committed, "dead_letters": self.dead}

    def run(self, stop: threading.Event) -> dict:
        self.client.connect("127.0.0.1", self.settings.mqtt_port, clean_start=False, properties=_session_props())
        self.client.loop_start()
        self._subscribed.wait(30)
        try:
            while not stop.is_set():
                try:
                    m = self.messages.get(timeout=0.1)
                except queue.Empty:
                    continue
                try:
                    row = events.parse(m.payload, m.topic)
                except events.InvalidEvent:
                    self.dead += 1
                else:
                    row["_ingested_at"], row["_batch"] = dt.datetime.now(dt.UTC), self.committed + 1
                    write_deltalake(self.uri, pa.Table.from_pylist([row], schema=events.BRONZE_SCHEMA),
                                    mode="append", partition_by=["event_date"])
                    self.committed += 1
                self.client.ack(m.mid, m.qos)
        finally:
            self.client.disconnect()
            self.client.loop_stop()
        return self.stats()


class OursWriter:
    """citylake's stream consumer (ingestion.stream.consumer), run in a thread of this process."""

    def __init__(self, settings: Settings, client_id: str):
        from ingestion.stream.consumer import StreamConfig, StreamConsumer

        self.client_id = client_id
        self.consumer = StreamConsumer(settings, StreamConfig(client_id=client_id))
        self.uri = self.consumer.events_uri

    def stats(self) -> dict:
        return self.consumer.stats()

    def run(self, stop: threading.Event) -> dict:
        return self.consumer.run(stop)


# ---------------------------------------------------------------------------------------------
# Broker sessions, the fleet, measurements
# ---------------------------------------------------------------------------------------------

def _session_props(expiry: int = 3600) -> Properties:
    props = Properties(PacketTypes.CONNECT)
    props.SessionExpiryInterval = expiry
    return props


def _session(settings: Settings, client_id: str, keep: bool) -> None:
    """Create a persistent subscribed session (the broker queues for it from now on), or drop one."""
    done = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.username_pw_set(*settings.mqtt_credentials(mosquitto.INGEST))
    client.on_subscribe = lambda *a: done.set()
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(events.SUBSCRIPTION, qos=1) if keep else done.set()
    client.connect("127.0.0.1", settings.mqtt_port, clean_start=True, properties=_session_props(3600 if keep else 0))
    client.loop_start()
    if not done.wait(15):
        raise RuntimeError(f"could not {'create' if keep else 'drop'} the MQTT session {client_id}")
    client.disconnect()
    client.loop_stop()


def _fleet(settings: Settings, report: Path, cameras: int, rate: float, *, seconds: float | None = None,
           events_count: int | None = None) -> dict:
    """The simulator in its own process (as in production: cameras are not the consumer's machine)."""
    cmd = [PYTHON, "-m", "simulators.cli", "fleet", "--cameras", str(cameras), "--rate", str(rate),
           "--report", str(report)]
    cmd += ["--events", str(events_count)] if events_count else ["--seconds", str(seconds)]
    env = dict(os.environ, **settings.env(), PYTHONPATH=str(REPO))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, check=True, cwd=REPO)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = json.loads(report.read_text())
    out["cpu_s"] = round((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime), 1)
    return out


def _commits(uri: str) -> tuple[list[float], int, float, float]:
    """From the Delta log: per event, commit time − publishedAt; events; first publish; last commit."""
    root = Path(uri)
    latencies: list[float] = []
    first_published, last_commit = float("inf"), 0.0
    for entry in sorted((root / "_delta_log").glob("*.json")):
        committed = entry.stat().st_mtime
        for line in entry.read_text().splitlines():
            action = json.loads(line)
            add = action.get("add")
            if not add or not add.get("dataChange", True):
                continue
            published = pq.read_table(root / unquote(add["path"]), columns=["published_at"])["published_at"]
            for ts in published.to_pylist():
                t = ts.timestamp()
                latencies.append(committed - t)
                first_published = min(first_published, t)
            last_commit = max(last_commit, committed)
    return latencies, len(latencies), first_published, last_commit


def _pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _phase_settings(base: Settings, label: str) -> Settings:
    lakehouse = base.run_dir / "lakehouse" / label
    shutil.rmtree(lakehouse, ignore_errors=True)
    return Settings(lakehouse_override=str(lakehouse))


def paced(base: Settings, writer_cls, label: str, args) -> dict:
    """The fleet at its rate for ``seconds`` while the writer consumes; then a short drain."""
    settings = _phase_settings(base, label)
    client_id = f"bench-{label}-{time.time_ns()}"
    _session(settings, client_id, keep=True)
    writer = writer_cls(settings, client_id)
    stop = threading.Event()
    cpu0, t0 = _cpu(), time.monotonic()
    thread = threading.Thread(target=writer.run, args=(stop,), name=label, daemon=True)
    thread.start()
    fleet = _fleet(settings, base.reports_dir / f"fleet-{label}.json", args.cameras, args.rate, seconds=args.seconds)
    backlog_end = fleet["acked"] - writer.stats()["events"]
    deadline = time.monotonic() + args.drain
    while writer.stats()["events"] < fleet["acked"] and time.monotonic() < deadline:
        time.sleep(0.1)
    backlog_drained = fleet["acked"] - writer.stats()["events"]
    stop.set()
    thread.join(120)
    wall, cpu = time.monotonic() - t0, _cpu() - cpu0
    _session(settings, client_id, keep=False)
    latencies, committed, first, last = _commits(writer.uri)
    return {"writer": label, "fleet": fleet, "committed": committed,
            "events_per_s": committed / (last - first) if committed else 0.0,
            "latency_p50_s": _pct(latencies, 0.50), "latency_p95_s": _pct(latencies, 0.95),
            "latency_max_s": max(latencies) if latencies else None,
            "backlog_at_fleet_end": backlog_end, f"backlog_after_{args.drain:g}s_drain": backlog_drained,
            "writer_cores": round(cpu / wall, 2), "writer_stats": _clean(writer.stats())}


def flat_out(base: Settings, args) -> dict[str, dict]:
    """Queue ``flat_events`` for both writers' sessions, then let each drain it as fast as it can."""
    ids = {OURS: f"bench-ours-flat-{time.time_ns()}", NAIVE: f"bench-naive-flat-{time.time_ns()}"}
    settings = {name: _phase_settings(base, label) for name, label in ((OURS, "ours-flat"), (NAIVE, "naive-flat"))}
    for name, client_id in ids.items():
        _session(settings[name], client_id, keep=True)
    print(f"\n== flat out: queueing {args.flat_events:,} events at the broker for both writers", flush=True)
    fleet = _fleet(base, base.reports_dir / "fleet-flat.json", args.cameras, 100.0, events_count=args.flat_events)
    out = {}
    for name, cls, limit in ((OURS, OursWriter, args.flat_timeout), (NAIVE, NaiveWriter, args.naive_seconds)):
        writer = cls(settings[name], ids[name])
        stop = threading.Event()
        cpu0, t0, wall0 = _cpu(), time.monotonic(), time.time()
        thread = threading.Thread(target=writer.run, args=(stop,), daemon=True)
        thread.start()
        while writer.stats()["events"] < fleet["acked"] and time.monotonic() - t0 < limit:
            time.sleep(0.05)
        stop.set()
        thread.join(120)
        wall, cpu = time.monotonic() - t0, _cpu() - cpu0
        _session(settings[name], ids[name], keep=False)
        _, committed, _, last = _commits(writer.uri)
        elapsed = last - wall0                  # from the writer's start to its last commit
        out[name] = {"queued": fleet["acked"], "committed": committed, "seconds": round(elapsed, 2),
                     "events_per_s": committed / elapsed if elapsed > 0 else 0.0,
                     "drained": committed >= fleet["acked"], "writer_cores": round(cpu / wall, 2)}
        print(f"  {name:<36} {committed:>9,} events in {elapsed:6.1f}s = {out[name]['events_per_s']:>9,.0f}/s"
              f"{'' if out[name]['drained'] else '  (stopped: time limit)'}", flush=True)
    out["fleet"] = fleet
    return out


def _clean(stats: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in stats.items()}


def _fmt(v: float | None) -> str:
    return "-" if v is None else f"{v:.3f}s"


def _start_broker(settings: Settings) -> None:
    """A fresh broker: no sessions or queues left from an earlier run."""
    mosquitto.stop(settings)
    shutil.rmtree(settings.services_dir / "mosquitto", ignore_errors=True)
    mosquitto.start(settings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=2.0, help="events per second per camera")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each paced run")
    parser.add_argument("--drain", type=float, default=5.0, help="seconds allowed after the fleet stops")
    parser.add_argument("--flat-events", type=int, default=100_000, help="backlog drained flat out (0: skip)")
    parser.add_argument("--flat-timeout", type=float, default=120.0, help="limit for citylake's drain")
    parser.add_argument("--naive-seconds", type=float, default=30.0, help="how long the naive writer drains")
    parser.add_argument("--keep-broker", action="store_true")
    args = parser.parse_args()

    logging_setup()
    base = Settings()
    base.reports_dir.mkdir(parents=True, exist_ok=True)
    _start_broker(base)
    load = os.getloadavg()
    started = dt.datetime.now(dt.UTC)
    try:
        results = {}
        for name, cls, label in ((OURS, OursWriter, "ours-paced"), (NAIVE, NaiveWriter, "naive-paced")):
            print(f"\n== paced: {args.cameras:,} cameras × {args.rate:g} events/s for {args.seconds:g}s → {name}",
                  flush=True)
            results[name] = paced(base, cls, label, args)
            r = results[name]
            print(f"  committed {r['committed']:,} of {r['fleet']['acked']:,}: {r['events_per_s']:,.0f} events/s, "
                  f"latency p50 {_fmt(r['latency_p50_s'])} p95 {_fmt(r['latency_p95_s'])} "
                  f"max {_fmt(r['latency_max_s'])}, backlog {r['backlog_at_fleet_end']:,} at the fleet's end, "
                  f"{r[f'backlog_after_{args.drain:g}s_drain']:,} after {args.drain:g}s", flush=True)
        flat = flat_out(base, args) if args.flat_events else {}
    finally:
        if not args.keep_broker:
            mosquitto.stop(base)

    a, b = results[OURS], results[NAIVE]
    ratios = {"paced_throughput_a_over_b": a["events_per_s"] / b["events_per_s"] if b["events_per_s"] else None,
              "paced_p95_b_over_a": (b["latency_p95_s"] / a["latency_p95_s"]
                                     if a["latency_p95_s"] and b["latency_p95_s"] else None)}
    if flat:
        ratios["flat_out_throughput_a_over_b"] = (flat[OURS]["events_per_s"] / flat[NAIVE]["events_per_s"]
                                                  if flat[NAIVE]["events_per_s"] else None)
    target = args.cameras * args.rate
    offered = a["fleet"]["achieved_rate"]
    aim = bool(a["latency_p95_s"] is not None and a["latency_p95_s"] < 2.0 and offered >= 0.95 * target
               and a["events_per_s"] >= 0.95 * offered and a[f"backlog_after_{args.drain:g}s_drain"] == 0)
    print(f"\n{'':<36} {'offered/s':>10} {'events/s':>10} {'p50':>8} {'p95':>8} {'max':>8} {'backlog':>9} "
          f"{'cores':>6}")
    for name, r in results.items():
        print(f"{name:<36} {r['fleet']['achieved_rate']:>10,.0f} {r['events_per_s']:>10,.0f} "
              f"{_fmt(r['latency_p50_s']):>8} {_fmt(r['latency_p95_s']):>8} "
              f"{_fmt(r['latency_max_s']):>8} {r['backlog_at_fleet_end']:>9,} {r['writer_cores']:>6}")
    if flat:
        for name in (OURS, NAIVE):
            print(f"{name + ' flat out':<36} {flat[name]['events_per_s']:>10,.0f}")
    print(f"\nthroughput a/b (paced) {_ratio(ratios['paced_throughput_a_over_b'])}   "
          f"p95 b/a (paced) {_ratio(ratios['paced_p95_b_over_a'])}"
          + (f"   throughput a/b (flat out) {_ratio(ratios['flat_out_throughput_a_over_b'])}" if flat else ""))
    print(f"aim ({args.cameras:,} cameras × {args.rate:g}/s = {target:,.0f}/s sustained, p95 < 2 s, no backlog): "
          f"{'met' if aim else 'NOT met'}{'' if offered >= 0.95 * target else ' (the fleet fell short of the rate)'}; "
          f"{os.cpu_count()} cores, load average {load[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end")
    report = {"started": started.isoformat(), "cores": os.cpu_count(), "load_average_at_start": load,
              "args": vars(args), "paced": results, "flat_out": flat, "ratios": ratios, "aim_met": aim}
    out = base.reports_dir / f"bench_stream-{started:%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    print(f"report: {out}")


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}×"


def logging_setup() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")


if __name__ == "__main__":
    main()
