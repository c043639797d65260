"""numpy digests: logical content in C order, layouts, dtypes, object arrays, big arrays."""

from __future__ import annotations

import threading
import time
import tracemalloc
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from jupyter_ext.capture.hashing import (  # noqa: E402
    OPAQUE_BUDGET_BYTES,
    OPAQUE_BUDGET_ELEMENTS,
    OPAQUE_GENERATOR,
    Budget,
    digest,
    estimated_cost,
    is_large,
)
from jupyter_ext.capture.hashing import _numpy as hashing_numpy  # noqa: E402
from tests.reliability.test_hashing_hostile import no_user_code  # noqa: E402


def dv(obj: object, budget: Budget | None = None) -> str:
    d = digest(obj) if budget is None else digest(obj, budget)
    assert d.value is not None, d.opaque
    return d.value


def test_type_names() -> None:
    assert digest(np.zeros(3)).type_name == "numpy.ndarray"
    assert digest(np.float64(1)).type_name == "numpy.float64"
    assert digest(np.random.default_rng(0)).type_name == "numpy.random.Generator"


def test_equal_content_equal_digest() -> None:
    assert dv(np.arange(10)) == dv(np.array(list(range(10))))
    assert dv(np.zeros((2, 3))) == dv(np.zeros((2, 3)))


@pytest.mark.parametrize(
    "view",
    [
        lambda a: a[:, ::2],
        lambda a: a[::-1],
        lambda a: a[:, ::-3],
        lambda a: a.T,
        lambda a: np.asfortranarray(a),
        lambda a: a[1:, 2:7],
        lambda a: a[::2, ::2],
    ],
)
def test_views_equal_their_contiguous_copies(view: Any) -> None:
    a = np.arange(20 * 30, dtype=np.float64).reshape(20, 30)
    v = view(a)
    assert dv(v) == dv(np.ascontiguousarray(v)) == dv(v.copy(order="F"))


def test_large_non_contiguous_layouts() -> None:
    """Rows larger than one copy chunk go row by row; the digest stays that of the copy."""
    a = np.random.default_rng(0).random((3, 600, 600))
    for v in (a[:, :, ::2], a[:, ::-1, :], np.asfortranarray(a), a.transpose(2, 0, 1)):
        assert dv(v) == dv(np.ascontiguousarray(v))
    flat = np.arange(3_000_000, dtype=np.int32)[::3]
    assert dv(flat) == dv(flat.copy())


def test_broadcast_zero_strides() -> None:
    b = np.broadcast_to(np.arange(4.0), (1000, 4))
    assert dv(b) == dv(np.tile(np.arange(4.0), (1000, 1)))


def test_every_one_element_change_is_detected() -> None:
    a = np.arange(24, dtype=np.float64).reshape(4, 6)
    base = dv(a)
    for idx in [(0, 0), (3, 5), (2, 1)]:
        b = a.copy()
        b[idx] += 1e-12
        assert dv(b) != base
    c = a.copy()
    c[1, 1] = -0.0 if c[1, 1] == 0 else c[1, 1]
    assert dv(c) == base
    z = np.zeros(3)
    nz = z.copy()
    nz[0] = -0.0
    assert dv(nz) != dv(z)  # bitwise, like floats


def test_dtype_shape_and_byte_order_changes() -> None:
    a = np.arange(12, dtype=np.int64)
    assert len({dv(a), dv(a.reshape(3, 4)), dv(a.reshape(4, 3)), dv(a.view(np.float64))}) == 4
    assert dv(a.astype(np.int32)) != dv(a)
    assert dv(a.astype(">i8")) != dv(a)
    assert dv(np.zeros((0,))) != dv(np.zeros((0, 3)))
    assert dv(np.zeros(2, dtype=np.float32)) != dv(np.zeros(2, dtype=np.float64))


def test_zero_dim_and_scalars() -> None:
    assert dv(np.array(5)) == dv(np.array(5))
    assert dv(np.array(5)) != dv(np.array(6))
    assert dv(np.array(5)) != dv(np.int64(5))
    values = [
        np.float64(1),
        np.float32(1),
        np.int64(1),
        1.0,
        1,
        np.bool_(True),
        True,
        np.str_("a"),
        "a",
    ]
    assert len({dv(v) for v in values}) == len(values)
    assert dv(np.float64(-0.0)) != dv(np.float64(0.0))
    assert dv(np.datetime64("2020-01-01")) != dv(np.datetime64("2020-01-02"))


