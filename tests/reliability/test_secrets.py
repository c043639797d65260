"""Secrets planted in the environment or typed into cells never reach anything
jupyter-ext writes or sends.

Canary values are planted where real credentials live: environment variables with
secret-looking names (``AWS_SECRET_ACCESS_KEY``, ``GITHUB_TOKEN``, ``MY_API_KEY``, a
``DATABASE_URL`` with a password, a proxy URL with credentials), token-shaped values
under innocent names (one of them on the recorder's own allow-list), the Jupyter
server's token (``JUPYTER_TOKEN``), the kernel's connection key, and a git remote with
credentials. A notebook then reads them into variables (as user code does), through
``jupyter-ext run`` and in a real kernel whose panel comm asks for everything it can
(state, graph, lineage, variables, timeline, run, history). Every byte written or sent
is scanned: the SQLite store with its WAL and shared memory, the output notebook, the
run record, ``runs``/``show`` output, the MLflow run it is exported to (database and
artifacts), every comm message, ``%track``/``%hygiene``/``%lineage`` output. Leaks: 0.

Further canaries are typed into the cells themselves (``api_key = '...'``,
``password = '...'``, a password in a connection URL, each known key shape, a PEM
private key and a ``!curl https://user:...@host`` line). The notebook's own cells hold
them, of course, so notebooks are scanned with their cell sources left out: everything
else (their ``metadata.jupyter_ext`` included) must be free of them.
A positive control proves the scanner finds a canary where one is.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from tests.integration.kernels import Kernel

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


def _token(prefix: str, n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def make_canaries() -> dict[str, str]:
    tag = uuid.uuid4().hex[:12]
    return {
        "AWS_SECRET_ACCESS_KEY": f"canary{tag}aws",
        "AWS_ACCESS_KEY_ID": _token("AKIA", 16, string.ascii_uppercase + string.digits),
        "GITHUB_TOKEN": f"canary{tag}github",
        "MY_API_KEY": f"canary{tag}apikey",
        "DB_PASSWORD": f"canary{tag}dbpw",
        "DATABASE_URL": f"postgres://analyst:canary{tag}dburl@db.internal:5432/prod",
        "HTTPS_PROXY": f"http://proxyuser:canary{tag}proxy@proxy.internal:3128",
        "JUPYTER_TOKEN": f"canary{tag}jupytertoken",
        # token-shaped values under names that say nothing
        "BUILD_LABEL": _token("ghp_", 36),
        "NOTE_FIELD": _token("", 44),
        # on the recorder's allow-list, but the value is a credential
        "CONDA_DEFAULT_ENV": _token("sk-", 40),
    }


NOTEBOOK_CELLS = [
    "import os\nfrom ipykernel import get_connection_info\n"
    "conn = get_connection_info(unpack=True)\n"
    "with open('kernel_key.txt', 'w') as fh:\n    fh.write(str(conn['key']))",
    "found = {k: v for k, v in os.environ.items() if k in CANARY_NAMES}\ncount = len(found)",
    "token = os.environ['GITHUB_TOKEN']\nurl = os.environ['DATABASE_URL']\n"
    "print('token length', len(token))",
    "def reverse(t):\n    return t[::-1]\nbackwards = reverse(token)\nfound['extra'] = backwards",
    "server_token = os.environ.get('JUPYTER_TOKEN')\nproxy = os.environ['HTTPS_PROXY']\n"
    "print(count, server_token is not None)",
]


def notebook_cells(canaries: dict[str, str]) -> list[str]:
    return [f"CANARY_NAMES = {sorted(canaries)!r}", *NOTEBOOK_CELLS]


def make_source_canaries() -> dict[str, str]:
    """Secrets a user types into cells: one per form the redactor knows."""
    tag = uuid.uuid4().hex[:12]
    urlsafe = string.ascii_letters + string.digits + "_-"
    return {
        "api_key literal": f"canary{tag}key1",
        "password literal": f"canary{tag}pw1",
        "password in a URL": f"canary{tag}url1",
        "AWS access key id": _token("AKIA", 16, string.ascii_uppercase + string.digits),
        "sk- key": _token("sk-proj-", 40),
        "GitHub token": _token("ghp_", 36),
        "Slack token": _token("xoxb-", 40),
        "JWT": f"eyJ{_token('', 30, urlsafe)}.eyJ{_token('', 40, urlsafe)}.{_token('', 43)}",
        "PEM private key": _token("", 64, string.ascii_letters + string.digits + "+/"),
        "password on a !curl line": f"canary{tag}curl1",
    }


def source_cells(c: dict[str, str]) -> list[str]:
    """Cells that hold the source canaries as literals, and use them."""
    return [
        f"api_key = '{c['api_key literal']}'",
        f"password = '{c['password literal']}'",
        f"conn = 'postgresql://analyst:{c['password in a URL']}@db.internal:5432/prod'",
        f"aws_id = '{c['AWS access key id']}'\nopenai = '{c['sk- key']}'\n"
        f"gh = '{c['GitHub token']}'\nslack = '{c['Slack token']}'\njwt = '{c['JWT']}'",
        'pem = """-----BEGIN RSA PRIVATE KEY-----\n'
        + c["PEM private key"]
        + '\n-----END RSA PRIVATE KEY-----\n"""',
        f"!curl -s --max-time 2 https://analyst:{c['password on a !curl line']}@127.0.0.1:9/",
        "lengths = [len(api_key), len(password), len(conn), len(pem), len(jwt)]\n"
        "print(sum(lengths) > 0)",
    ]


