"""The command line and notebooks the way the integration tests use them.

Each command runs in a subprocess, as a user's shell would run it, recording into a store
of the test's own (``JUPYTER_EXT_STORE``), so no test sees another's runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook


def jupyter_ext(
    *args: str,
    cwd: Path,
    store: Path | None = None,
    timeout: float = 600,
    extra_env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``jupyter-ext ARGS`` in ``cwd``; the store is ``store`` or ``cwd/runs.sqlite``."""
    env = dict(os.environ, JUPYTER_EXT_STORE=str(store or cwd / "runs.sqlite"))
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def code_notebook(
    path: Path,
    *sources: str,
    id_prefix: str | None = "cell-",
    parameters: bool = False,
    language: bool = False,
) -> Path:
    """A notebook of code cells with a ``python3`` kernelspec.

    ``id_prefix``: cell ids ``{prefix}0``, ``{prefix}1``... (None: nbformat's random ids);
    ``parameters``: the first cell is tagged ``parameters``; ``language``: the kernelspec
    names its language (papermill needs it to inject parameters on its own).
    """
    nb = new_notebook()
    nb.cells = [new_code_cell(s) for s in sources]
    if id_prefix is not None:
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{id_prefix}{i}"
    if parameters:
        nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    if language:
        nb.metadata["kernelspec"]["language"] = "python"
    nbformat.write(nb, path)
    return path
