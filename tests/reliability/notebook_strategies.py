"""Hypothesis strategies for notebooks: valid nbformat 4, arbitrary JSON, mutated bytes.

Shared by the fuzz tests of the static checker and of the converters. Valid notebooks
are checked against nbformat's own schema as they are drawn, so a test may demand that
they are judged (findings) rather than refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
SEED_NOTEBOOKS = sorted(
    [*ROOT.glob("examples/*.ipynb"), *ROOT.glob("tests/data/check/*.ipynb")],
    key=lambda p: p.name,
)
"""Real notebooks whose bytes the mutation strategy starts from."""

# Fragments a notebook's code is made of, including the awkward ones: magics, shell
# escapes, star imports, syntax errors, absolute paths, global/nonlocal, walrus,
# comprehensions, classes, deletions and "noqa" opt-outs.
CODE_FRAGMENTS = [
    "x = 1",
    "y = x + 1",
    "import os",
    "from math import *",
    "df = load(path)",
    "df['a'] = df['b'] * 2",
    "del x",
    "print(y)",
    "%matplotlib inline",
    "%%time\nz = 3",
    "!ls -la",
    "def f(a, b=x):\n    global y\n    y = a\n    return b",
    "class K:\n    attr = y\n    def m(self):\n        return self.attr",
    "[i for i in range(y)]",
    "if (n := len('abc')) > 2:\n    w = n",
    "open('/home/user/data.csv')",
    "path = 'C:\\\\Users\\\\me\\\\x.txt'",
    "x = (",
    "def broken(:\n    pass",
    "lambda q: q + undefined_name",
    "exec('hidden = 1')",
    "globals()['g'] = 2",
    "x += 1  # noqa: JX101",
    "import numpy as np  # jupyter-ext: noqa",
    "async def co():\n    await thing",
    "try:\n    risky()\nexcept Exception:\n    pass",
    "with open(p) as fh:\n    text = fh.read()",
    "for k, v in {}.items():\n    total = k",
    "def outer():\n    v = 1\n    def inner():\n        nonlocal v\n        v = 2",
    "\x00\ufeff weird \u202e chars = 1",
    "x" * 5000,
]

ids = st.from_regex(r"[a-zA-Z0-9_-]{1,64}", fullmatch=True)
texts = st.text(max_size=200)
sources = st.one_of(
    st.lists(st.sampled_from(CODE_FRAGMENTS), max_size=6).map("\n".join),
    texts,
    st.lists(st.one_of(st.sampled_from(CODE_FRAGMENTS), texts), max_size=4).map("\n".join),
)
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=60))
mime = st.dictionaries(
    st.sampled_from(["text/plain", "text/html", "image/png", "application/json"]),
    st.text(max_size=50),
    max_size=3,
)
outputs = st.one_of(
    st.builds(
        lambda name, text: {"output_type": "stream", "name": name, "text": text},
        st.sampled_from(["stdout", "stderr"]),
        texts,
    ),
    st.builds(
        lambda data, n: {
            "output_type": "execute_result",
            "data": data,
            "metadata": {},
            "execution_count": n,
        },
        mime,
        counts,
    ),
    st.builds(lambda data: {"output_type": "display_data", "data": data, "metadata": {}}, mime),
    st.builds(
        lambda ename, evalue, tb: {
            "output_type": "error",
            "ename": ename,
            "evalue": evalue,
            "traceback": tb,
        },
        texts,
        texts,
        st.lists(texts, max_size=3),
    ),
)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
cell_metadata = st.fixed_dictionaries(
    {},
    optional={
        "tags": st.lists(
            st.sampled_from(["parameters", "injected-parameters", "skip", "raises-exception"]),
            max_size=3,
            unique=True,
        ),
        "jupyter_ext": st.fixed_dictionaries(
            {}, optional={"ignore": st.lists(st.sampled_from(["JX1", "JX204", "JX2", "X"]))}
        ),
        "custom": json_values,
    },
)


@st.composite
def code_cells(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "id": draw(ids),
        "source": draw(st.one_of(sources, st.lists(sources, max_size=3))),
        "execution_count": draw(counts),
        "outputs": draw(st.lists(outputs, max_size=3)),
        "metadata": draw(cell_metadata),
    }


@st.composite
def text_cells(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["markdown", "raw"]))
    return {"cell_type": kind, "id": draw(ids), "source": draw(sources), "metadata": {}}


@st.composite
def valid_notebooks(draw: st.DrawFn) -> dict[str, Any]:
    """A notebook nbformat 4.5 validates, with random cells, counts, outputs, metadata."""
    cells = draw(st.lists(st.one_of(code_cells(), text_cells()), max_size=12))
    seen: set[str] = set()
    for i, cell in enumerate(cells):  # ids must be unique in a valid notebook
        if cell["id"] in seen:
            cell["id"] = f"dup-{i}"
        seen.add(cell["id"])
    metadata: dict[str, Any] = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "kernelspec": st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(["python3", "ir", "julia-1.9"]),
                        "display_name": st.text(max_size=10),
                        "language": st.sampled_from(["python", "R", "julia", ""]),
                    }
                ),
                "language_info": st.fixed_dictionaries(
                    {"name": st.sampled_from(["python", "R", "ipython"])}
                ),
                "papermill": st.fixed_dictionaries({"parameters": json_values}),
                "jupyter_ext": st.fixed_dictionaries(
                    {}, optional={"ignore": st.lists(st.sampled_from(["JX2", "JX101"]))}
                ),
            },
        )
    )
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata, "cells": cells}
    nbformat.validate(nbformat.from_dict(nb))
    return nb


@st.composite
def json_documents(draw: st.DrawFn) -> bytes:
    """Any JSON: a list, a number, a notebook-shaped dict with wrong types inside."""
    cell_keys = st.sampled_from(
        ["cell_type", "source", "execution_count", "outputs", "id", "metadata"]
    )
    cell_like = st.dictionaries(cell_keys, st.one_of(json_values, st.sampled_from(["code"])))
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "nbformat": st.one_of(st.just(4), json_values),
            "nbformat_minor": json_values,
            "metadata": json_values,
            "cells": st.one_of(json_values, st.lists(st.one_of(cell_like, json_scalars))),
            "worksheets": json_values,
        },
    )
    value = draw(st.one_of(json_values, shaped))
    return json.dumps(value).encode()


@st.composite
def mutated_notebooks(draw: st.DrawFn) -> bytes:
    """The bytes of a real notebook after a few random byte-level edits."""
    data = bytearray(draw(st.sampled_from(SEED_NOTEBOOKS)).read_bytes())
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        if not data:
            break
        at = draw(st.integers(min_value=0, max_value=len(data) - 1))
        op = draw(st.sampled_from(["flip", "delete", "insert", "truncate", "duplicate"]))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        elif op == "delete":
            del data[at : at + draw(st.integers(min_value=1, max_value=64))]
        elif op == "insert":
            data[at:at] = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=16),
                    st.sampled_from([b'"', b"{", b"]", b",", b"\\u0000", b"null", b"\xff\xfe"]),
                )
            )
        elif op == "truncate":
            del data[at:]
        else:
            end = at + draw(st.integers(min_value=1, max_value=200))
            data[at:at] = data[at:end]
    return bytes(data)
