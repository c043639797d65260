"""Coverage-guided fuzzing of the static checker with atheris (libFuzzer).

Run by ``test_atheris.py`` for a few seconds; run it by hand for longer::

    python tests/reliability/atheris_checker.py -max_total_time=600 CORPUS_DIR

Each input is written as a notebook file and checked. A crash is an exception escaping
``check_notebook`` (it promises never to raise), an "internal error" result (a bug the
checker caught for us), or an error message that is empty or longer than one line.
"""

from __future__ import annotations

import os
import sys
import tempfile

import atheris

with atheris.instrument_imports():
    from jupyter_ext.bridge.static import check_notebook

_PATH = os.path.join(tempfile.mkdtemp(prefix="jx-atheris-"), "input.ipynb")


def test_one_input(data: bytes) -> None:
    with open(_PATH, "wb") as fh:
        fh.write(data)
    result = check_notebook(_PATH)
    error = result.error
    if error is not None and (not error.strip() or "\n" in error or "internal error" in error):
        raise AssertionError(f"bad error line for this input: {error!r}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
