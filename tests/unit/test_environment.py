"""Environment capture: what a run record says about the machine, and what it never says.

Git runs for real on temporary repositories; fake ``git``/``nvidia-smi`` executables are
used only to inject faults (a hang) or hardware this machine lacks.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
import timeit
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from jupyter_ext.capture import environment, gitinfo
from jupyter_ext.capture.environment import (
    ALLOWED_ENV_VARS,
    ImportedVersions,
    allowed_environment,
    capture_environment,
    imported_versions,
    installed_packages,
)
from jupyter_ext.capture.gitinfo import git_info
from jupyter_ext.core.redaction import REDACTED, looks_secret_name

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolate git from the user's configuration and from enclosing repositories."""
    home = tmp_path / "home"
    home.mkdir()
    for name, value in {
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_AUTHOR_NAME": "Test Author",
        "GIT_AUTHOR_EMAIL": "author@example.com",
        "GIT_COMMITTER_NAME": "Test Committer",
        "GIT_COMMITTER_EMAIL": "committer@example.com",
        "GIT_CEILING_DIRECTORIES": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def git(repo: Path, *args: str) -> str:
    assert GIT is not None
    out = subprocess.run([GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True)
    return out.stdout.strip()


@pytest.fixture
def repo(git_env: Path) -> Path:
    path = git_env / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "analysis.ipynb").write_text("{}\n")
    git(path, "add", "analysis.ipynb")
    git(path, "commit", "-q", "-m", "first")
    return path


def executable(directory: Path, name: str, script: str) -> Path:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def module(name: str, **attrs: Any) -> ModuleType:
    mod = ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


# --------------------------------------------------------------------------- secrets


@needs_git
def test_no_planted_secret_or_unlisted_variable_reaches_the_record(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    planted = {
        "MY_API_TOKEN": "canary-api-token-7f3e",
        "AWS_SECRET_ACCESS_KEY": "canaryAWSsecretKEYwJalrXUtnFEMIK7MDENGbPxRfiCY",
        "DATABASE_URL": "postgres://u:canarypw@h/db",
        "GITHUB_TOKEN": "ghp_canaryA1B2c3D4e5F6g7H8i9J0k1L2m3N4o5",
        "FOO": "canary-harmless",
        # allow-listed names carrying secret-looking values
        "PYTHONPATH": "/opt/lib:https://u:canarypw2@example.com/x",
        "TZ": "ghp_canaryZ9y8X7w6V5u4T3s2R1q0P9o8N7m6L5",
    }
    for name, value in planted.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LANG", "C.UTF-8")
    git(repo, "remote", "add", "origin", "https://user:canary-remote-tok@example.com/o/r.git")

    env = capture_environment(repo)
    text = json.dumps(env)

    assert "canary" not in text.lower()
    assert "FOO" not in env["env"] and "MY_API_TOKEN" not in env["env"]
    assert env["env"]["LANG"] == "C.UTF-8"
    assert env["env"]["PYTHONPATH"] == REDACTED
    assert env["env"]["TZ"] == REDACTED
    assert env["git"]["remote"] == "https://example.com/o/r.git"


def test_allowed_environment_reads_only_the_allow_list() -> None:
    environ = {
        "OMP_NUM_THREADS": "4",
        "CUDA_VISIBLE_DEVICES": "0,1",
        "VIRTUAL_ENV": "/home/u/.venvs/exp",
        "HOME": "/home/u",
        "PATH": "/usr/bin",
        "API_KEY": "x",
        "LC_ALL": "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp",
    }
    assert allowed_environment(environ) == {
        "OMP_NUM_THREADS": "4",
        "CUDA_VISIBLE_DEVICES": "0,1",
        "VIRTUAL_ENV": "/home/u/.venvs/exp",
        "LC_ALL": REDACTED,
    }


def test_the_allow_list_names_nothing_secret() -> None:
    assert not [name for name in ALLOWED_ENV_VARS if looks_secret_name(name)]
    assert len(set(ALLOWED_ENV_VARS)) == len(ALLOWED_ENV_VARS)
    for personal in ("PATH", "HOME", "USER", "PWD", "DATABASE_URL"):
        assert personal not in ALLOWED_ENV_VARS


# --------------------------------------------------------------------------- sections


def test_capture_has_every_section_and_is_json() -> None:
    env = capture_environment()
    assert json.loads(json.dumps(env)) == env
    for key in ("python", "platform", "cpu", "memory_bytes", "gpus", "packages", "imported"):
        assert key in env
        assert not (isinstance(env[key], dict) and "error" in env[key]), env[key]
    assert "git" in env and "env" in env
    assert abs(env["captured_at"] - time.time()) < 60
    assert env["capture_seconds"] >= 0

    python = env["python"]
    assert python["version"] == ".".join(map(str, sys.version_info[:3]))
    assert python["executable"] == sys.executable
    assert python["implementation"]
    assert env["platform"]["system"]
    assert env["cpu"]["logical_cores"] == os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        assert env["cpu"]["usable_cores"] == len(os.sched_getaffinity(0))
    if sys.platform.startswith("linux"):
        assert isinstance(env["memory_bytes"], int) and env["memory_bytes"] > 0
        assert env["cpu"]["model"]
    assert isinstance(env["gpus"], list)
    assert env["imported"]["pytest"] == importlib.metadata.version("pytest")


def test_installed_packages_are_normalised_sorted_and_complete() -> None:
    packages = installed_packages()
    assert packages["pytest"] == importlib.metadata.version("pytest")
    assert list(packages) == sorted(packages)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) for name in packages)


