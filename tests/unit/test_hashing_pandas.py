"""pandas and Arrow digests: equal frames built differently agree, every one-cell change
shows, and no whole-frame conversion or ``hash_pandas_object`` is used."""

from __future__ import annotations

from typing import Any

import pytest

np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")

from jupyter_ext.capture.hashing import Budget, digest, estimated_cost  # noqa: E402


def dv(obj: object) -> str:
    d = digest(obj)
    assert d.value is not None, d.opaque
    return d.value


def frame() -> Any:
    return pd.DataFrame(
        {
            "f": [1.5, 2.5, np.nan, 4.0],
            "i": np.array([1, 2, 3, 4], dtype=np.int64),
            "s": ["a", "bb", None, "dddd"],
            "o": [1, "x", None, (1, 2)],
            "c": pd.Categorical(["u", "v", "u", "w"]),
            "t": pd.date_range("2020-01-01", periods=4, tz="Europe/Paris"),
            "n": pd.array([1, None, 3, 4], dtype="Int64"),
            "b": pd.array([True, None, False, True], dtype="boolean"),
            "a": pd.array([1, 2, None, 4], dtype="int64[pyarrow]"),
            "d": pd.to_timedelta([1, 2, 3, 4], unit="s"),
        }
    )


def test_type_names() -> None:
    df = frame()
    assert digest(df).type_name == "pandas.DataFrame"
    assert digest(df["f"]).type_name == "pandas.Series"
    assert digest(df.index).type_name == "pandas.RangeIndex"
    assert digest(df.columns).type_name == "pandas.Index"


def test_frames_built_differently_digest_equal() -> None:
    base = frame()
    same = [
        frame(),
        base.copy(),
        base.copy(deep=True),
        base[list(base.columns)],
        base[list(reversed(base.columns))][list(base.columns)],
        pd.concat([base.iloc[:2], base.iloc[2:]]),
        base.iloc[::-1].iloc[::-1],
        pd.DataFrame({k: base[k] for k in base.columns}),
    ]
    for other in same:
        assert dv(other) == dv(base)


def test_numeric_frame_from_2d_blocks() -> None:
    data = np.arange(12.0).reshape(4, 3)
    by_block = pd.DataFrame(data, columns=["a", "b", "c"])
    by_fortran = pd.DataFrame(np.asfortranarray(data), columns=["a", "b", "c"])
    by_dict = pd.DataFrame({"a": data[:, 0], "b": data[:, 1], "c": data[:, 2]})
    assert dv(by_block) == dv(by_fortran) == dv(by_dict)


def test_arrow_chunking_does_not_matter() -> None:
    one = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", None, "ccc", "dd"]])))
    two = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([["a", None], ["ccc", "dd"]])))
    sliced = pd.Series(
        pd.arrays.ArrowStringArray(
            pa.chunked_array([pa.array(["zz", "a", None, "ccc", "dd"]).slice(1)])
        )
    )
    assert dv(one) == dv(two) == dv(sliced)
    assert dv(pa.chunked_array([[1, 2], [None]])) == dv(pa.chunked_array([[1], [2, None]]))
    assert dv(pa.array([1, 2, None])) == dv(pa.chunked_array([[1], [2, None]]))


def test_string_storage_does_not_matter() -> None:
    py = pd.Series(["a", None, "ccc"], dtype="string[python]")
    arrow = pd.Series(["a", None, "ccc"], dtype="string[pyarrow]")
    assert dv(py) == dv(arrow)
    assert dv(py) != dv(pd.Series(["a", None, "ccd"], dtype="string[python]"))


@pytest.mark.parametrize("column", ["f", "i", "s", "o", "c", "t", "n", "b", "a", "d"])
def test_every_one_cell_change_is_detected(column: str) -> None:
    base = frame()
    changed = base.copy()
    replacement = {
        "f": 9.5,
        "i": 9,
        "s": "zz",
        "o": "y",
        "c": "w",
        "t": pd.Timestamp("2021-01-01", tz="Europe/Paris"),
        "n": 9,
        "b": False,
        "a": 9,
        "d": pd.Timedelta(seconds=9),
    }[column]
    changed.loc[1, column] = replacement
    assert dv(changed) != dv(base)
    assert dv(changed[column]) != dv(base[column])


