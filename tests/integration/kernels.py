"""Real IPython kernels driven through jupyter_client, the way JupyterLab drives them.

Execute requests carry ``metadata.cellId`` exactly as JupyterLab sends it, and the
outputs a user would see (streams, results, errors) are collected from iopub.
"""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

UNENCRYPTED_NOTICE = "running over TCP without encryption"


@dataclass
class Execution:
    reply: dict[str, Any]
    stdout: str = ""
    stderr: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.reply.get("status") == "ok")

    def visible(self) -> tuple[str, str, list[Any], list[Any]]:
        """What the user sees: what must not differ with tracking on or off."""
        stderr = "\n".join(
            line for line in self.stderr.splitlines() if UNENCRYPTED_NOTICE not in line
        )
        return (
            self.stdout,
            stderr,
            [r.get("text/plain") for r in self.results],
            [(e["ename"], e["evalue"]) for e in self.errors],
        )


class Kernel:
    def __init__(
        self,
        *,
        extension: bool,
        store: Path | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        arguments: list[str] | None = None,
    ) -> None:
        full_env = dict(os.environ)
        full_env.pop("JUPYTER_EXT_DISABLE", None)
        if store is not None:
            full_env["JUPYTER_EXT_STORE"] = str(store)
        if env:
            full_env.update(env)
        self.km = KernelManager(kernel_name="python3")
        extra = ["--ext=jupyter_ext"] if extension else []
        extra += arguments or []
        self.km.start_kernel(extra_arguments=extra, env=full_env, cwd=str(cwd) if cwd else None)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)
        self.comm_inbox: list[dict[str, Any]] = []

    def execute(
        self, code: str, cell_id: str | None = None, timeout: float = 120, silent: bool = False
    ) -> Execution:
        content = {
            "code": code,
            "silent": silent,
            "store_history": not silent,
            "user_expressions": {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        msg_id = self.send(content, cell_id)
        deadline = time.monotonic() + timeout
        execution = Execution(reply=self.replies([msg_id], timeout)[0])
        # Outputs arrive on iopub before the kernel reports idle for this request.
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no idle status after {code!r}")
            try:
                io = self.kc.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if io["msg_type"] in ("comm_msg", "comm_open", "comm_close"):
                self.comm_inbox.append(io)
            if io["parent_header"].get("msg_id") != msg_id:
                continue
            kind, body = io["msg_type"], io["content"]
            if kind == "stream":
                if body["name"] == "stdout":
                    execution.stdout += body["text"]
                else:
                    execution.stderr += body["text"]
            elif kind in ("execute_result", "display_data"):
                execution.results.append(body["data"])
            elif kind == "error":
                execution.errors.append(body)
            elif kind == "status" and body["execution_state"] == "idle":
                return execution

    def replies(self, msg_ids: list[str], timeout: float = 300) -> list[dict[str, Any]]:
        """The shell replies to ``msg_ids``, in their order, however they interleave."""
        wanted = set(msg_ids)
        found: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while len(found) < len(wanted):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(found)} of {len(wanted)} replies")
            try:
                reply = self.kc.get_shell_msg(timeout=remaining)
            except queue.Empty:
                continue
            parent = reply["parent_header"].get("msg_id")
            if parent in wanted:
                found[parent] = dict(reply["content"])
        return [found[i] for i in msg_ids]

    def send(self, content: dict[str, Any], cell_id: str | None = None) -> str:
        """Send an execute_request without waiting for anything; returns its msg_id."""
        metadata = {"cellId": cell_id} if cell_id else {}
        msg = self.kc.session.msg("execute_request", content, metadata=metadata)
        self.kc.shell_channel.send(msg)
        return str(msg["header"]["msg_id"])

    # -- comms, as JupyterLab's kernel connection uses them ---------------------------

    def open_comm(self, target: str, data: dict[str, Any]) -> str:
        import uuid

        comm_id = uuid.uuid4().hex
        content = {"comm_id": comm_id, "target_name": target, "data": data}
        self.kc.shell_channel.send(self.kc.session.msg("comm_open", content))
        return comm_id

    def send_comm(self, comm_id: str, data: dict[str, Any]) -> None:
        content = {"comm_id": comm_id, "data": data}
        self.kc.shell_channel.send(self.kc.session.msg("comm_msg", content))

    def wait_comm(
        self, comm_id: str, predicate: Any, timeout: float = 30, after: int = 0
    ) -> dict[str, Any]:
        """The first comm message (data) on ``comm_id`` at index >= ``after`` matching."""
        deadline = time.monotonic() + timeout
        index = after
        while True:
            while index < len(self.comm_inbox):
                msg = self.comm_inbox[index]
                index += 1
                content = msg["content"]
                if content.get("comm_id") == comm_id and predicate(content.get("data", {})):
                    self.comm_cursor = index
                    return dict(content.get("data", {}))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no matching comm message")
            try:
                io = self.kc.get_iopub_msg(timeout=min(remaining, 0.5))
            except queue.Empty:
                continue
            if io["msg_type"] in ("comm_msg", "comm_open", "comm_close"):
                self.comm_inbox.append(io)

    comm_cursor = 0

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=False)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
