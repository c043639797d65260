"""What a cell showed, as text that compares between runs: for ``repro``, locks and
``pytest --jx``.

A cell can be irreproducible without assigning anything: ``np.random.rand(3)`` on its
last line shows new numbers every run while no variable changes. So the text a person
reads under a cell is compared too:

* ``text/plain`` of results and displays, and what the cell printed to stdout (stream
  chunks joined, since how a kernel splits a stream into messages varies between runs).
  stderr is left out: warnings, logging and progress bars write there, with
  timestamps, rates and process ids in them. Images and HTML are left out too (the
  ``text/plain`` beside them is compared); errors are compared as the cell's status.
* Noise that differs in every run of the same code is replaced by a fixed token:
  memory addresses in reprs (``<Foo object at 0x7f3a...>``), the timings IPython's
  ``%time`` and ``%timeit`` print, and names that hold the kernel's process id or the
  execution count (``/tmp/ipykernel_4711/123.py``, ``<ipython-input-3-...>``,
  ``Cell In[3]``).

Pure: outputs (nbformat dicts or nodes) in, text and digests out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.cell_ids import source_text

__all__ = ["first_difference", "output_digest", "output_text"]

_NOISE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bat 0x[0-9a-fA-F]+"), "at 0x..."),
    (re.compile(r"(?m)^(CPU times|Wall time): .*$"), r"\1: <timing>"),
    (
        re.compile(r"(?m)^.*(?:per loop \(mean|loops?, best of \d+:).*$"),
        "<timing of %timeit>",
    ),
    (re.compile(r"(?m)^The slowest run took .*$"), "<timing of %timeit>"),
    (re.compile(r"ipykernel_\d+/\d+\.py"), "ipykernel/<cell>.py"),
    (re.compile(r"<ipython-input-\d+-[0-9a-f]+>"), "<ipython-input>"),
    (re.compile(r"\bCell In ?\[\d+\]"), "Cell In[...]"),
)


def normalise(text: str) -> str:
    """``text`` with run-to-run noise replaced by fixed tokens."""
    for pattern, token in _NOISE:
        text = pattern.sub(token, text)
    return text


def output_text(outputs: Iterable[Any]) -> str:
    """The comparable text of a cell's outputs ("" when it showed nothing)."""
    parts: list[str] = []
    streaming = False
    for output in outputs:
        if not isinstance(output, Mapping):
            continue
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") != "stdout":
                continue
            if streaming:
                parts[-1] += source_text(output.get("text"))
            else:
                parts.append(source_text(output.get("text")))
                streaming = True
            continue
        if kind in ("execute_result", "display_data"):
            data = output.get("data")
            plain = data.get("text/plain") if isinstance(data, Mapping) else None
            if plain is not None:
                parts.append(source_text(plain))
                streaming = False
    return "\n".join(normalise(part) for part in parts)


def output_digest(text: str) -> str:
    """A short digest of :func:`output_text`'s result, for lock files."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def first_difference(before: str, after: str, width: int = 80) -> tuple[str, str]:
    """The first line where two texts differ, from each (shortened to ``width``)."""
    a, b = before.splitlines(), after.splitlines()
    for i in range(max(len(a), len(b))):
        left = a[i] if i < len(a) else ""
        right = b[i] if i < len(b) else ""
        if left != right:
            return _shorten(left, width), _shorten(right, width)
    return _shorten(before, width), _shorten(after, width)


def _shorten(line: str, width: int) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."