@pytest.mark.parametrize(
    "change",
    [
        lambda df: df.rename(columns={"f": "g"}),
        lambda df: df.set_axis([0, 1, 2, 5], axis=0),
        lambda df: df.rename_axis("idx"),
        lambda df: df.astype({"i": "float64"}),
        lambda df: df.astype({"i": "int32"}),
        lambda df: df.astype({"n": "Float64"}),
        lambda df: df.assign(t=df["t"].dt.tz_convert("UTC")),
        lambda df: df.assign(t=df["t"].dt.as_unit("ms")),
        lambda df: df.drop(columns="o"),
        lambda df: df.iloc[:3],
        lambda df: df[list(reversed(df.columns))],
        lambda df: df.assign(c=df["c"].cat.reorder_categories(["w", "v", "u"])),
        lambda df: df.assign(c=df["c"].cat.as_ordered()),
    ],
)
def test_structural_changes_are_detected(change: Any) -> None:
    base = frame()
    assert dv(change(base)) != dv(base)


def test_missing_values_are_canonical() -> None:
    """Bytes behind missing slots do not matter."""
    a = pd.array([1, None, 3], dtype="Int64")
    b = pd.array([1, 2, 3], dtype="Int64")
    b[1] = None
    assert dv(pd.Series(a)) == dv(pd.Series(b))
    assert dv(pd.Series(a)) != dv(pd.Series(pd.array([1, 0, 3], dtype="Int64")))
    f = pd.Series(pd.array([1.0, None], dtype="Float64"))
    g = pd.Series(pd.array([1.0, np.nan], dtype="Float64"), copy=True)
    assert digest(f).value is not None and digest(g).value is not None


def test_range_index_digests_like_equal_int_index() -> None:
    values = pd.DataFrame({"x": [1, 2, 3]})
    explicit = values.set_axis(pd.Index([0, 1, 2], dtype="int64"), axis=0)
    assert isinstance(values.index, pd.RangeIndex)
    assert dv(values) == dv(explicit)
    assert dv(pd.RangeIndex(2, 20, 3)) == dv(pd.Index(list(range(2, 20, 3))))
    assert dv(pd.RangeIndex(3)) != dv(pd.RangeIndex(4))
    assert dv(pd.RangeIndex(3, name="a")) != dv(pd.RangeIndex(3))


def test_multiindex() -> None:
    mi = pd.MultiIndex.from_tuples([(1, "a"), (2, "b")], names=["x", "y"])
    same = pd.MultiIndex.from_arrays([[1, 2], ["a", "b"]], names=["x", "y"])
    unused = pd.MultiIndex(
        levels=[[1, 2, 3], ["z", "a", "b"]], codes=[[0, 1], [1, 2]], names=["x", "y"]
    )
    assert dv(mi) == dv(same) == dv(unused)
    assert dv(mi) != dv(mi.set_names(["x", "z"]))
    assert dv(mi) != dv(pd.MultiIndex.from_tuples([(1, "a"), (2, "c")], names=["x", "y"]))
    s = pd.Series([1, 2], index=mi)
    assert dv(s) != dv(pd.Series([1, 2], index=mi[::-1]))


def test_series_name_index_values() -> None:
    s = pd.Series([1, 2, 3], name="a")
    assert dv(s) == dv(pd.Series([1, 2, 3], name="a"))
    assert dv(s) != dv(s.rename("b"))
    assert dv(s) != dv(s.set_axis([1, 2, 3]))
    assert dv(s) != dv(s.astype("float64"))


