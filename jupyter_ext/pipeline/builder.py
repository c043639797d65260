"""``to-pipeline``: notebooks to steps, with parameters cells and files from real runs.

The order of work keeps every failure honest:

1. read every notebook and decide its parameters cell in memory: a conflict anywhere
   stops everything before a file is touched;
2. write back the notebooks that changed (nbformat, every other cell and all metadata
   as they were);
3. run each notebook once, in the order given, with recording on, and take its inputs
   and outputs from the run record's file lineage: a failing run stops here and no spec
   is written (the notebooks keep their new parameters cells, which are valid on their
   own);
4. write the spec.

Notebooks run in their own directory, as in JupyterLab, so relative paths in them mean
what they mean for their author.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lineage import StepFiles, has_file_lineage, step_files
from .parameters_cell import Conversion, convert_notebook
from .spec import DEFAULT_OUTPUT_DIR, dump_spec, spec_document
from .state import state_path

Echo = Callable[[str], None]


class BuildError(Exception):
    """A lineage run failed: exit 1, no spec written; the message is one line."""


@dataclass
class BuildOptions:
    spec: Path
    dry_run: bool = False
    run: bool = True
    store: Path | None = None
    kernel: str | None = None
    timeout: float | None = None
    progress: bool = True


@dataclass
class _Item:
    path: Path
    name: str
    notebook: Any
    conversion: Conversion
    files: StepFiles = field(default_factory=StepFiles)


def build_pipeline_spec(
    notebooks: list[tuple[Path, Any]], options: BuildOptions, echo: Echo
) -> dict[str, Any]:
    """Convert, run and describe ``notebooks`` ((path, nbformat node) pairs); returns the spec.

    Raises :class:`~jupyter_ext.pipeline.parameters_cell.ConversionError` (input) and
    :class:`BuildError` (a run failed).
    """
    root = options.spec.resolve().parent
    items: list[_Item] = []
    names: set[str] = set()
    for path, nb in notebooks:
        label = _relative(path, root)
        conversion = convert_notebook(nb, label=label)
        items.append(_Item(path, _step_name(path, names), nb, conversion))
    for item in items:
        echo(f"{_relative(item.path, root)} (step {item.name}):")
        for line in item.conversion.decisions:
            echo(f"  {line}")
    if options.dry_run:
        echo("dry run: no notebook or spec written, nothing run")
        return _document(items, root)
    for item in items:
        if item.conversion.changed:
            _write_notebook(item.path, item.conversion.notebook)
            echo(f"wrote {_relative(item.path, root)}")
    if options.run:
        _record_files(items, root, options, echo)
    else:
        echo("--no-run: inputs and outputs left empty; list them in the spec by hand")
    return _document(items, root)


def write_spec(path: Path, document: dict[str, Any]) -> None:
    """Write the spec (through a temporary file: a half-written spec never exists)."""
    import os

    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(dump_spec(document), encoding="utf-8")
    os.replace(tmp, path)


def _step_name(path: Path, taken: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem) or "step"
    if not re.match(r"[A-Za-z_]", base):
        base = f"step_{base}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _relative(path: Path, root: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(root).as_posix()
    except ValueError:
        return str(resolved)


def _write_notebook(path: Path, notebook: dict[str, Any]) -> None:
    import nbformat

    node = nbformat.from_dict(notebook)
    nbformat.validate(node)
    nbformat.write(node, path)


def _record_files(items: list[_Item], root: Path, options: BuildOptions, echo: Echo) -> None:
    from .execute import run_recorded

    warned = False
    ignore = [options.spec, state_path(options.spec)]
    for item in items:
        label = _relative(item.path, root)
        echo(f"running {label} once to record the files it reads and writes...")
        run = run_recorded(
            item.path,
            name=item.name,
            progress=options.progress,
            kernel_name=options.kernel,
            timeout=options.timeout,
            store=options.store,
        )
        if run.run_id is None:
            raise BuildError(f"{label}: {run.error}")
        if run.error:
            raise BuildError(
                f"{label}: the recording run failed ({run.error}); fix the notebook (run "
                f"`jupyter-ext run {label}` to see it fail) or pass --no-run; no spec written"
            )
        record = run.record
        if record is None or not has_file_lineage(record):
            if not warned:
                echo("  the run record lists no files: inputs and outputs left empty")
                warned = True
            continue
        item.files = step_files(record, root, ignore=ignore)
        echo(f"  inputs:  {', '.join(item.files.inputs) or '-'}")
        echo(f"  outputs: {', '.join(item.files.outputs) or '-'}")
        if item.files.outside:
            echo(f"  not tracked (outside {root}): {', '.join(item.files.outside[:3])}")


def _document(items: list[_Item], root: Path) -> dict[str, Any]:
    steps = []
    for item in items:
        step: dict[str, Any] = {"name": item.name, "notebook": _relative(item.path, root)}
        step["parameters"] = {
            name: p.default
            for name, p in item.conversion.parameters.items()
            if p.type_name != "any"  # non-literal defaults cannot go into a spec
        }
        step["inputs"] = item.files.inputs
        step["outputs"] = item.files.outputs
        steps.append(step)
    return spec_document(steps, output_dir=DEFAULT_OUTPUT_DIR)
