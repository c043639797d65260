"""Telling a run still being recorded from one whose kernel died.

Both leave ``ended_at`` empty: a kernel killed by the OOM killer, a segfault or
``os._exit`` never reaches its end-of-run write.  A pid alone cannot tell them apart
(the system reuses pids), so the recorder stores a *process identity*: on Linux the boot
id and the process's start time in clock ticks, which no other process will ever share;
elsewhere just the pid, judged by whether a process with it exists.  Only the host that
recorded the run can judge; other hosts answer "unknown".
"""

from __future__ import annotations

import os
import socket
from functools import lru_cache
from pathlib import Path

from ..core.records import ExecutionStart, RunState

__all__ = ["host_name", "judge_run", "process_alive", "process_identity"]


@lru_cache(maxsize=1)
def host_name() -> str:
    return socket.gethostname()


@lru_cache(maxsize=1)
def _boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None


def _start_ticks(pid: int) -> str | None:
    """Field 22 of ``/proc/PID/stat``: start time since boot, in clock ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces or ")".
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def process_identity(pid: int | None = None) -> str:
    """An identity for process ``pid`` (default: this one) that survives pid reuse."""
    pid = os.getpid() if pid is None else pid
    boot, ticks = _boot_id(), _start_ticks(pid)
    if boot is not None and ticks is not None:
        return f"linux:{boot}:{pid}:{ticks}"
    return f"pid:{pid}"


def process_alive(host: str | None, identity: str | None) -> bool | None:
    """Whether the process with ``identity`` on ``host`` still runs; None if unknowable."""
    if not host or not identity or host != host_name():
        return None
    kind, _, rest = identity.partition(":")
    if kind == "linux":
        boot, _, rest = rest.partition(":")
        pid_text, _, ticks = rest.partition(":")
        if boot != _boot_id():
            return False  # recorded before the last reboot
        try:
            pid = int(pid_text)
        except ValueError:
            return None
        return _start_ticks(pid) == ticks
    if kind == "pid":
        try:
            os.kill(int(rest), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # it exists, under another user
        except (ValueError, OverflowError):
            return None
        return True
    return None


def judge_run(
    *,
    run_id: str,
    ended_at: float | None,
    host: str | None,
    process: str | None,
    running: tuple[int | None, str | None, int | None, float | None],
    last_seq: int | None,
) -> RunState:
    """The :class:`RunState` of a stored run from its row (see ``RunStore``).

    ``running`` is the last execution that began (seq, cell id, count, start); it is
    reported only if no record of it was stored, i.e. it never finished.
    """
    seq, cell_id, count, started = running
    unfinished = None
    if seq is not None and (last_seq is None or seq > last_seq):
        unfinished = ExecutionStart(run_id, seq, cell_id, count, started or 0.0)
    if ended_at is not None:
        return RunState("ended", None)
    alive = process_alive(host, process)
    if alive is None:
        return RunState("unknown", unfinished)
    return RunState("running" if alive else "killed", unfinished)