@pytest.fixture
def fresh_index(monkeypatch: pytest.MonkeyPatch) -> environment._DistributionIndex:
    """A private distribution index, so a test's injected faults do not outlive it."""
    index = environment._DistributionIndex()
    monkeypatch.setattr(environment, "_INDEX", index)
    return index


@pytest.mark.parametrize("section", ["_cpu", "_gpus", "installed_packages", "git_info"])
@pytest.mark.usefixtures("fresh_index")
def test_a_failing_section_does_not_sink_the_others(
    section: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object) -> None:
        raise RuntimeError("cannot read this; creds at postgres://u:canarypw@h/db")

    monkeypatch.setattr(environment, section, boom)
    env = capture_environment()
    failed = {"_cpu": "cpu", "_gpus": "gpus", "installed_packages": "packages"}.get(section, "git")
    assert env[failed] == {"error": REDACTED}
    assert "canarypw" not in json.dumps(env)
    for key in {"python", "platform", "cpu", "gpus", "packages", "env"} - {failed}:
        assert "error" not in env[key]


def test_every_captured_string_is_checked_on_the_way_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token = "ghp_" + "canaryA1B2c3D4e5F6g7H8i9J0k1L2m3N4o5"
    monkeypatch.setattr(environment, "_cpu", lambda: {"model": f"CPU {token}"})
    monkeypatch.setattr(sys, "executable", f"/opt/{token}/bin/python")
    env = capture_environment()
    assert env["cpu"]["model"] == REDACTED
    assert env["python"]["executable"] == REDACTED
    assert "canary" not in json.dumps(env)


@pytest.mark.usefixtures("fresh_index")
def test_capture_never_raises_even_if_every_section_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: object) -> None:
        raise OSError("no")

    for name in ("_python", "_platform", "_cpu", "_memory_bytes", "_gpus"):
        monkeypatch.setattr(environment, name, boom)
    for name in ("installed_packages", "imported_versions", "git_info", "allowed_environment"):
        monkeypatch.setattr(environment, name, boom)
    env = capture_environment()
    assert env["python"] == {"error": "OSError: no"}
    assert env["env"] == {"error": "OSError: no"}
    json.dumps(env)


# --------------------------------------------------------------------------- GPUs


def test_gpus_without_nvidia_smi_is_an_empty_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    assert environment._gpus() == []


