"""The text a cell showed, as repro, locks and pytest --jx compare it (pure)."""

from __future__ import annotations

from nbformat.v4 import new_output

from jupyter_ext.bridge.lockfile import CellDigests
from jupyter_ext.bridge.outputs import first_difference, output_digest, output_text
from jupyter_ext.bridge.repro import compare, format_comparison


def result(text: str) -> dict[str, object]:
    return new_output("execute_result", data={"text/plain": text}, execution_count=3)


def stdout(text: str, name: str = "stdout") -> dict[str, object]:
    return new_output("stream", name=name, text=text)


def test_results_displays_and_stdout_count_and_stderr_images_and_errors_do_not() -> None:
    outputs = [
        stdout("loading\n"),
        stdout("done\n"),  # one print, split into two messages this time
        stdout("warning at 12:03:11\n", name="stderr"),
        new_output("display_data", data={"image/png": "iVBOR", "text/plain": "<Figure>"}),
        new_output("display_data", data={"image/png": "iVBOR"}),
        result("array([0.54, 0.71])"),
        new_output("error", ename="ValueError", evalue="x", traceback=[]),
    ]
    assert output_text(outputs) == "loading\ndone\n\n<Figure>\narray([0.54, 0.71])"
    assert output_text([stdout("loading\ndone\n")]) == output_text(outputs[:2])
    assert output_text([]) == ""


def test_noise_that_differs_in_every_run_is_replaced() -> None:
    def shown(*texts: str) -> str:
        return output_text([stdout(t) for t in texts])

    assert shown("<Foo object at 0x7f3a2b1c>\n") == shown("<Foo object at 0x55d0e1f2>\n")
    assert shown("[<matplotlib.lines.Line2D at 0x7f0>]") == shown(
        "[<matplotlib.lines.Line2D at 0x7f8>]"
    )
    timing = "CPU times: user 3 ms, sys: 1 ms, total: 4 ms\nWall time: 4.2 ms\n"
    assert shown(timing, "42\n") == shown(timing.replace("3 ms", "5 ms"), "42\n")
    assert shown(
        "1.3 µs ± 2.1 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n"
    ) == (shown("1.9 µs ± 8.4 ns per loop (mean ± std. dev. of 7 runs, 1,000,000 loops each)\n"))
    assert shown("/tmp/ipykernel_4711/1234.py:2: note\n") == shown(
        "/tmp/ipykernel_9/88.py:2: note\n"
    )
    assert shown("Cell In[3], line 1") == shown("Cell In[12], line 1")
    # what the code computed is not noise
    assert shown("[0.54 0.71]\n") != shown("[0.42 0.65]\n")
    assert shown("0x7f3a2b1c\n") != shown("0x55d0e1f2\n")  # a printed number, not a repr


def test_first_difference_shows_the_line_that_differs() -> None:
    assert first_difference("a\nb\nc", "a\nB\nc") == ("b", "B")
    assert first_difference("a", "a\nmore") == ("", "more")
    left, right = first_difference("x" * 200, "y" * 200, width=20)
    assert left == "x" * 17 + "..." and right == "y" * 17 + "..."


def _cell(key: str, shown: str | None, source: str = "") -> CellDigests:
    return CellDigests(
        key, 1, "h", "ok", {}, source=source,
        output=output_digest(shown) if shown is not None else None, output_text=shown,
    )  # fmt: skip


def test_a_value_only_displayed_is_compared_and_its_cell_named() -> None:
    source = "import numpy as np\nnp.random.rand(3)"
    found = compare([_cell("id:a", "[0.54 0.71]")], [_cell("id:a", "[0.42 0.65]", source)])
    assert not found.reproducible and found.outputs == 1
    first = found.divergences[0]
    assert (first.kind, first.expected, first.actual) == ("output", "[0.54 0.71]", "[0.42 0.65]")
    assert first.message() == (
        "cell 2 (id a): its output differs ('[0.54 0.71]' then, '[0.42 0.65]' now)"
    )
    assert first.causes[0].startswith("unseeded randomness: cell 2 (id a)")
    # a lock keeps the digest only
    locked = CellDigests("id:a", 1, "h", "ok", {}, output=output_digest("[0.54 0.71]"))
    message = compare([locked], [_cell("id:a", "[0.42 0.65]")]).divergences[0].message()
    assert message == "cell 2 (id a): its output differs from the reference's (now '[0.42 0.65]')"


def test_a_reference_without_outputs_compares_values_and_says_so() -> None:
    found = compare([_cell("id:a", None)], [_cell("id:a", "anything")])
    assert found.reproducible and found.outputs == 0 and not found.outputs_known
    text = format_comparison(found, "run 01a2", "run 01a3")
    assert "outputs not compared (run 01a2 keeps none)" in text
    same = compare([_cell("id:a", "1")], [_cell("id:a", "1")])
    assert "0 variable digests and 1 output in 1 cells match" in format_comparison(same, "a", "b")
