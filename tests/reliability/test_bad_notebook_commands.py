"""Commands that read a notebook answer a malformed one with one line and exit code 2.

Found by fuzzing: any JSON that is not a notebook object (``null``, a list, cells that
are numbers) went through nbformat's reader and crashed the command later with a
traceback. Each command that takes a notebook is called here as a user would, on each
kind of damage.
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from jupyter_ext.cli.main import main

BAD = {
    "null": b"null",
    "list": b"[]",
    "number": b"42",
    "no cells": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}}',
    "cells not a list": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": 5}',
    "cell not an object": b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [1]}',
    "truncated": b'{"nbformat": 4, "cells": [',
    "binary": bytes(range(256)),
}
COMMANDS = {
    "run": ["run", "{nb}"],
    "to-module": ["to-module", "{nb}", "-o", "{dir}/module.py", "--no-record", "--no-pair"],
    "to-pipeline": ["to-pipeline", "{nb}", "--dry-run", "-o", "{dir}/pipeline.yaml"],
    "lock": ["lock", "{nb}"],
    "sweep": ["sweep", "{nb}", "-f", "{dir}/grid.yaml"],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("damage", sorted(BAD))
def test_one_line_and_exit_code_two(tmp_path: Path, command: str, damage: str) -> None:
    nb = tmp_path / "broken.ipynb"
    nb.write_bytes(BAD[damage])
    args = [a.format(nb=nb, dir=tmp_path) for a in COMMANDS[command]]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    lines = [line for line in err.getvalue().splitlines() if line.strip()]
    assert code == 2, (out.getvalue(), err.getvalue())
    assert len(lines) == 1 and str(nb) in lines[0] and "not a readable notebook" in lines[0]
    assert "Traceback" not in out.getvalue() + err.getvalue()


@pytest.mark.parametrize("damage", sorted(BAD))
def test_check_reports_one_error_line_and_exit_code_two(tmp_path: Path, damage: str) -> None:
    nb = tmp_path / "broken.ipynb"
    nb.write_bytes(BAD[damage])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", str(nb)])
    errors = [line for line in out.getvalue().splitlines() if ": error: " in line]
    assert code == 2
    assert len(errors) == 1 and errors[0].startswith(f"{nb}: error: ")
    assert "internal error" not in errors[0] and "Traceback" not in out.getvalue()