def test_other_arrays_and_indexes() -> None:
    intervals = pd.arrays.IntervalArray.from_breaks([0, 1, 2])
    assert dv(pd.Series(intervals)) != dv(pd.Series(pd.arrays.IntervalArray.from_breaks([0, 1, 3])))
    periods = pd.period_range("2020-01", periods=3, freq="M")
    assert dv(periods) != dv(pd.period_range("2020-01", periods=3, freq="D"))
    sparse = pd.Series(pd.arrays.SparseArray([0, 0, 1, 0]))
    assert dv(sparse) != dv(pd.Series(pd.arrays.SparseArray([0, 1, 0, 0])))
    assert dv(pd.CategoricalIndex(["a", "b"])) != dv(pd.Index(["a", "b"]))
    assert dv(pd.DatetimeIndex(["2020-01-01"], tz="UTC")) != dv(pd.DatetimeIndex(["2020-01-01"]))


def test_scalars_and_dtypes() -> None:
    values = [
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2020-01-01", tz="UTC"),
        pd.Timestamp("2020-01-02"),
        pd.Timedelta(1, unit="s"),
        pd.NaT,
        pd.NA,
        pd.Period("2020-01", freq="M"),
        pd.Interval(0, 1),
        pd.Interval(0, 1, closed="both"),
        pd.offsets.Day(2),
        pd.CategoricalDtype(["a", "b"]),
        pd.CategoricalDtype(["a", "b"], ordered=True),
        pd.Int64Dtype(),
    ]
    digests = [dv(v) for v in values]
    assert len(set(digests)) == len(digests)


def test_arrow_objects() -> None:
    table = pa.table({"a": [1, 2], "s": ["x", None]})
    assert dv(table) == dv(pa.table({"a": [1, 2], "s": ["x", None]}))
    assert dv(table) != dv(pa.table({"a": [1, 2], "s": ["x", "y"]}))
    assert dv(table) != dv(pa.table({"b": [1, 2], "s": ["x", None]}))
    assert dv(table.to_batches()[0]) == dv(
        pa.RecordBatch.from_pydict({"a": [1, 2], "s": ["x", None]})
    )
    dictionary = pa.array(["a", "b", "a"]).dictionary_encode()
    assert dv(dictionary) == dv(pa.array(["a", "b", "a"]))
    nested = pa.array([[1, 2], None, [3]])
    assert dv(nested) != dv(pa.array([[1, 2], None, [4]]))
    assert dv(pa.array([True, None, False])) != dv(pa.array([True, None, True]))
    assert dv(pa.int64()) != dv(pa.int32())


def test_null_slot_bytes_do_not_matter() -> None:
    """Arrow leaves the bytes behind null slots undefined; they must not leak in."""
    offsets = pa.array([0, 1, 4, 6], type=pa.int32())
    data = pa.py_buffer(b"abbbcc")
    validity = pa.py_buffer(bytes([0b101]))
    garbage = pa.StringArray.from_buffers(3, offsets.buffers()[1], data, validity, 1)
    clean = pa.array(["a", None, "cc"])
    assert garbage.to_pylist() == clean.to_pylist()
    assert dv(garbage) == dv(clean)
    ints = pa.Array.from_buffers(
        pa.int64(), 2, [pa.py_buffer(bytes([0b01])), pa.py_buffer(np.array([5, 77]).tobytes())], 1
    )
    assert dv(ints) == dv(pa.array([5, None]))