def test_datetime_arrays() -> None:
    days = np.array(["2020-01-01", "NaT", "2021-06-01"], dtype="M8[D]")
    assert dv(days) == dv(days.copy())
    assert dv(days) != dv(days.astype("M8[s]"))
    assert dv(np.array([1, 2], dtype="m8[s]")) != dv(np.array([1, 2], dtype="m8[ms]"))


def test_structured_dtypes_ignore_padding() -> None:
    dense = np.dtype([("a", "<i4"), ("b", "<f8")])
    padded = np.dtype([("a", "<i4"), ("b", "<f8")], align=True)
    assert padded.itemsize > dense.itemsize
    x = np.zeros(3, dtype=padded)
    x["a"], x["b"] = [1, 2, 3], [0.5, 1.5, 2.5]
    y = x.copy()
    y.view(np.uint8).reshape(3, -1)[:, 4:8] = 0xAB  # garbage in the padding
    assert dv(x) == dv(y)
    y["b"][1] = 9.0
    assert dv(x) != dv(y)
    d = np.zeros(3, dtype=dense)
    d["a"] = [1, 2, 3]
    assert dv(d) == dv(d.copy()) and dv(d) != dv(x)
    renamed = d.astype([("z", "<i4"), ("b", "<f8")])
    assert dv(renamed) != dv(d)


def test_object_arrays_go_element_wise() -> None:
    a = np.array([1, "a", None, [1, 2], {"k": (1,)}], dtype=object)
    b = np.array([1, "a", None, [1, 2], {"k": (1,)}], dtype=object)
    assert dv(a) == dv(b)
    b[3].append(3)
    assert dv(a) != dv(b)
    grid = np.empty((2, 2), dtype=object)
    grid[:] = [[1, 2], [3, 4]]
    assert dv(grid) == dv(grid.T.copy().T)
    g = (i for i in range(2))
    grid[1, 0] = g
    d = digest(grid)
    assert d.value is None and d.opaque is not None and d.opaque.startswith(OPAQUE_GENERATOR)
    assert d.opaque.endswith("(at [1, 0])")
    assert next(g) == 0
    assert (
        digest(np.empty(100, dtype=object), Budget(max_elements=10)).opaque
        == OPAQUE_BUDGET_ELEMENTS
    )


def test_structured_with_object_field() -> None:
    dt = np.dtype([("n", "<i8"), ("o", "O")])
    a = np.array([(1, "x"), (2, [1])], dtype=dt)
    b = np.array([(1, "x"), (2, [1])], dtype=dt)
    assert dv(a) == dv(b)
    b[1]["o"].append(2)
    assert dv(a) != dv(b)


def test_string_dtypes() -> None:
    assert dv(np.array(["ab", "c"])) != dv(np.array(["ab", "d"]))
    assert dv(np.array([b"ab"])) != dv(np.array(["ab"]))
    if hasattr(np.dtypes, "StringDType"):
        s = np.array(["alpha", "beta"], dtype=np.dtypes.StringDType())
        assert dv(s) == dv(s.copy())
        assert dv(s) != dv(np.array(["alpha", "gamma"], dtype=np.dtypes.StringDType()))


