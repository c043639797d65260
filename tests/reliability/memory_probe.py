"""Run many cells in a real IPython shell, with or without the recorder, and report RSS.

Used by ``test_resource_bounds.py`` in a fresh process per measurement::

    python tests/reliability/memory_probe.py executions tracked 10000
    python tests/reliability/memory_probe.py namespace plain 100000

Prints one JSON object: RSS samples (bytes) and the wall time of the measured cells.
"""

from __future__ import annotations

import gc
import json
import sys
import time

import psutil
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

CELLS = [
    "a{k} = list(range({i} % 300))",
    "b = sum(a{k}) + {i}",
    "a{k}.append(b)",
    "d = {{'key': a{k}, 'n': {i}}}",
    "def f(x):\n    return x + b\nr = f({i})",
    "text = 'x' * ({i} % 1000)",
    "import math\nm = math.sqrt({i})",
    "del d",
]


def shell(tracked: bool) -> InteractiveShell:
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    # IPython keeps every input and output for In/Out and history; cap what it keeps so
    # that the figures are the recorder's, not IPython's own history growth.
    config.InteractiveShell.cache_size = 0
    sh = InteractiveShell.instance(config=config)
    if tracked:
        sh.run_line_magic("load_ext", "jupyter_ext")
    return sh


def rss() -> int:
    gc.collect()
    return int(psutil.Process().memory_info().rss)


def flush(sh: InteractiveShell) -> None:
    from jupyter_ext.capture import extension

    extension.flush(sh, 60)


def executions(tracked: bool, n: int) -> dict[str, object]:
    sh = shell(tracked)
    samples = []
    step = max(1, n // 20)
    t0 = time.perf_counter()
    for i in range(n):
        # One group of cells per ``k``: every name a cell reads was set earlier in it.
        code = CELLS[i % len(CELLS)].format(i=i, k=(i // len(CELLS)) % 10)
        sh.run_cell(code, store_history=False, cell_id=f"cell-{i % 40}")
        if (i + 1) % step == 0:
            if tracked:
                flush(sh)
            samples.append([i + 1, rss()])
    return {"samples": samples, "seconds": time.perf_counter() - t0}


def namespace(tracked: bool, n: int) -> dict[str, object]:
    sh = shell(tracked)
    before = rss()
    sh.run_cell(f"for _i in range({n}):\n    globals()[f'name_{{_i}}'] = _i", store_history=False)
    if tracked:
        flush(sh)
    filled = rss()
    t0 = time.perf_counter()
    for i in range(200):
        sh.run_cell(f"x = name_{i} + 1\ny = [x] * 10", store_history=False, cell_id=f"c{i % 5}")
    seconds = time.perf_counter() - t0
    if tracked:
        flush(sh)
    return {"before": before, "filled": filled, "after": rss(), "seconds": seconds}


if __name__ == "__main__":
    scenario, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    run = executions if scenario == "executions" else namespace
    print(json.dumps(run(mode == "tracked", count)))
