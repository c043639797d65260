"""Which commit of which repository a notebook ran from.

Asks the ``git`` executable (no library dependency, works with every repository format
git itself understands).  Every call has a timeout and none can raise: a missing git, a
directory outside any repository, a repository owned by someone else or a hung network
file system all end in ``None`` or in fields left ``None``.

The remote URL goes into the run record, which may be published, so credentials embedded
in it (``https://user:token@host/...``) are stripped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from ..core.redaction import strip_url_credentials

__all__ = ["GIT_TIMEOUT", "git_info"]

GIT_TIMEOUT = 2.0
"""Seconds allowed per git command.  ``git status`` on a huge work tree can be slow; we
prefer an unknown ``dirty`` to a capture that never finishes."""

# Variables that would make git look somewhere other than the directory we ask about.
_REDIRECTING_ENV = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR")


class _Timeout(Exception):
    pass


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING_ENV}
    env["GIT_TERMINAL_PROMPT"] = "0"  # never wait for a password on a background thread
    env["GIT_OPTIONAL_LOCKS"] = "0"  # status must not take index.lock from the user's git
    env["LC_ALL"] = "C"
    return env


def _run(git: str, root: Path, env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run one git command; return (exit code, stripped stdout)."""
    try:
        proc = subprocess.run(
            # core.fsmonitor would run a command configured by the repository itself.
            [git, "-c", "core.fsmonitor=false", "-C", str(root), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=GIT_TIMEOUT,
            check=False,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )
    except subprocess.TimeoutExpired as exc:
        raise _Timeout(" ".join(args[:1])) from exc
    return proc.returncode, proc.stdout.decode("utf-8", "replace").strip()


def _remote_url(config_lines: str) -> str | None:
    """Pick ``origin`` if configured, else the first remote, from ``git config`` output."""
    urls: dict[str, str] = {}
    for line in config_lines.splitlines():
        key, _, url = line.partition(" ")
        name = key[len("remote.") : -len(".url")]
        if name and url:
            urls.setdefault(name, url)
    chosen = urls.get("origin") or next(iter(urls.values()), None)
    return strip_url_credentials(chosen) if chosen else None


def git_info(directory: str | Path | None = None) -> dict[str, Any] | None:
    """Commit, branch, dirtiness, remote and root of the repository holding ``directory``.

    Returns ``None`` when git is not installed or ``directory`` is not inside a work
    tree.  Otherwise a dict with ``commit`` (``None`` before the first commit), ``branch``
    (``None`` on a detached HEAD), ``dirty`` (tracked files modified or staged; untracked
    files do not count, and ``None`` if unknown), ``remote`` (credentials stripped) and
    ``root``.  A command that times out leaves its fields ``None`` and adds ``error``.
    """
    git = shutil.which("git")
    if git is None:
        return None
    try:
        path = Path(directory if directory is not None else os.getcwd())
        if not path.is_dir():
            return None
        env = _git_env()
        code, root = _run(git, path, env, "rev-parse", "--show-toplevel")
        if code != 0 or not root:
            return None
    except Exception:  # OSError, a timeout, a path git cannot take (NUL byte)...
        return None

    info: dict[str, Any] = {
        "commit": None,
        "branch": None,
        "dirty": None,
        "remote": None,
        "root": root,
    }
    try:
        code, out = _run(git, path, env, "rev-parse", "--verify", "-q", "HEAD")
        info["commit"] = out if code == 0 and out else None
        code, out = _run(git, path, env, "symbolic-ref", "--short", "-q", "HEAD")
        info["branch"] = out if code == 0 and out else None
        code, out = _run(git, path, env, "config", "--get-regexp", r"^remote\..*\.url$")
        info["remote"] = _remote_url(out) if code == 0 else None
        code, out = _run(git, path, env, "status", "--porcelain", "--untracked-files=no")
        info["dirty"] = bool(out) if code == 0 else None
    except _Timeout as exc:
        info["error"] = f"git {exc} timed out after {GIT_TIMEOUT:g} s"
    except Exception as exc:
        info["error"] = f"git failed: {type(exc).__name__}"
    return info