def test_memmap(tmp_path: Any) -> None:
    one = np.memmap(tmp_path / "a.dat", dtype=np.float32, mode="w+", shape=(100,))
    two = np.memmap(tmp_path / "b.dat", dtype=np.float32, mode="w+", shape=(100,))
    one[:] = two[:] = np.arange(100)
    assert digest(one).type_name == "numpy.memmap"
    assert dv(one) == dv(two)
    two[5] = -1
    two.flush()
    assert dv(one) != dv(two)
    assert dv(one[10:20]) == dv(np.arange(10, 20, dtype=np.float32).view(np.memmap))


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_subclasses() -> None:
    ma = np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    mb = np.ma.masked_array([1, 2, 3], mask=[0, 0, 1])
    assert dv(ma) != dv(mb) and dv(ma) == dv(np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]))
    shown = np.ma.masked_array([1, 2, 3], mask=[0, 1, 0])
    shown.filled()
    shown.fill_value = 7  # presentation, not content
    assert dv(shown) == dv(ma)
    assert dv(np.ma.masked_array([1, 2, 3])) != dv(np.array([1, 2, 3]))
    assert dv(np.matrix([[1, 2]])) != dv(np.array([[1, 2]]))

    class Tagged(np.ndarray):  # type: ignore[type-arg]
        def __array_finalize__(self, obj: Any) -> None:
            self.unit = getattr(obj, "unit", None)

        @property
        def dtype(self) -> Any:  # type: ignore[override]
            raise RuntimeError("user property")

        def __getitem__(self, key: Any) -> Any:
            raise RuntimeError("user __getitem__")

        def view(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("user view")

    t = np.arange(4.0).view(Tagged)
    t.unit = "m"
    u = np.arange(4.0).view(Tagged)
    u.unit = "s"
    with no_user_code():
        dt, du = digest(t), digest(u)
    assert dt.value is not None and du.value is not None and dt.value != du.value


def test_random_generators_change_with_draws() -> None:
    rng = np.random.default_rng(1)
    before = dv(rng)
    assert before == dv(np.random.default_rng(1))
    rng.random()
    assert dv(rng) != before
    legacy = np.random.RandomState(1)
    before = dv(legacy)
    legacy.rand()
    assert dv(legacy) != before


def test_ufuncs_dtypes_dispatchers() -> None:
    assert dv(np.add) != dv(np.multiply)
    assert dv(np.dtype("f8")) != dv(np.dtype("f4"))
    assert dv(np.sum) != dv(np.mean)


def test_byte_budget_is_checked_before_hashing() -> None:
    d = digest(np.zeros(1000), Budget(max_bytes=100))
    assert (d.value, d.opaque) == (None, OPAQUE_BUDGET_BYTES)


def test_estimated_cost() -> None:
    a = np.zeros((100, 100))
    assert estimated_cost(a) == a.nbytes
    assert estimated_cost(a[:, ::2]) == a.nbytes // 2
    assert estimated_cost(np.ma.masked_array([1.0, 2.0])) == 16
    assert is_large(np.zeros(1 << 18)) and not is_large(np.zeros(10))


def test_c_order_blocks_cover_the_array() -> None:
    a = np.arange(5 * 7 * 9).reshape(5, 7, 9)[:, ::2, ::-1]
    blocks = list(hashing_numpy.c_order_blocks(a))
    assert all(b.flags.c_contiguous for b in blocks)
    assert np.array_equal(np.concatenate([b.reshape(-1) for b in blocks]), a.reshape(-1))


@pytest.mark.slow
def test_one_gigabyte_array_is_hashed_without_copying() -> None:
    big = np.ones(1 << 27, dtype=np.float64)  # 1 GiB
    big[123_456_789] = 2.0
    try:
        import psutil

        rss: Any = psutil.Process().memory_info
    except ImportError:  # pragma: no cover - psutil is a test dependency
        rss = None
    tracemalloc.start()
    try:
        before = rss().rss if rss else 0
        t0 = time.perf_counter()
        d = digest(big)
        elapsed = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        assert d.value is not None
        assert peak < 1 << 20, peak  # no copy: well under 1 MiB traced
        if rss:
            assert rss().rss - before < 64 << 20
        tracemalloc.reset_peak()
        strided = digest(big[::2])  # copies, but chunk by chunk
        _, peak = tracemalloc.get_traced_memory()
        assert strided.value is not None
        assert peak < 16 << 20, peak
    finally:
        tracemalloc.stop()
    big[123_456_789] = 1.0
    assert digest(big).value != d.value
    assert elapsed < 5.0  # about 0.1 s at xxh3 speed


@pytest.mark.slow
def test_large_digest_releases_the_gil() -> None:
    big = np.ones(1 << 27, dtype=np.float64)
    done = threading.Event()

    def spin(seconds: float) -> int:
        n, end = 0, time.perf_counter() + seconds
        while time.perf_counter() < end:
            n += 1
        return n

    baseline = spin(0.1) / 0.1  # iterations per second with the GIL to ourselves

    def work() -> None:
        for _ in range(3):
            digest(big)
        done.set()

    t = threading.Thread(target=work)
    t0 = time.perf_counter()
    t.start()
    n = 0
    while not done.is_set():
        n += 1
    elapsed = time.perf_counter() - t0
    t.join()
    # With the GIL held for the whole hash this loop would barely run.
    assert n / elapsed > 0.25 * baseline, (n / elapsed, baseline)
