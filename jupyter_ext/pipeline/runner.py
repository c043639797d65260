"""``pipeline run``: each step in dependency order, run or skipped with its reason.

Everything that can be wrong with the input is found before the first kernel starts:
an unreadable spec or notebook, a parameter the notebook does not declare or a value
that does not convert, an input file that neither exists nor comes from a step. Then the
steps go in order; a step whose inputs come from an upstream step is judged after that
step ran, on the files it actually left, so an upstream rerun that writes the same bytes
does not rerun its dependants.

A failing step stops the steps that depend on it (they are reported as not run);
independent steps still run, and every step that finished keeps its new state. The path
where nothing has to run reads notebooks and digests files only: papermill and nbclient
are imported by :func:`~jupyter_ext.pipeline.execute.run_recorded`, on the first step
that runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bridge.params import ParameterError
from ..capture.distributions import installed_versions
from .execute import run_recorded
from .fingerprint import (
    Fingerprint,
    code_digest,
    digests,
    environment_digest,
)
from .lineage import has_file_lineage, step_files
from .plan import Decision, decide
from .spec import Pipeline, SpecError, Step
from .state import PipelineState, StepState, load_state, save_state, state_path
from .typed_params import check_parameters, read_notebook_json

Echo = Callable[[str], None]


@dataclass(frozen=True)
class StepReport:
    """What happened to one step: ``ran``, ``skipped``, ``failed``, ``blocked`` or, with
    ``--dry-run``, ``would run`` / ``would skip`` / ``may run``."""

    name: str
    status: str
    detail: str


@dataclass(frozen=True)
class _Prepared:
    step: Step
    parameters: dict[str, Any]
    code: str


@dataclass(frozen=True)
class RunOptions:
    store: Path
    force: bool = False
    only: frozenset[str] = frozenset()
    dry_run: bool = False
    timeout: float | None = None
    progress: bool = True


def run_pipeline(pipeline: Pipeline, options: RunOptions, echo: Echo) -> list[StepReport]:
    """Run what is out of date; raises :class:`SpecError` for input problems, before any run."""
    selected = _selected(pipeline, options.only)
    prepared = [_prepare(pipeline, step) for step in selected]
    _check_inputs(pipeline, selected)
    path = state_path(pipeline.path)
    state = load_state(path)
    packages = installed_versions()
    environment = environment_digest(packages)
    state.environments[environment] = packages
    reports: list[StepReport] = []
    failed: set[str] = set()
    will_run: set[str] = set()
    for item in prepared:
        step = item.step
        stopped = sorted(pipeline.upstream[step.name] & failed)
        if stopped:
            failed.add(step.name)
            reports.append(_report(echo, step.name, "blocked", f"upstream {stopped[0]!r} failed"))
            continue
        current = Fingerprint(
            item.code, item.parameters, environment, digests(step.inputs, pipeline.relative)
        )
        outputs_now = digests(step.outputs, pipeline.relative)
        decision = decide(
            current,
            state.steps.get(step.name),
            outputs_now,
            environments=state.environments,
            packages_now=packages,
            force=options.force,
        )
        if options.dry_run:
            reports.append(_dry(echo, pipeline, step, decision, state, will_run))
            if decision.run:
                will_run.add(step.name)
            continue
        if not decision.run:
            reports.append(_report(echo, step.name, "skipped", _since(state.steps[step.name])))
            continue
        report = _run_step(pipeline, item, current, decision, state, options, echo)
        reports.append(report)
        if report.status == "failed":
            failed.add(step.name)
            state.failures[step.name] = {"at": time.time(), "error": report.detail}
        else:
            state.failures.pop(step.name, None)
        save_state(path, state)
    return reports


def _selected(pipeline: Pipeline, only: frozenset[str]) -> list[Step]:
    for name in sorted(only):
        pipeline.step(name)  # unknown names are an error
    return [s for s in pipeline.steps if not only or s.name in only]


def _prepare(pipeline: Pipeline, step: Step) -> _Prepared:
    where = f"{pipeline.path}: step {step.name!r}"
    if not step.notebook.is_file():
        raise SpecError(f"{where}: notebook {pipeline.relative(step.notebook)} does not exist")
    try:
        nb = read_notebook_json(step.notebook)
        label = pipeline.relative(step.notebook)
        parameters = check_parameters(nb, step.parameters, label=label)
    except ParameterError as exc:
        raise SpecError(f"{where}: {exc}") from None
    return _Prepared(step, parameters, code_digest(nb))


def _check_inputs(pipeline: Pipeline, selected: list[Step]) -> None:
    """Every input exists or comes from a selected step that runs before it."""
    names = {s.name for s in selected}
    for step in selected:
        for path in step.inputs:
            if path.exists():
                continue
            producer = pipeline.producer(path)
            shown = pipeline.relative(path)
            if producer is None:
                raise SpecError(
                    f"{pipeline.path}: step {step.name!r} reads {shown}, which does not exist "
                    "and no step writes it"
                )
            if producer not in names:
                raise SpecError(
                    f"{pipeline.path}: step {step.name!r} reads {shown}, which does not exist; "
                    f"step {producer!r} writes it: run that step too"
                )


def _report(echo: Echo, name: str, status: str, detail: str) -> StepReport:
    echo(f"{name}: {status} ({detail})")
    return StepReport(name, status, detail)


def _since(last: StepState) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(last.finished_at))
    return f"unchanged since run {last.run_id} at {when}"


def _reason(decision: Decision) -> str:
    return "reason: " + "; ".join(decision.reasons)


def _dry(
    echo: Echo,
    pipeline: Pipeline,
    step: Step,
    decision: Decision,
    state: PipelineState,
    will_run: set[str],
) -> StepReport:
    if decision.run:
        return _report(echo, step.name, "would run", _reason(decision))
    upstream = sorted(pipeline.upstream[step.name] & will_run)
    if upstream:
        detail = f"upstream {upstream[0]!r} runs first; it reruns if its outputs change"
        return _report(echo, step.name, "may run", detail)
    return _report(echo, step.name, "would skip", _since(state.steps[step.name]))


def _run_step(
    pipeline: Pipeline,
    item: _Prepared,
    current: Fingerprint,
    decision: Decision,
    state: PipelineState,
    options: RunOptions,
    echo: Echo,
) -> StepReport:
    step = item.step
    echo(f"{step.name}: running ({_reason(decision)})")
    pipeline.output_dir.mkdir(parents=True, exist_ok=True)
    output = pipeline.output_dir / f"{step.name}.ipynb"
    started = time.perf_counter()
    run = run_recorded(
        step.notebook,
        name=step.name,
        progress=options.progress,
        output=output,
        parameters=item.parameters,
        kernel_name=step.kernel,
        timeout=options.timeout,
        store=options.store,
        cwd=step.notebook.parent,
    )
    took = f"{time.perf_counter() - started:.1f} s"
    run_id = run.run_id or "-"
    if run.error is not None:
        return _report(echo, step.name, "failed", f"{run.error}; run {run_id}, see {output}")
    outputs = digests(step.outputs, pipeline.relative)
    missing = sorted(p for p, d in outputs.items() if d is None)
    if missing:
        detail = f"finished but did not write {', '.join(missing)}; run {run_id}"
        return _report(echo, step.name, "failed", detail)
    state.steps[step.name] = StepState(current, run_id, time.time(), outputs, str(output))
    _lineage_notes(pipeline, step, run.record, echo)
    return _report(echo, step.name, "ran", f"{_reason(decision)}; {took}, run {run_id}")


def _lineage_notes(
    pipeline: Pipeline, step: Step, record: dict[str, Any] | None, echo: Echo
) -> None:
    """Say which files the run used that the spec does not list (dependencies it misses)."""
    if record is None or not has_file_lineage(record):
        return
    files = step_files(record, pipeline.root, ignore=[pipeline.path, state_path(pipeline.path)])
    declared_out = {pipeline.relative(p) for p in step.outputs}
    declared_in = {pipeline.relative(p) for p in step.inputs}
    for path in files.outputs:
        if path not in declared_out:
            echo(f"  note: {step.name} wrote {path}, which is not among its outputs in the spec")
    for path in files.inputs:
        if path not in declared_in and path not in declared_out:
            echo(f"  note: {step.name} read {path}, which is not among its inputs in the spec")