def test_gpus_are_read_from_nvidia_smi_and_filtered_by_cuda_visible_devices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable(
        tmp_path,
        "nvidia-smi",
        'echo "0, GPU-aaaa-1111, NVIDIA A100-SXM4-40GB, 535.104.05, 40960"\n'
        'echo "1, GPU-bbbb-2222, NVIDIA A100-SXM4-40GB, 535.104.05, 40960"\n',
    )
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-bbbb")
    gpus = environment._gpus()
    assert gpus == [
        {
            "index": 0,
            "name": "NVIDIA A100-SXM4-40GB",
            "driver_version": "535.104.05",
            "memory_mib": 40960,
            "visible": False,
        },
        {
            "index": 1,
            "name": "NVIDIA A100-SXM4-40GB",
            "driver_version": "535.104.05",
            "memory_mib": 40960,
            "visible": True,
        },
    ]
    assert "GPU-" not in json.dumps(gpus), "device UUIDs are not recorded"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (None, [None, None, None]),
        ("", [False, False, False]),
        ("2,0", [True, False, True]),
        ("1,x,2", [False, True, False]),  # CUDA stops at the first invalid entry
        ("GPU-cc", [False, False, True]),
        ("-1", [False, False, False]),
    ],
)
def test_cuda_visible_devices_semantics(spec: str | None, expected: list[bool | None]) -> None:
    uuids = ["GPU-aa", "GPU-bb", "GPU-cc"]
    got = [environment._visible(str(i), uuids[i], spec) for i in range(3)]
    assert got == expected


