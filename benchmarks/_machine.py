"""The machine a benchmark ran on, for the header of every results file.

Results are only comparable on the same hardware, so each file says where it came from.
"""

from __future__ import annotations

import os
import platform
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
