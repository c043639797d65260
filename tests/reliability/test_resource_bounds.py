"""Memory added by tracking, measured against the same work in an untracked shell.

Each measurement runs in a fresh process (``memory_probe.py``): a real IPython shell,
with and without the recorder, doing the same cells. Figures are printed (``-s``) and
kept in docs/reliability.md; the assertions are deliberately loose bounds, at about
twice what was measured, so that they catch a leak or a per-cell copy of the namespace,
not noise.

- 10,000 executions: the recorder keeps the kernel's execution history in memory (records and
  the lineage graph, for the panel's timeline, lineage and hygiene), so its memory grows
  with the number of executions; the growth must stay linear (the second half's slope
  no steeper than the first's) and small per execution.
- 100,000 names: the cell that binds them all is digested name by name (it touched
  them all); after it, cells that touch a few names add no memory and little time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PROBE = Path(__file__).with_name("memory_probe.py")
ROOT = Path(__file__).resolve().parents[2]
KB, MB = 1024, 1024 * 1024


def probe(tmp_path: Path, scenario: str, mode: str, count: int) -> dict[str, Any]:
    env = dict(os.environ, JUPYTER_EXT_STORE=str(tmp_path / f"{scenario}-{mode}.sqlite"))
    env.pop("JUPYTER_EXT_DISABLE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, str(PROBE), scenario, mode, str(count)],
        env=env,
        capture_output=True,
        text=True,
        timeout=500,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Error" not in done.stdout + done.stderr, (done.stdout + done.stderr)[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def slope(samples: list[list[int]], start: int, end: int) -> float:
    """Bytes per execution between the samples taken after ``start`` and ``end`` cells."""
    at = {n: rss for n, rss in samples}
    return (at[end] - at[start]) / (end - start)


def test_memory_after_ten_thousand_executions(tmp_path: Path) -> None:
    n = 10_000
    plain = probe(tmp_path, "executions", "plain", n)
    tracked = probe(tmp_path, "executions", "tracked", n)
    p, t = plain["samples"], tracked["samples"]
    added = t[-1][1] - p[-1][1]
    first = slope(t, 1_000, 5_000) - slope(p, 1_000, 5_000)
    second = slope(t, 6_000, 10_000) - slope(p, 6_000, 10_000)
    print(
        f"\n{n} executions: tracking adds {added / MB:.1f} MB; per execution "
        f"{first / KB:.2f} KB (cells 1k-5k), {second / KB:.2f} KB (cells 6k-10k); "
        f"{tracked['seconds']:.1f}s tracked vs {plain['seconds']:.1f}s plain"
    )
    assert second <= max(1.5 * first, 1 * KB), "memory growth per execution is accelerating"
    assert second <= 4 * KB, "more than 4 KB kept per execution"
    assert added <= 100 * MB


def test_memory_with_a_hundred_thousand_names(tmp_path: Path) -> None:
    n = 100_000
    plain = probe(tmp_path, "namespace", "plain", n)
    tracked = probe(tmp_path, "namespace", "tracked", n)
    filled = (tracked["filled"] - tracked["before"]) - (plain["filled"] - plain["before"])
    later = tracked["after"] - tracked["filled"]
    per_cell = (tracked["seconds"] - plain["seconds"]) / 200
    print(
        f"\n{n} names: tracking adds {filled / MB:.0f} MB when they are bound in one cell; "
        f"200 later cells add {later / MB:.2f} MB and {per_cell * 1000:.1f} ms per cell"
    )
    assert later <= 5 * MB, "cells that touch a few names must not grow with the namespace"
    assert per_cell <= 0.05
    assert filled <= 400 * MB
