"""``export mlflow``: recorded runs into an MLflow tracking store.

Every RUN is resolved before anything is written, so a typo in the third of five runs
does not leave the first two exported and the rest not.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, store_path


@dataclass(frozen=True)
class RunToExport:
    spec: str
    record: dict[str, Any]
    executions: list[Any]
    notebook: Path | None
    """The output notebook RUN named, attached to the MLflow run."""
    document: Any = None
    """That notebook as read: its cells give the hygiene rules their document order."""


def _from_notebook(spec: str, store: Path) -> RunToExport:
    from ..core.records import RUN_SCHEMA, ExecutionRecord
    from .run_commands import read_notebook

    path = Path(spec)
    nb = read_notebook(path)
    record = nb.metadata.get("jupyter_ext")
    if not isinstance(record, dict) or record.get("schema") != RUN_SCHEMA:
        raise UsageError(
            f"{spec}: carries no run record; write one with `jupyter-ext run NB -o OUT`"
        )
    run_id = str(record.get("run_id"))
    executions = _stored_executions(store, run_id)
    if executions is None:  # not in this store: the record's own executions (no sources)
        executions = [ExecutionRecord.from_json(run_id, e) for e in record.get("executions", [])]
    return RunToExport(spec, dict(record), executions, path.resolve(), nb)


def _stored_executions(store: Path, run_id: str) -> list[Any] | None:
    if not store.exists():
        return None
    from ..store.sqlite import RunStore

    with RunStore(store, create=False) as runs:
        if runs.get_run(run_id) is None:
            return None
        return list(runs.executions(run_id))


def _from_store(spec: str, runs: Any) -> RunToExport:
    from ..store.sqlite import RunLookupError

    try:
        run_id = runs.resolve_run_id(spec)
    except RunLookupError as exc:
        raise UsageError(str(exc)) from exc
    return RunToExport(spec, runs.run_record(run_id), list(runs.executions(run_id)), None)


def _resolve(specs: list[str], store: Path) -> list[RunToExport]:
    from .common import open_store

    found = [_from_notebook(s, store) for s in specs if s.endswith(".ipynb") or Path(s).is_file()]
    ids = [s for s in specs if not (s.endswith(".ipynb") or Path(s).is_file())]
    if ids:
        with open_store(store) as runs:
            found += [_from_store(spec, runs) for spec in ids]
    order = {spec: i for i, spec in enumerate(specs)}
    return sorted(found, key=lambda run: order[run.spec])


def cmd_export_mlflow(args: argparse.Namespace) -> int:
    from ..export.mlflow_export import ExportError, MlflowMissing, client_for, export_run
    from ..export.run_findings import run_findings
    from ..export.run_payload import build_payload

    runs = _resolve(list(args.runs), store_path(args.store))
    try:
        client = client_for(args.tracking_uri)
    except (MlflowMissing, ExportError) as exc:
        raise UsageError(str(exc)) from exc
    where = args.tracking_uri or "MLflow's default tracking URI"
    for run in runs:
        findings = run_findings(run.executions, run.document)
        payload = build_payload(run.record, findings)
        try:
            done = export_run(client, payload, experiment=args.experiment, notebook=run.notebook)
        except ExportError as exc:
            print(f"jupyter-ext: {run.spec}: MLflow refused the export: {exc}", file=sys.stderr)
            return EXIT_FAILED
        verb = "exported" if done.created else "already exported"
        print(
            f"{verb} {done.run_id} -> MLflow run {done.mlflow_run_id} "
            f"(experiment {args.experiment!r}, {where}; {len(findings)} hygiene findings)"
        )
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="export recorded runs to other tools (MLflow)",
        description="Export recorded runs to other tools.",
    )
    targets = export.add_subparsers(dest="target", metavar="TARGET")
    mlflow = targets.add_parser(
        "mlflow",
        help="log recorded runs to an MLflow tracking store",
        description="Log each RUN (a run id, a unique prefix, 'latest', or an output notebook "
        "written by `jupyter-ext run -o`/`sweep`, which is then attached) to MLflow: notebook "
        "parameters as params; the environment as artifacts (requirements.txt, "
        "environment.json); the run record, final variable digests and hygiene findings as "
        "artifacts and tags (jupyter_ext.*); git commit and branch in MLflow's source tags. "
        "A run exported before is not duplicated. Needs jupyter-ext[mlflow].",
    )
    mlflow.add_argument("runs", nargs="+", metavar="RUN")
    mlflow.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI, e.g. sqlite:///mlflow.db or http://host:5000 "
        "(default: $MLFLOW_TRACKING_URI, else MLflow's default)",
    )
    mlflow.add_argument(
        "--experiment",
        default="jupyter-ext",
        metavar="NAME",
        help="MLflow experiment (created if missing; default jupyter-ext)",
    )
    add_store_option(mlflow)
    mlflow.set_defaults(func=cmd_export_mlflow)
    export.set_defaults(func=lambda args: _no_target(export))


def _no_target(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2
