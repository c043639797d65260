"""The whole conversion as ``jupyter-ext to-module`` runs it: plumbing around the pure
planning and rendering. Pair through jupytext, plan and write the module (formatted,
checked to compile), then record the notebook with the recording engine and write the
test file that pins the module's values to the notebook's.
"""

from __future__ import annotations

import subprocess
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bridge.error_text import last_line
from ..core.cell_ids import notebook_cell_ids, source_text
from ..pipeline.typed_params import declared_parameters, parameters_cell_index
from .expected import NOT_RECORDED, ExpectedDigests, expected_digests
from .pairing import Pairing
from .plan import ModulePlan, PlanError, plan_module
from .render_module import render_module
from .render_test import TestTarget, render_test
from .units import CellInput


class ConversionError(ValueError):
    """Input the conversion cannot use; the message is one line naming the file."""


@dataclass(frozen=True, slots=True)
class Options:
    output: Path
    test: Path | None = None
    """Default: ``test_<module>.py`` next to the module."""
    pair: bool = True
    record: bool = True
    testbook: bool = False
    parameters: Mapping[str, Any] = field(default_factory=dict)
    runs: int = 2
    """Recorded runs; with two or more, values that differ between runs are not compared."""
    command: str = ""
    engine: Mapping[str, Any] = field(default_factory=dict)
    """Options for the recording engine (``store``, ``kernel_name``, ``timeout``, ...)."""


@dataclass(frozen=True, slots=True)
class Conversion:
    module: Path
    plan: ModulePlan
    pairing: Pairing | None = None
    test: Path | None = None
    expected: ExpectedDigests | None = None
    run_error: str | None = None


def code_cells(nb: Any) -> list[CellInput]:
    """The code cells, read defensively: a hand-edited notebook may have odd fields.
    Cells without an id get the one every other command names them by."""
    cells = nb.get("cells") or []
    out = []
    for index, (cell, cell_id) in enumerate(zip(cells, notebook_cell_ids(cells), strict=True)):
        if not isinstance(cell, Mapping) or cell.get("cell_type") != "code":
            continue
        metadata = cell.get("metadata")
        tags = metadata.get("tags") if isinstance(metadata, Mapping) else None
        out.append(
            CellInput(
                index,
                cell_id,
                source_text(cell.get("source")),
                tuple(t for t in tags if isinstance(t, str)) if isinstance(tags, list) else (),
            )
        )
    return out


def order_findings(notebook: Path) -> list[dict[str, Any]]:
    """The static checker's out-of-order findings for the saved notebook."""
    from ..bridge.static import check_notebook

    result = check_notebook(notebook, select=["JX102", "JX105"])
    return [dict(f) for f in result.findings]


def format_source(text: str) -> str:
    """``ruff format`` the generated code when ruff is installed; else leave it as is."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ruff", "format", "--isolated", "-"],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return text
    return done.stdout if done.returncode == 0 and done.stdout.strip() else text


def declared_types(nb: Any) -> dict[str, str] | None:
    """Parameter name -> declared type, as ``run`` and ``pipeline`` read them."""
    try:
        return {name: p.type_name for name, p in declared_parameters(nb).items()}
    except Exception:  # a reader's bug must not stop the conversion: literal types then
        return None


def module_source(notebook: Path, nb: Any) -> tuple[ModulePlan, str]:
    try:
        plan = plan_module(code_cells(nb), order_findings(notebook), declared_types(nb))
    except PlanError as exc:
        raise ConversionError(f"{notebook}: {exc}") from exc
    text = format_source(render_module(plan, notebook.name))
    try:
        compile(text, str(notebook), "exec")
    except SyntaxError as exc:
        raise ConversionError(
            f"{notebook}: the generated module does not compile ({exc.msg}, line {exc.lineno})"
        ) from exc
    return plan, text


def convert_notebook(notebook: Path, options: Options) -> Conversion:
    import nbformat

    output = options.output
    if output.suffix != ".py" or not output.stem.isidentifier():
        raise ConversionError(f"{output}: the module must be a .py file named as an identifier")
    pairing: Pairing | None = None
    if options.pair:
        from .pairing import PairingError, pair_notebook, paired_script

        if paired_script(notebook).resolve() == output.resolve():
            raise ConversionError(
                f"{output}: that is where jupytext pairs {notebook.name}: choose another "
                "module path, or --no-pair"
            )
        try:
            pairing = pair_notebook(notebook)
        except PairingError as exc:
            raise ConversionError(str(exc)) from exc
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's advice on missing ids
            nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError, nbformat.ValidationError) as exc:
        raise ConversionError(
            f"{notebook}: not a readable notebook ({_last_line(str(exc))})"
        ) from exc
    plan, text = module_source(notebook, nb)
    _write(output, text)
    if not options.record:
        return Conversion(output, plan, pairing)
    records, error = _record(notebook, nb, options)
    if error is not None:
        return Conversion(output, plan, pairing, run_error=error)
    returned = [*plan.returns, *plan.maybe_returns]
    expected = expected_digests(returned, records)
    test_path = options.test or output.with_name(f"test_{output.stem}.py")
    target = TestTarget(
        test_path=test_path,
        module_path=output,
        notebook_path=notebook,
        parameters=dict(options.parameters),
        parameters_cell=parameters_cell_index(nb),
        command=options.command,
    )
    # a name bound only on some paths is checked for when the notebook run bound it
    checked = [n for n in returned if n in plan.returns or expected.excluded.get(n) != NOT_RECORDED]
    source = render_test(target, expected, checked, testbook=options.testbook)
    _write(test_path, format_source(source))
    return Conversion(output, plan, pairing, test_path, expected)


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConversionError(f"{path}: cannot write it ({exc.strerror or exc})") from exc


def _record(notebook: Path, nb: Any, options: Options) -> tuple[list[dict[str, Any]], str | None]:
    """Run the notebook ``options.runs`` times with recording on; records, or what failed."""
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillException

    from ..bridge.lockfile import run_for_digests

    engine = dict(options.engine)
    if not engine.get("kernel_name"):
        spec = nb.metadata.get("kernelspec") or {}
        engine["kernel_name"] = spec.get("name") or "python3"
    records = []
    for _ in range(max(1, options.runs)):
        try:
            run = run_for_digests(notebook, dict(options.parameters), **engine)
        except NoSuchKernel as exc:
            raise ConversionError(f"{notebook}: no such kernel: {exc.name}") from exc
        except (PapermillException, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConversionError(f"{notebook}: cannot run it ({first})") from exc
        if run.error:
            return [], f"{notebook}: the recorded run failed ({_last_line(run.error)})"
        records.append(run.record)
    return records, None


def _last_line(text: str) -> str:
    """The line of a kernel error a person reads first (``ZeroDivisionError: ...``),
    without a closing parenthesis that would double the one this module's messages add."""
    return (last_line(text) or "a cell raised an exception").rstrip(")")
