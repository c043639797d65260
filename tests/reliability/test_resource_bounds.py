"""Memory added by tracking, measured against the same work in an untracked shell.

Each measurement runs in a fresh process (``memory_probe.py``): a real IPython shell,
with and without the recorder, doing the same cells. Figures are printed (``-s``) and
kept in docs/reliability.md; the assertions are deliberately loose bounds, at about
twice what was measured, so that they catch a leak or a per-cell copy of the namespace,
not noise.

- 10,000 executions: the recorder holds the latest ``history_limit`` executions (default
  2,000) in full for the panel's timeline, lineage and hygiene, plus one anchor per cell
  and name; older ones live only in the store.  Memory grows while that window fills and
  must be flat after it: 10,000 executions are five windows, so the last 6,000 are
  all after the plateau.
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
    filling = slope(t, 500, 2_000) - slope(p, 500, 2_000)
    after = slope(t, 4_000, 10_000) - slope(p, 4_000, 10_000)
    print(
        f"\n{n} executions: tracking adds {added / MB:.1f} MB; per execution "
        f"{filling / KB:.2f} KB while the window fills (cells 500-2k), {after / KB:.2f} KB "
        f"after it (cells 4k-10k); {tracked['seconds']:.1f}s tracked vs "
        f"{plain['seconds']:.1f}s plain"
    )
    assert after <= 0.1 * KB, "memory still grows after the history window filled"
    assert added <= 40 * MB


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