def test_no_whole_frame_conversions(monkeypatch: pytest.MonkeyPatch) -> None:
    df = frame()
    expected = dv(df)

    def forbidden(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("expensive conversion used")

    monkeypatch.setattr(pd.DataFrame, "to_numpy", forbidden)
    monkeypatch.setattr(pd.DataFrame, "values", property(forbidden))
    monkeypatch.setattr(pd.DataFrame, "__array__", forbidden)
    monkeypatch.setattr(pd.DataFrame, "to_dict", forbidden)
    monkeypatch.setattr(pd.Series, "to_list", forbidden)
    monkeypatch.setattr(pd.util, "hash_pandas_object", forbidden)
    monkeypatch.setattr(pd.arrays.ArrowExtensionArray, "to_numpy", forbidden)
    monkeypatch.setattr(pd.arrays.ArrowExtensionArray, "__array__", forbidden)
    monkeypatch.setattr(pd.arrays.ArrowExtensionArray, "astype", forbidden)
    monkeypatch.setattr(pd.arrays.IntegerArray, "to_numpy", forbidden)
    monkeypatch.setattr(pd.Categorical, "__array__", forbidden)
    monkeypatch.setattr(pd.arrays.DatetimeArray, "__array__", forbidden)
    assert dv(df) == expected


def test_object_column_budget() -> None:
    df = pd.DataFrame({"o": [str(i) for i in range(1000)]}, dtype=object)
    assert digest(df, Budget(max_elements=100)).value is None
    assert digest(df).value is not None


def test_estimated_cost() -> None:
    df = pd.DataFrame({"a": np.zeros(1000), "b": np.zeros(1000)})
    assert estimated_cost(df) == 16_000
    assert estimated_cost(df["a"]) == 8000
    assert estimated_cost(pa.table({"a": np.zeros(10)})) > 0


STRING_DTYPE = "str" if int(pd.__version__.split(".")[0]) >= 3 else "string[pyarrow]"


def test_million_rows_mixed_frame_is_fast() -> None:
    import time

    n = 1_000_000
    rng = np.random.default_rng(0)
    df = pd.DataFrame(
        {
            "f": rng.random(n),
            "i": rng.integers(0, 100, n),
            # The default string dtype: "str" from pandas 3 on; pandas 2 keeps plain
            # strings as objects, digested one by one, so take its Arrow strings.
            "s": pd.array([f"s{i % 1000}" for i in range(n)], dtype=STRING_DTYPE),
            "c": pd.Categorical(rng.integers(0, 5, n)),
            "n": pd.array(rng.integers(0, 5, n), dtype="Int64"),
        }
    )
    t0 = time.perf_counter()
    d = digest(df)
    assert d.value is not None
    assert time.perf_counter() - t0 < 2.0


FIRST_USE_SCRIPT = """
import datetime, enum, json, threading
import numpy as np, pandas as pd, pyarrow as pa
from jupyter_ext.capture.hashing import digest

class Color(enum.Enum):
    RED = 1

values = [
    np.arange(10.0), np.float32(2), pd.DataFrame({"a": [1, 2], "s": ["x", None]}),
    pd.Timestamp("2020-01-01", tz="UTC"), pa.table({"a": [1]}), Color.RED,
    datetime.date(2020, 1, 1), pd.Series(pd.Categorical(["a"])),
]
barrier = threading.Barrier(8)
results = []

def work():
    barrier.wait()
    results.append([digest(v).value for v in values])

threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"threads": results, "after": [digest(v).value for v in values]}))
"""


def test_concurrent_first_use_registers_handlers_once() -> None:
    """Handlers of numpy, pandas, pyarrow and stdlib types load on first use; threads
    racing to that first use must all see the complete registration."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    for _ in range(3):
        proc = subprocess.run(
            [sys.executable, "-c", FIRST_USE_SCRIPT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        out = json.loads(proc.stdout)
        assert len(out["threads"]) == 8
        assert all(r == out["after"] for r in out["threads"])
        assert all(v is not None for v in out["after"])


def test_frame_subclass() -> None:
    class Frame(pd.DataFrame):
        @property
        def _constructor(self) -> Any:
            return Frame

    a = Frame({"x": [1, 2]})
    assert digest(a).type_name.endswith("Frame")
    assert dv(a) != dv(pd.DataFrame({"x": [1, 2]}))
    assert dv(a) == dv(Frame({"x": [1, 2]}))
    assert dv(a) != dv(Frame({"x": [1, 3]}))
