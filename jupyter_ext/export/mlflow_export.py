"""Log a recorded run to an MLflow tracking store (``jupyter-ext export mlflow``).

One MLflow run per recorded run, tagged ``jupyter_ext.run_id``: exporting the same run
again finds that tag and does not create a duplicate. An export that fails half-way
deletes the MLflow run it created, so the tracker never shows a run with half its
artifacts as if it were complete.

MLflow is an optional dependency (``jupyter-ext[mlflow]``) and is imported only here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .run_payload import TAG_PREFIX, RunPayload

DEFAULT_EXPERIMENT = "jupyter-ext"


class MlflowMissing(Exception):
    """MLflow is not installed."""


class ExportError(Exception):
    """The tracking store refused the export; the message is one line."""


@dataclass(frozen=True)
class Exported:
    run_id: str
    mlflow_run_id: str
    experiment_id: str
    created: bool
    """False when the run had been exported before (nothing was written)."""


def client_for(tracking_uri: str | None) -> Any:
    import logging

    try:
        from mlflow.tracking import MlflowClient
    except ImportError as exc:
        raise MlflowMissing('MLflow is not installed: pip install "jupyter-ext[mlflow]"') from exc
    # MLflow and alembic announce database set-up at INFO; the export prints its own line.
    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        client = MlflowClient(tracking_uri=tracking_uri)
        client.search_experiments(max_results=1)  # fails here, not half-way, if unusable
    except Exception as exc:
        raise ExportError(_store_problem(tracking_uri, exc)) from exc
    return client


def _store_problem(tracking_uri: str | None, exc: BaseException) -> str:
    where = tracking_uri or "the default tracking URI"
    text = str(exc)
    if "MLFLOW_ALLOW_FILE_STORE" in text:
        return (
            f"{where}: this MLflow version refuses file: stores unless "
            "MLFLOW_ALLOW_FILE_STORE=true is set; or use --tracking-uri sqlite:///mlflow.db"
        )
    return f"{where}: cannot open the MLflow tracking store ({_one_line(exc)})"


def export_run(
    client: Any,
    payload: RunPayload,
    *,
    experiment: str = DEFAULT_EXPERIMENT,
    notebook: Path | None = None,
) -> Exported:
    """Create the MLflow run for ``payload`` (or find the one made before)."""
    from mlflow.entities import Param, RunTag
    from mlflow.exceptions import MlflowException

    run_id = payload.tags[f"{TAG_PREFIX}.run_id"]
    try:
        experiment_id = _experiment_id(client, experiment)
        existing = client.search_runs(
            [experiment_id], filter_string=f"tags.`{TAG_PREFIX}.run_id` = '{run_id}'"
        )
        if existing:
            return Exported(run_id, existing[0].info.run_id, experiment_id, created=False)
        run = client.create_run(
            experiment_id, start_time=payload.start_ms, tags=payload.tags, run_name=payload.run_name
        )
    except MlflowException as exc:
        raise ExportError(_one_line(exc)) from exc
    mlflow_id = run.info.run_id
    try:
        client.log_batch(
            mlflow_id, params=[Param(key, value) for key, value in payload.params.items()]
        )
        with tempfile.TemporaryDirectory(prefix="jupyter-ext-mlflow-") as scratch:
            folder = Path(scratch) / "jupyter_ext"
            folder.mkdir()
            for name, text in payload.artifacts.items():
                (folder / name).write_text(text, encoding="utf-8")
            client.log_artifacts(mlflow_id, str(folder), artifact_path="jupyter_ext")
        if notebook is not None and notebook.is_file():
            client.log_artifact(mlflow_id, str(notebook), artifact_path="notebook")
            client.log_batch(mlflow_id, tags=[RunTag(f"{TAG_PREFIX}.output", str(notebook))])
        client.set_terminated(mlflow_id, status=payload.status, end_time=payload.end_ms)
    except Exception as exc:
        _discard(client, mlflow_id)
        raise ExportError(_one_line(exc)) from exc
    return Exported(run_id, mlflow_id, experiment_id, created=True)


def _experiment_id(client: Any, name: str) -> str:
    found = client.get_experiment_by_name(name)
    if found is not None:
        if getattr(found, "lifecycle_stage", "active") == "deleted":
            raise ExportError(
                f"MLflow experiment {name!r} is deleted; restore it or pick another --experiment"
            )
        return str(found.experiment_id)
    return str(client.create_experiment(name))


def _discard(client: Any, mlflow_id: str) -> None:
    try:
        client.delete_run(mlflow_id)
    except Exception:  # the store is failing already; the caller reports the first error
        return


def _one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", None) or exc).strip()
    first = text.split(". ")[0].splitlines()[0] if text else type(exc).__name__
    return first[:300]
