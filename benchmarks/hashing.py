"""Digest throughput against the raw hash and against pandas' own hashing.

    python benchmarks/hashing.py [--repeats N] [--array-mb MB] [--rows N]

Measures, in one process and with medians over repeats:

- a large C-contiguous float64 array: ``digest(array)`` against ``xxhash.xxh3_128`` over
  the same memoryview (the ceiling: digest adds a header and nothing else);
- the same array through a strided view and in Fortran order (copied in bounded blocks);
- a 1M-row DataFrame with float, int, string, categorical, nullable and datetime columns:
  ``digest(df)`` against ``pandas.util.hash_pandas_object(df).sum()``;
- small values (int, str, dict, function), per call.

Results go to stdout and to ``benchmarks/results/hashing.txt`` with a machine description.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xxhash  # noqa: E402
from _machine import machine_lines  # noqa: E402

from jupyter_ext.capture.hashing import digest  # noqa: E402


def median_seconds(fn: Callable[[], Any], repeats: int) -> float:
    return interleaved([fn], repeats)[0]


def interleaved(fns: list[Callable[[], Any]], repeats: int) -> list[float]:
    """Median seconds of each function, run alternately so that load from other
    processes and frequency changes hit all of them alike."""
    for fn in fns:
        fn()  # warm up: page in buffers, load handlers
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, acc in zip(fns, times, strict=True):
            t0 = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in times]


def machine() -> list[str]:
    import pyarrow

    return [
        *machine_lines(),
        f"numpy {np.__version__}, pandas {pd.__version__}, pyarrow {pyarrow.__version__}, "
        f"xxhash {xxhash.VERSION} (libxxhash {xxhash.XXHASH_VERSION})",
    ]


def bench_array(mb: int, repeats: int) -> list[str]:
    n = mb * (1 << 20) // 8
    a = np.random.default_rng(0).random(n)
    gb = a.nbytes / 1e9
    mv = memoryview(a)
    raw, ours = interleaved([lambda: xxhash.xxh3_128(mv).digest(), lambda: digest(a)], repeats)
    strided_view = a[::2]
    strided = median_seconds(lambda: digest(strided_view), max(1, repeats // 2))
    side = int((n // 4) ** 0.5)
    fortran = np.asfortranarray(a[: side * side].reshape(side, side))
    fort = median_seconds(lambda: digest(fortran), max(1, repeats // 2))
    return [
        f"float64 array, {a.nbytes / 2**20:.0f} MiB, C-contiguous (median of {repeats}):",
        f"  xxh3_128(memoryview)   {raw * 1e3:8.1f} ms  {gb / raw:6.2f} GB/s",
        f"  digest(array)          {ours * 1e3:8.1f} ms  {gb / ours:6.2f} GB/s"
        f"  ratio {raw / ours:.2f} of raw xxh3",
        f"  digest(array[::2])     {strided * 1e3:8.1f} ms  "
        f"{strided_view.nbytes / 1e9 / strided:6.2f} GB/s (logical bytes; copied in 1 MiB blocks)",
        f"  digest(Fortran {side}x{side}) {fort * 1e3:6.1f} ms  "
        f"{fortran.nbytes / 1e9 / fort:6.2f} GB/s (logical bytes; transposed in blocks)",
    ]


def bench_frame(rows: int, repeats: int) -> list[str]:
    rng = np.random.default_rng(0)
    words = np.array([f"word{i:05d}" for i in range(10_000)], dtype=object)
    df = pd.DataFrame(
        {
            "f64": rng.random(rows),
            "i64": rng.integers(0, 1_000_000, rows),
            "str": pd.array(words[rng.integers(0, len(words), rows)], dtype="str"),
            "cat": pd.Categorical.from_codes(
                rng.integers(0, 20, rows), [f"c{i}" for i in range(20)]
            ),
            "Int64": pd.array(rng.integers(0, 100, rows), dtype="Int64"),
            "ts": pd.date_range("2020-01-01", periods=rows, freq="s", tz="UTC"),
        }
    )
    mem = df.memory_usage(deep=True).sum() / 2**20
    ours, theirs = interleaved(
        [lambda: digest(df), lambda: pd.util.hash_pandas_object(df).sum()], repeats
    )
    dtypes = ", ".join(f"{c}:{t}" for c, t in df.dtypes.astype(str).items())
    return [
        f"DataFrame {rows:,} rows x {df.shape[1]} columns ({dtypes}), {mem:.0f} MiB "
        f"(median of {repeats}):",
        f"  hash_pandas_object(df).sum()  {theirs * 1e3:8.1f} ms",
        f"  digest(df)                    {ours * 1e3:8.1f} ms   {theirs / ours:.1f}x faster",
    ]


def bench_small() -> list[str]:
    def f(x: int, y: int = 2) -> int:
        return x + y

    cases: list[tuple[str, object]] = [
        ("int", 12345),
        ("str (20 chars)", "a" * 20),
        ("dict of 10 ints", {str(i): i for i in range(10)}),
        ("list of 1000 floats", [float(i) for i in range(1000)]),
        ("function", f),
    ]
    lines = ["small values (median per call):"]
    n = 2000
    for name, value in cases:
        per = median_seconds(lambda v=value: [digest(v) for _ in range(n)], 5) / n
        lines.append(f"  {name:22s} {per * 1e6:8.2f} us")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--array-mb", type=int, default=512)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, default=HERE / "results" / "hashing.txt")
    args = parser.parse_args()

    lines = ["jupyter-ext digest benchmark", time.strftime("%Y-%m-%d %H:%M:%S %Z"), *machine(), ""]
    for section in (
        bench_array(args.array_mb, args.repeats),
        bench_frame(args.rows, args.repeats),
        bench_small(),
    ):
        lines.extend([*section, ""])
        print("\n".join(section), flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text("\n".join(lines))
    print(f"written to {args.output.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
