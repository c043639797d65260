"""Per-cell cost of recording: a plain ipykernel against one with jupyter_ext loaded.

Both kernels run side by side and receive the same cells alternately (order shuffled
per round), so machine noise hits both alike; we report medians and their ratio, never
a lone absolute time. Round trip = execute_request sent until the kernel is idle again,
which is what a user waits for.

    python benchmarks/overhead.py [--quick] [--out benchmarks/results/overhead.txt]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _machine import cpu_model

from tests.integration.kernels import Kernel

# name -> (setup cells, measured cell, repeats)
WORKLOADS: dict[str, tuple[list[str], str, int]] = {
    "trivial assignment": (["pass"], "x = 1", 200),
    "pure-Python loop 1M": (
        [],
        "s = 0\nfor i in range(1_000_000):\n    s += i",
        41,
    ),
    "numpy 5M create+multiply": (
        ["import numpy as np"],
        "a = np.random.rand(5_000_000)\nb = a * 2",
        41,
    ),
    "pandas 1M build+groupby": (
        ["import numpy as np\nimport pandas as pd\nrng = np.random.default_rng(0)"],
        "df = pd.DataFrame({'k': rng.integers(0, 100, 1_000_000), 'v': rng.random(1_000_000)})\n"
        "g = df.groupby('k')['v'].mean()",
        31,
    ),
    "trivial, 10 names": (
        ["globals().update({f'n{i}': i for i in range(10)})"],
        "x = 1",
        200,
    ),
    "1,000 open() of a 100 B file": (
        ["with open('bench-input.txt', 'w') as f:\n    f.write('x' * 100)"],
        "for _ in range(1000):\n    with open('bench-input.txt') as f:\n        f.read()",
        41,
    ),
    "trivial, 10,000 names": (
        ["globals().update({f'v{i}': i for i in range(10_000)})"],
        "x = 1",
        200,
    ),
}


def machine() -> str:
    model = cpu_model()
    import ipykernel
    import IPython

    return (
        f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}, IPython {IPython.__version__}, "
        f"ipykernel {ipykernel.__version__}"
    )


def timed(kernel: Kernel, code: str) -> float:
    start = time.perf_counter()
    result = kernel.execute(code, cell_id="bench-cell")
    elapsed = time.perf_counter() - start
    if not result.ok:
        raise RuntimeError(f"benchmark cell failed: {result.errors}")
    return elapsed


def run(quick: bool) -> list[tuple[str, float, float, int]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "runs.sqlite"
        for name, (setup, cell, repeats) in WORKLOADS.items():
            repeats = max(5, repeats // 5) if quick else repeats
            # Fresh kernels per workload: namespaces of one must not slow the next.
            with (
                Kernel(extension=False, cwd=Path(tmp)) as plain,
                Kernel(extension=True, store=store, cwd=Path(tmp)) as tracked,
            ):
                for code in setup:
                    for k in (plain, tracked):
                        k.execute(code)
                for k in (plain, tracked):  # warm-up
                    timed(k, cell)
                samples: dict[str, list[float]] = {"plain": [], "tracked": []}
                pair = [("plain", plain), ("tracked", tracked)]
                for _ in range(repeats):
                    random.shuffle(pair)
                    for label, k in pair:
                        samples[label].append(timed(k, cell))
                status = tracked.execute("%track --json").stdout
                if '"recording": true' not in status:
                    raise RuntimeError(f"tracked kernel is not recording: {status}")
            p, t = statistics.median(samples["plain"]), statistics.median(samples["tracked"])
            rows.append((name, p, t, repeats))
            print(f"  {name}: plain {p * 1e3:.2f} ms, tracked {t * 1e3:.2f} ms", flush=True)
    return rows


def digest_throughput() -> str:
    import numpy as np
    import xxhash

    from jupyter_ext.capture.hashing import digest

    array = np.random.default_rng(0).random(2**26)  # 512 MiB
    view = memoryview(array).cast("B")
    ours, raw = [], []
    for _ in range(5):
        start = time.perf_counter()
        digest(array)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        xxhash.xxh3_128(view).hexdigest()
        raw.append(time.perf_counter() - start)
    size = array.nbytes / 1e9
    o, r = statistics.median(ours), statistics.median(raw)
    return (
        f"digest of a 512 MiB float64 array: {size / o:.1f} GB/s "
        f"(raw xxh3_128 on the same buffer: {size / r:.1f} GB/s, ratio {o / r:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke run)")
    parser.add_argument("--out", type=Path, help="also write the report to this file")
    args = parser.parse_args()
    rows = run(args.quick)
    lines = [
        "jupyter-ext recording overhead (median round trip per cell, same cells alternated)",
        f"machine: {machine()}",
        f"date: {time.strftime('%Y-%m-%d')}",
        "",
        f"{'workload':<28} {'plain ms':>9} {'tracked ms':>11} {'delta ms':>9} "
        f"{'ratio':>6} {'n':>4}",
    ]
    for name, p, t, n in rows:
        lines.append(
            f"{name:<28} {p * 1e3:>9.2f} {t * 1e3:>11.2f} {(t - p) * 1e3:>9.2f} "
            f"{t / p:>6.3f} {n:>4}"
        )
    by_name = {name: (p, t) for name, p, t, _ in rows}
    small = by_name["trivial, 10 names"]
    big = by_name["trivial, 10,000 names"]
    small_cost, big_cost = small[1] - small[0], big[1] - big[0]
    lines += [
        "",
        f"overhead with 10,000 names vs 10 names: {big_cost * 1e3:.2f} ms vs "
        f"{small_cost * 1e3:.2f} ms per cell",
        digest_throughput(),
    ]
    report = "\n".join(lines)
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n")


if __name__ == "__main__":
    main()
