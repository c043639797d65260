"""Whether the process that records a run still lives: the judge behind killed/running."""

from __future__ import annotations

import os
import subprocess
import sys

from jupyter_ext.store.liveness import host_name, judge_run, process_alive, process_identity


def test_this_process_is_alive_and_a_finished_one_is_not() -> None:
    assert process_alive(host_name(), process_identity()) is True
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    identity = process_identity(child.pid)
    assert process_alive(host_name(), identity) is True
    assert child.stdin is not None
    child.stdin.close()
    child.wait(30)
    assert process_alive(host_name(), identity) is False


def test_a_reused_pid_is_not_the_recording_process() -> None:
    """Same pid, another start time: the system gave the pid to someone else."""
    kind, boot, pid, ticks = process_identity().split(":")
    assert kind == "linux" and int(pid) == os.getpid()
    assert process_alive(host_name(), f"linux:{boot}:{pid}:{int(ticks) + 1}") is False
    assert process_alive(host_name(), f"linux:another-boot:{pid}:{ticks}") is False


def test_other_hosts_and_unknown_identities_cannot_be_judged() -> None:
    assert process_alive("some-other-host", process_identity()) is None
    assert process_alive(host_name(), None) is None
    assert process_alive(host_name(), "something:else") is None


def test_judge_run_names_the_unfinished_execution_only() -> None:
    running = (7, "c7", 7, 5.0)
    ended = judge_run(
        run_id="r",
        ended_at=9.0,
        host=host_name(),
        process=process_identity(),
        running=running,
        last_seq=6,
    )
    assert ended.status == "ended" and ended.running is None
    live = judge_run(
        run_id="r",
        ended_at=None,
        host=host_name(),
        process=process_identity(),
        running=running,
        last_seq=6,
    )
    assert live.status == "running" and live.running is not None and live.running.seq == 7
    between = judge_run(
        run_id="r",
        ended_at=None,
        host=host_name(),
        process=process_identity(),
        running=running,
        last_seq=7,
    )
    assert between.status == "running" and between.running is None