def test_a_failing_nvidia_smi_is_reported_in_its_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    executable(tmp_path, "nvidia-smi", "echo 'driver not loaded' >&2; exit 9\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    env = capture_environment()
    assert "error" in env["gpus"]


# --------------------------------------------------------------------------- git


@needs_git
def test_git_clean_repository(repo: Path) -> None:
    info = git_info(repo)
    assert info == {
        "commit": git(repo, "rev-parse", "HEAD"),
        "branch": "main",
        "dirty": False,
        "remote": None,
        "root": str(repo.resolve()),
    }


@needs_git
def test_git_dirty_means_tracked_changes_only(repo: Path) -> None:
    (repo / "scratch.txt").write_text("untracked\n")
    assert git_info(repo)["dirty"] is False  # type: ignore[index]
    (repo / "analysis.ipynb").write_text('{"changed": true}\n')
    assert git_info(repo)["dirty"] is True  # type: ignore[index]


@needs_git
def test_git_detached_head_has_no_branch(repo: Path) -> None:
    git(repo, "checkout", "-q", "--detach")
    info = git_info(repo)
    assert info is not None
    assert info["branch"] is None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")


@needs_git
def test_git_remote_credentials_are_stripped(repo: Path) -> None:
    git(repo, "remote", "add", "upstream", "https://someone@example.org/u/r.git")
    git(repo, "remote", "add", "origin", "https://user:s3cr3t-t0ken@example.com/o/r.git")
    info = git_info(repo / ".")
    assert info is not None
    assert info["remote"] == "https://example.com/o/r.git"
    assert "s3cr3t" not in json.dumps(info)


@needs_git
def test_git_from_a_subdirectory_reports_the_root(repo: Path) -> None:
    sub = repo / "notebooks" / "deep"
    sub.mkdir(parents=True)
    info = git_info(sub)
    assert info is not None and info["root"] == str(repo.resolve())


@needs_git
def test_git_repository_without_commits(git_env: Path) -> None:
    path = git_env / "fresh"
    path.mkdir()
    git(path, "init", "-q", "-b", "trunk")
    info = git_info(path)
    assert info is not None
    assert info["commit"] is None and info["branch"] == "trunk" and info["dirty"] is False


@needs_git
def test_not_a_repository_is_none(git_env: Path) -> None:
    plain = git_env / "plain"
    plain.mkdir()
    assert git_info(plain) is None
    assert git_info(git_env / "does-not-exist") is None
    env = capture_environment(plain)
    assert env["git"] is None


def test_git_missing_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert git_info(tmp_path) is None


@needs_git
def test_default_directory_is_the_working_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert capture_environment()["git"]["commit"] == git(repo, "rev-parse", "HEAD")


@needs_git
def test_a_hanging_git_command_times_out_without_losing_the_rest(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    executable(
        bin_dir,
        "git",
        f'for a in "$@"; do [ "$a" = status ] && exec sleep 5; done\nexec {GIT} "$@"\n',
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(gitinfo, "GIT_TIMEOUT", 0.5)
    started = time.monotonic()
    info = git_info(repo)
    assert time.monotonic() - started < 3
    assert info is not None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert info["dirty"] is None
    assert "timed out" in info["error"]


# --------------------------------------------------------------------------- imports


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, name: str) -> object:
        self.calls.append(name)
        raise AttributeError(name)


def test_imported_versions_skips_stdlib_private_and_submodules() -> None:
    modules = {
        "thirdparty": module("thirdparty", __version__="1.2.3"),
        "thirdparty.sub": module("thirdparty.sub", __version__="9.9.9"),
        "_private": module("_private", __version__="0.0.1"),
        "json": sys.modules["json"],
        "os": os,
        "sys": sys,
        "local_helpers": module("local_helpers"),  # no version anywhere: omitted
    }
    assert imported_versions(modules) == {"thirdparty": "1.2.3"}


def test_imported_versions_never_runs_module_code() -> None:
    lazy_getattr = _Recorder()
    lazy = module("lazything", __getattr__=lazy_getattr)

    class Guarded(ModuleType):
        def __getattribute__(self, name: str) -> Any:
            raise AssertionError(f"attribute {name} read through __getattribute__")

    class Version(str):
        def __str__(self) -> str:
            raise AssertionError("__str__ called")

    guarded = Guarded("guarded")
    vars(ModuleType)["__dict__"].__get__(guarded)["__version__"] = Version("4.5.6")

    class NotAModule:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"{name} read from a non-module")

    modules = {"lazything": lazy, "guarded": guarded, "weird": NotAModule()}
    versions = imported_versions(modules)
    assert versions == {"guarded": "4.5.6"}
    assert type(versions["guarded"]) is str
    assert lazy_getattr.calls == []


def test_imported_versions_falls_back_to_the_distribution() -> None:
    pytest.importorskip("xxhash")
    # A module object without __version__ (xxhash itself defines none).
    modules = {"xxhash": module("xxhash")}
    assert imported_versions(modules) == {"xxhash": importlib.metadata.version("xxhash")}


def test_known_entries_are_trusted_and_filtered_to_present_modules() -> None:
    modules = {"thirdparty": module("thirdparty", __version__="1.2.3")}
    known = {"thirdparty": "from-before", "gone": "1.0"}
    assert imported_versions(modules, known) == {"thirdparty": "from-before"}


def test_update_reports_only_new_modules() -> None:
    modules: dict[str, object] = {"alpha": module("alpha", __version__="1.0")}
    tracker = ImportedVersions(modules)
    assert tracker.update() == {"alpha": "1.0"}
    assert tracker.update() is None
    modules["beta"] = module("beta", __version__="2.0")
    modules["beta.inner"] = module("beta.inner", __version__="2.0")
    assert tracker.update() == {"beta": "2.0"}
    assert tracker.update() is None
    modules["scratch"] = module("scratch")  # new, but without a version
    assert tracker.update() is None
    assert tracker.versions == {"alpha": "1.0", "beta": "2.0"}


def test_update_sees_a_module_imported_into_sys_modules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tracker = ImportedVersions(wait=True)
    tracker.update()
    assert tracker.update() is None
    monkeypatch.setitem(sys.modules, "jx_fresh_module", module("m", __version__="3.1"))
    assert tracker.update() == {"jx_fresh_module": "3.1"}


def test_update_does_not_wait_for_the_distribution_index(
    fresh_index: environment._DistributionIndex,
) -> None:
    pytest.importorskip("xxhash")
    modules = {"xxhash": module("xxhash"), "own": module("own", __version__="1")}
    tracker = ImportedVersions(modules)
    first = tracker.update()
    if not fresh_index.ready():
        assert first == {"own": "1"}
    # The index is built on a thread update() started: wait for that thread to end.
    for thread in threading.enumerate():
        if thread.name == "jupyter-ext-dist-index":
            thread.join(60)
    assert fresh_index.ready()
    later = tracker.update() if first == {"own": "1"} else first
    assert later is not None
    assert later["xxhash"] == importlib.metadata.version("xxhash")
    assert tracker.update() is None


def test_update_without_new_modules_costs_under_a_few_microseconds() -> None:
    tracker = ImportedVersions()
    tracker.update()
    n = 20_000
    per_call = timeit.timeit(tracker.update, number=n) / n
    assert per_call < 5e-6, f"{per_call * 1e6:.2f} us per call"
