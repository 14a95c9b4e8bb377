"""What the benchmarks share: the run's own database server processes, whose CPU and memory are part
of what a side costs."""
from __future__ import annotations

import psutil

from citylake.settings import Settings


def database_servers(settings: Settings) -> list[psutil.Process]:
    """This run's database servers (PostgreSQL, MariaDB), found by their data folder."""
    out = []
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if str(settings.services_dir) in cmd and ("postgres" in cmd or "mariadbd" in cmd):
            out.append(proc)
    return out