def without_cell_sources(blobs: dict[str, bytes]) -> dict[str, bytes]:
    """``blobs`` with every notebook's cell sources blanked (they are the user's own
    text); the rest of each notebook, its metadata included, is kept for scanning."""
    out = {}
    for label, data in blobs.items():
        if label.endswith(".ipynb"):
            nb = json.loads(data)
            for cell in nb.get("cells", []):
                cell["source"] = ""
            data = json.dumps(nb).encode()
        out[label] = data
    return out


def git_repo_with_credentials(where: Path, canary: str) -> None:
    for args in (
        ["init", "-q"],
        ["remote", "add", "origin", f"https://deploy:{canary}@git.example.com/team/repo.git"],
    ):
        subprocess.run(["git", *args], cwd=where, check=True, capture_output=True)


def leaks(canaries: dict[str, str], blobs: dict[str, bytes]) -> list[str]:
    """Which canary (by its variable name) appears in which blob, if any."""
    found = []
    for label, data in blobs.items():
        for name, value in canaries.items():
            if value.encode() in data or value[::-1].encode() in data:
                found.append(f"{name} in {label}")
    return found


def written_files(*roots: Path, since: float = 0.0) -> dict[str, bytes]:
    """Every file under ``roots`` written at or after ``since``, except the one the
    notebook writes itself to tell us the kernel's key and git's own (the planted
    remote lives there)."""
    blobs = {}
    for root in roots:
        for path in root.rglob("*"):
            if (
                path.is_file()
                and path.name != "kernel_key.txt"
                and ".git" not in path.relative_to(root).parts
                and path.stat().st_mtime >= since
            ):
                blobs[str(path)] = path.read_bytes()
    return blobs


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jupyter_ext.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def child_env(canaries: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ, **canaries)
    env.pop("JUPYTER_EXT_DISABLE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def test_scanner_finds_a_planted_canary() -> None:
    canaries = make_canaries()
    blob = json.dumps({"x": canaries["GITHUB_TOKEN"]}).encode()
    assert leaks(canaries, {"control": blob}) == ["GITHUB_TOKEN in control"]


def test_headless_run_leaks_no_secret(tmp_path: Path) -> None:
    canaries = make_canaries()
    work, store_dir = tmp_path / "work", tmp_path / "store"
    work.mkdir()
    git_repo_with_credentials(work, canaries["GITHUB_TOKEN"])
    typed = make_source_canaries()
    nb = nbformat.v4.new_notebook()
    cells = notebook_cells(canaries) + source_cells(typed)
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, work / "secrets.ipynb")
    env = child_env(canaries)
    store = store_dir / "runs.sqlite"
    started = time.time() - 1  # file times may be coarse
    args = ["run", "secrets.ipynb", "-o", "out.ipynb", "--store", str(store), "--json"]
    run = cli(args, env, work)
    assert run.returncode == 0, run.stderr
    record = json.loads(run.stdout)
    assert len(record["executions"]) == len(nb.cells)
    key = (work / "kernel_key.txt").read_text()
    assert len(key) >= 16
    canaries["kernel connection key"] = key
    runs = cli(["runs", "--json", "--store", str(store)], env, work)
    show = cli(["show", "latest", "--json", "--source", "--store", str(store)], env, work)
    assert runs.returncode == show.returncode == 0, runs.stderr + show.stderr
    out = nbformat.read(work / "out.ipynb", as_version=4)
    assert out.metadata["jupyter_ext"]["run_id"] == record["run_id"]
    # The paths that could leak were taken: the allow-listed variable and the git remote
    # are in the record, cleaned.
    assert record["environment"]["env"]["CONDA_DEFAULT_ENV"] == "<redacted>"
    assert record["environment"]["git"]["remote"] == "https://git.example.com/team/repo.git"

    # Exported to MLflow, output notebook attached: the database and artifacts too.
    tracking = f"sqlite:///{store_dir / 'mlflow.db'}"
    export = cli(["export", "mlflow", "out.ipynb", "--tracking-uri", tracking,
                  "--store", str(store)], env, work)  # fmt: skip
    assert export.returncode == 0, export.stderr[-3000:]

    blobs = written_files(work, store_dir, since=started)
    assert str(store) in blobs and any(p.endswith("out.ipynb") for p in blobs)
    exported = [p for p in blobs if "mlflow" in p or "mlruns" in p]
    assert any(p.endswith("mlflow.db") for p in exported)
    assert any(p.endswith("out.ipynb") and "mlruns" in p for p in exported), exported
    blobs |= {
        "run stdout": run.stdout.encode(),
        "run stderr": run.stderr.encode(),
        "runs --json": runs.stdout.encode(),
        "show --json --source": show.stdout.encode(),
        "export mlflow": (export.stdout + export.stderr).encode(),
    }
    # The typed secrets were recorded, redacted: the stored sources say where they were.
    shown = json.loads(show.stdout)["executions"]
    assert shown[len(notebook_cells(canaries))]["source"] == "api_key = '<redacted>'"
    assert out.metadata["jupyter_ext"]["executions"], "the output notebook has its record"
    assert leaks(canaries, blobs) == []
    assert leaks(typed, without_cell_sources(blobs)) == []
    print(
        f"\nheadless: {len(canaries) + len(typed)} canaries, {len(blobs)} blobs, "
        f"{sum(map(len, blobs.values()))} bytes scanned, 0 leaks"
    )


