"""``jupyter-ext export mlflow`` of a real recorded run into a local SQLite MLflow store.

The run is recorded the way a user records one (``jupyter-ext run NB -p ... -o OUT`` in a
git repository); the export is the CLI; what MLflow holds is read back with MLflow's own
client.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from mlflow.tracking import MlflowClient
from nbformat.v4 import new_code_cell, new_notebook

from .commands import jupyter_ext as jx

pytestmark = pytest.mark.integration

CANARY = "sk-canary-3f9a1b7c5d2e8f40"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


@pytest.fixture
def recorded(tmp_path: Path) -> dict[str, Any]:
    """A run of a small notebook with a parameter, in a git repository, recorded."""
    nb = new_notebook(
        cells=[
            new_code_cell("n = 1"),
            new_code_cell("x = list(range(n))"),
            new_code_cell("size = len(x)"),
            new_code_cell("x.append(99)  # changes x after `size` read it: stale"),
        ]
    )
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, tmp_path / "analysis.ipynb")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "analysis.ipynb")
    git(tmp_path, "commit", "-q", "-m", "notebook")
    done = jx(
        "run", "analysis.ipynb", "-p", "n", "3", "-o", "out.ipynb", "--json",
        cwd=tmp_path, extra_env={"MY_API_TOKEN": CANARY, "OPENAI_API_KEY": CANARY},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    return {"dir": tmp_path, "record": record, "commit": git(tmp_path, "rev-parse", "HEAD")}


def artifact_texts(client: MlflowClient, run_id: str, folder: Path) -> dict[str, str]:
    local = Path(client.download_artifacts(run_id, "", str(folder)))
    return {
        str(p.relative_to(local)): p.read_text(encoding="utf-8")
        for p in local.rglob("*")
        if p.is_file()
    }


def test_export_logs_params_tags_and_artifacts(recorded: dict[str, Any]) -> None:
    tmp, record = recorded["dir"], recorded["record"]
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    done = jx("export", "mlflow", record["run_id"][:14], "--tracking-uri", uri,
              "--experiment", "nightly", cwd=tmp)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"exported {record['run_id']} -> MLflow run ")
    assert "1 hygiene findings" in done.stdout

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("nightly")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.data.params == {"n": "3"}
    tags = run.data.tags
    assert tags["mlflow.source.git.commit"] == recorded["commit"]
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.name"] == str(tmp / "analysis.ipynb")
    assert tags["mlflow.runName"] == f"analysis {record['run_id']}"
    assert tags["jupyter_ext.run_id"] == record["run_id"]
    assert tags["jupyter_ext.findings.stale"] == "1"
    assert tags["jupyter_ext.findings.total"] == "1"
    assert tags["jupyter_ext.executions"] == str(len(record["executions"]))
    assert tags["jupyter_ext.digests.names"] == "3"  # n, x, size
    assert run.info.status == "FINISHED"
    assert run.info.start_time == int(record["started_at"] * 1000)
    assert run.info.end_time >= run.info.start_time

    files = artifact_texts(client, run.info.run_id, tmp / "downloaded")
    assert sorted(files) == [
        "jupyter_ext/digests.json", "jupyter_ext/environment.json", "jupyter_ext/findings.json",
        "jupyter_ext/requirements.txt", "jupyter_ext/run.json",
    ]  # fmt: skip
    requirements = files["jupyter_ext/requirements.txt"].splitlines()
    assert any(line.startswith("nbformat==") for line in requirements)
    assert json.loads(files["jupyter_ext/environment.json"]) == record["environment"]
    digests = json.loads(files["jupyter_ext/digests.json"])["final"]
    last_x = [v for e in record["executions"] for v in e["variables"] if v["name"] == "x"][-1]
    assert digests["x"]["digest"] == last_x["digest"] and digests["x"]["type"] == "list"
    findings = json.loads(files["jupyter_ext/findings.json"])
    assert [(f["kind"], f["names"]) for f in findings] == [("stale", ["x"])]
    # nothing secret crossed over: not in tags, params or any artifact
    everything = json.dumps([tags, run.data.params, files])
    assert CANARY not in everything and "MY_API_TOKEN" not in everything


def test_exporting_the_output_notebook_attaches_it_and_never_duplicates(
    recorded: dict[str, Any],
) -> None:
    tmp, record = recorded["dir"], recorded["record"]
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    first = jx("export", "mlflow", "out.ipynb", "--tracking-uri", uri, cwd=tmp)
    assert first.returncode == 0, first.stderr
    again = jx("export", "mlflow", "latest", "--tracking-uri", uri, cwd=tmp)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"already exported {record['run_id']}")

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("jupyter-ext").experiment_id])
    assert len(runs) == 1
    files = artifact_texts(client, runs[0].info.run_id, tmp / "downloaded")
    attached = nbformat.reads(files["notebook/out.ipynb"], as_version=4)
    assert attached.metadata["jupyter_ext"]["run_id"] == record["run_id"]
    assert runs[0].data.tags["jupyter_ext.output"] == str(tmp / "out.ipynb")


def test_an_export_that_fails_midway_leaves_no_half_run(recorded: dict[str, Any]) -> None:
    """The MLflow run is created, then its artifacts cannot be stored (the experiment's
    artifact folder lies under a plain file): the run is deleted again, so MLflow never
    shows a run without its notebook and environment, and the command says why."""
    tmp, record = recorded["dir"], recorded["record"]
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    (tmp / "blocker").write_text("a file, not a folder")
    client = MlflowClient(tracking_uri=uri)
    unwritable = str(tmp / "blocker" / "art")
    experiment_id = client.create_experiment("broken", artifact_location=unwritable)
    done = jx("export", "mlflow", record["run_id"][:14], "--tracking-uri", uri,
              "--experiment", "broken", cwd=tmp)  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0
    assert client.search_runs([experiment_id]) == []  # nothing active left behind
    again = jx("export", "mlflow", record["run_id"][:14], "--tracking-uri", uri,
               "--experiment", "nightly", cwd=tmp)  # fmt: skip
    assert again.returncode == 0 and "exported" in again.stdout  # nothing stuck


def test_bad_input_is_one_line_and_exit_2(recorded: dict[str, Any]) -> None:
    tmp = recorded["dir"]
    uri = f"sqlite:///{tmp / 'mlflow.db'}"
    unknown = jx("export", "mlflow", "latest", "zzzz", "--tracking-uri", uri, cwd=tmp)
    assert unknown.returncode == 2
    assert unknown.stderr.strip().splitlines() == [
        f"jupyter-ext: no run id starts with 'zzzz' in the store at {tmp / 'runs.sqlite'}"
    ]
    assert not (tmp / "mlflow.db").exists()  # nothing exported when one RUN is wrong
    (tmp / "plain.ipynb").write_text(nbformat.writes(new_notebook()))
    plain = jx("export", "mlflow", "plain.ipynb", "--tracking-uri", uri, cwd=tmp)
    assert plain.returncode == 2 and "plain.ipynb: carries no run record" in plain.stderr
    filestore = jx("export", "mlflow", "latest", "--tracking-uri", f"file://{tmp / 'mlruns'}",
                   cwd=tmp, extra_env={"MLFLOW_ALLOW_FILE_STORE": ""})  # fmt: skip
    assert filestore.returncode == 2 and len(filestore.stderr.strip().splitlines()) == 1
    assert "sqlite:///mlflow.db" in filestore.stderr
    assert "Traceback" not in unknown.stderr + plain.stderr + filestore.stderr


def test_a_file_that_is_not_a_notebook_is_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "null.ipynb").write_text("null")
    done = jx("export", "mlflow", "null.ipynb", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "jupyter-ext: null.ipynb: not a readable notebook "
        "(not a notebook: the JSON is null, not an object)"
    ]


def test_without_mlflow_installed_the_user_is_told_what_to_install(
    recorded: dict[str, Any],
) -> None:
    # an interpreter where ``import mlflow`` fails, as it does without the extra
    code = (
        "import sys; sys.modules['mlflow'] = None; sys.modules['mlflow.tracking'] = None; "
        "from jupyter_ext.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    tmp = recorded["dir"]
    env = dict(os.environ, JUPYTER_EXT_STORE=str(tmp / "runs.sqlite"))
    done = subprocess.run(
        [sys.executable, "-c", code, "export", "mlflow", "latest"],
        capture_output=True, text=True, env=env, cwd=tmp, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == (
        'jupyter-ext: MLflow is not installed: pip install "jupyter-ext[mlflow]"'
    )


# -- the record-to-MLflow mapping, pure (no kernel, no MLflow) --------------------------------


def test_payload_maps_a_record_without_adding_anything() -> None:
    from jupyter_ext.export.run_payload import build_payload

    record = {
        "schema": "jupyter_ext.run/1",
        "run_id": "r1",
        "started_at": 100.0,
        "ended_at": None,
        "notebook": {"path": "/w/train.ipynb", "content_hash": "h"},
        "kernel": "ipykernel 7",
        "parameters": {"lr": 0.1, "name": "x", "layers": [1, 2]},
        "environment": {
            "packages": {"Zeta": "1", "alpha": "2"},
            "git": {"commit": "abc", "branch": None, "dirty": True, "remote": None},
        },
        "executions": [
            {"seq": 1, "cell_id": "a", "status": "ok", "start": 100.0, "duration": 1.0,
             "variables": [{"name": "x", "type": "int", "digest": "d1"},
                           {"name": "tmp", "type": "int", "digest": "d9"}]},
            {"seq": 2, "cell_id": "b", "status": "error", "error_type": "KeyError",
             "start": 101.0, "duration": 0.5,
             "variables": [{"name": "x", "type": "int", "digest": "d2", "mutated": True},
                           {"name": "tmp", "type": "int", "digest": None, "deleted": True}]},
        ],
    }  # fmt: skip
    findings = [{"kind": "stale"}, {"kind": "stale"}, {"kind": "edited"}]
    payload = build_payload(record, findings)
    assert payload.params == {"lr": "0.1", "name": "x", "layers": "[1, 2]"}
    assert payload.status == "FAILED"
    assert (payload.start_ms, payload.end_ms) == (100_000, 101_500)  # no end: last execution's
    assert payload.run_name == "train r1"
    tags = payload.tags
    assert tags["mlflow.source.git.commit"] == "abc"
    assert "mlflow.source.git.branch" not in tags  # detached: no branch, not "None"
    assert tags["jupyter_ext.git.dirty"] == "true"
    assert tags["jupyter_ext.findings.stale"] == "2"
    assert tags["jupyter_ext.findings.edited"] == "1"
    assert tags["jupyter_ext.findings.total"] == "3"
    assert tags["jupyter_ext.error_types"] == "KeyError"
    assert payload.artifacts["requirements.txt"] == "alpha==2\nZeta==1\n"
    final = json.loads(payload.artifacts["digests.json"])["final"]
    assert final == {"x": {"digest": "d2", "type": "int", "seq": 2, "cell_id": "b"}}
    # the combined state digest depends on the final digests only
    same = build_payload({**record, "run_id": "r2"}, [])
    assert same.tags["jupyter_ext.digests.state"] == tags["jupyter_ext.digests.state"]
