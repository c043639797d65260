"""One lookup behind ``%lineage`` and the panel's ``lineage`` request: a name or a file.

A Python identifier that the run has seen is a variable; anything else (``data.csv``,
``out/model.pkl``, an absolute path) is a file, resolved the way the recorder resolves
the files cells open (relative to the kernel's working directory, symlinks followed), so
what a user types matches what was recorded.
"""

from __future__ import annotations

import os
from typing import Any

from ..analysis.file_lineage_report import file_report
from ..analysis.lineage_report import lineage_report


def resolve_path(text: str) -> str:
    """``text`` as the recorder stores the files cells open: absolute, symlinks followed."""
    return os.path.realpath(os.path.expanduser(text))


def lineage_of(live: Any, target: str, *, as_path: bool = False) -> dict[str, Any]:
    """The lineage report of variable ``target``, or of file ``target``.

    Raises KeyError with a sentence for the user when the run has no record of it.
    """
    with live.locked():
        graph, snapshot = live.engine.graph, live.engine.notebook
        files = live.file_lineage()
        if not as_path and target.isidentifier() and graph.current(target) is not None:
            return lineage_report(graph, target, snapshot, files)
        path = resolve_path(target)
        if path in files or files.has_forgotten_uses(path):
            return file_report(files, path, snapshot, graph.horizon_info())
    if target.isidentifier() and not as_path:
        raise KeyError(f"`{target}` was never recorded in this run")
    raise KeyError(f"no recorded execution read or wrote {path}")