def test_kernel_and_panel_leak_no_secret(tmp_path: Path) -> None:
    canaries = make_canaries()
    work, store_dir = tmp_path / "work", tmp_path / "store"
    work.mkdir()
    git_repo_with_credentials(work, canaries["DB_PASSWORD"])
    store = store_dir / "runs.sqlite"
    typed = make_source_canaries()
    cells = notebook_cells(canaries) + source_cells(typed)
    outputs: list[str] = []
    with Kernel(extension=True, store=store, cwd=work, env=child_env(canaries)) as kernel:
        canaries["kernel connection key"] = kernel.km.session.key.decode()
        comm = kernel.open_comm("jupyter_ext", {"protocol": 1})
        kernel.wait_comm(comm, lambda d: d.get("type") == "hello")
        snapshot = {
            "type": "notebook",
            "seq": 1,
            "path": str(work / "secrets.ipynb"),
            "cells": [
                {"id": f"c{i}", "cell_type": "code", "source": code} for i, code in enumerate(cells)
            ],
        }
        kernel.send_comm(comm, snapshot)
        for i, code in enumerate(cells):
            execution = kernel.execute(code, cell_id=f"c{i}")
            assert execution.ok, execution.errors
            outputs += [execution.stdout, execution.stderr, json.dumps(execution.results)]
        for magic in ("%track --json", "%hygiene --json", "%lineage token --json"):
            execution = kernel.execute(magic)
            outputs += [execution.stdout, execution.stderr]
        assert json.loads(outputs[-6])["recording"] is True
        requests = [
            {"what": "graph"},
            {"what": "lineage", "name": "token"},
            {"what": "lineage", "name": "found"},
            {"what": "variables"},
            {"what": "timeline"},
            {"what": "run"},
            {"what": "history", "limit": 10},
        ]
        for n, request in enumerate(requests):
            kernel.send_comm(comm, {"type": "request", "request_id": f"r{n}", **request})
            answer = kernel.wait_comm(
                comm, lambda d, n=n: d.get("type") == "response" and d.get("request_id") == f"r{n}"
            )
            assert answer["error"] is None, (request, answer["error"])
        variables = next(
            m["content"]["data"]["variables"]
            for m in kernel.comm_inbox
            if m["content"].get("data", {}).get("request_id") == "r3"
        )
        assert {"token", "found", "conn", "url"} <= {v["name"] for v in variables}
        flushed = kernel.execute(
            "from jupyter_ext.capture import extension\nprint(extension.flush(get_ipython(), 30))"
        )
        assert flushed.stdout.strip() == "True"
        # Read the store while the kernel still holds it open: the WAL is not yet folded.
        blobs = written_files(store_dir)
    blobs |= written_files(store_dir)
    assert any(name.endswith("-wal") for name in blobs)
    comm_messages = [json.dumps(m["content"]) for m in kernel.comm_inbox]
    assert any('"type": "state"' in m for m in comm_messages)
    blobs |= {f"comm message {i}": m.encode() for i, m in enumerate(comm_messages)}
    blobs |= {f"cell output {i}": o.encode() for i, o in enumerate(outputs)}
    assert leaks(canaries, blobs) == []
    assert leaks(typed, blobs) == []
    print(
        f"\nkernel and panel: {len(canaries) + len(typed)} canaries, {len(blobs)} blobs, "
        f"{sum(map(len, blobs.values()))} bytes scanned, 0 leaks"
    )
