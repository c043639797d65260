"""The machine a benchmark ran on, for the header of every results file.

Results are only comparable on the same hardware, so each file says where it came from.
"""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    return [
        f"cpu: {cpu_model()} ({os.cpu_count()} logical cores, {platform.machine()})",
        f"os: {platform.system()} {platform.release()}",
        f"python: {platform.python_version()} ({platform.python_implementation()})",
    ]


def reference_loop() -> str:
    """How fast this machine runs plain Python right now: a fixed loop's best of three.

    These machines are shared, and the same code measured an hour apart differs by half
    when the host is busy; this line says which kind of hour a result file comes from.
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        total = 0
        for i in range(5_000_000):
            total += i % 7
        best = min(best, time.perf_counter() - start)
    return f"reference loop (5M additions in pure Python): {best:.2f} s"
