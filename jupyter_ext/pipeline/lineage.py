"""A step's input and output files, from the data lineage its run record carries.

The recorder lists every file an execution opened (``files`` in ``jupyter_ext.run/1``:
path, mode, digest, seq). For a pipeline what matters is the step as a whole:

* an **input** is a file the step read and never wrote: it had to exist before the step
  ran, and its content is part of what the step's result depends on;
* an **output** is a file the step wrote (or updated). A file written and then read back
  is an output only; one updated in place is an output only as well, since its next
  content is the step's own doing (its recorded digest tells when someone else changed it).

Only files under the pipeline's directory are kept: reads of site-packages, of ``/etc``
or of temporary files are the environment, not the pipeline's data. Notebooks and the
pipeline's own files are never data.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TEMP = Path(tempfile.gettempdir()).resolve()
"""Kernel start-up and libraries use temporary files: not worth listing as untracked."""


@dataclass
class StepFiles:
    """Inputs and outputs relative to the pipeline root, and what was left out."""

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    """Absolute paths of files used outside the root (listed, not tracked)."""


def has_file_lineage(record: Mapping[str, Any]) -> bool:
    """The record comes from a recorder that lists files (an empty list counts)."""
    return isinstance(record.get("files"), list)


def step_files(record: Mapping[str, Any], root: Path, *, ignore: Iterable[Path] = ()) -> StepFiles:
    """Classify the files of one run record (see the module docstring)."""
    root = root.resolve()
    ignored = {p.resolve() for p in ignore}
    entries = [e for e in record.get("files") or () if isinstance(e, Mapping)]
    entries.sort(key=_seq)
    first_mode: dict[Path, str] = {}
    written: set[Path] = set()
    outside: list[str] = []
    for entry in entries:
        raw = entry.get("path")
        if not isinstance(raw, str):
            continue
        path = Path(raw)
        if path in ignored or path.suffix == ".ipynb":
            continue
        if not path.is_relative_to(root):
            if raw not in outside and not path.is_relative_to(_TEMP):
                outside.append(raw)
            continue
        mode = str(entry.get("mode"))
        first_mode.setdefault(path, mode)
        if mode in ("write", "update"):
            written.add(path)
    files = StepFiles(outside=outside)
    for path, mode in first_mode.items():
        relative = path.relative_to(root).as_posix()
        if path in written:
            files.outputs.append(relative)
        elif mode == "read":
            files.inputs.append(relative)
    files.inputs.sort()
    files.outputs.sort()
    return files


def _seq(entry: Mapping[str, Any]) -> int:
    seq = entry.get("seq")
    return seq if isinstance(seq, int) else 0
