"""Human-readable summaries of run records (pure: dict in, text out)."""

from __future__ import annotations

import datetime as _dt
from typing import Any


def format_time(timestamp: float | None) -> str:
    if not timestamp:
        return "-"
    return _dt.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _names(names: list[str], limit: int = 4) -> str:
    if not names:
        return "-"
    shown = ", ".join(names[:limit])
    return shown + (f" +{len(names) - limit}" if len(names) > limit else "")


def _pending(pending: Any) -> str:
    """What a record stored before the kernel died does not know (see ``Pending``)."""
    if not isinstance(pending, dict):
        return ""
    parts = []
    if pending.get("digests"):
        parts.append(f"digest of {_names(pending['digests'])}")
    if pending.get("mutated"):
        parts.append("changes in place")
    if pending.get("files"):
        parts.append(f"digest of {len(pending['files'])} file(s)")
    return f"  [not known: {'; '.join(parts)}]" if parts else ""


def _duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def environment_lines(env: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    python = env.get("python") or {}
    platform = env.get("platform") or {}
    if python.get("version"):
        lines.append(
            f"python {python.get('version')} ({python.get('implementation', '')}) on "
            f"{platform.get('system', '?')} {platform.get('machine', '')}".rstrip()
        )
    cpu = env.get("cpu") or {}
    if cpu.get("model") or cpu.get("logical_cores"):
        lines.append(f"cpu {cpu.get('model') or '?'} x{cpu.get('logical_cores') or '?'}")
    gpus = env.get("gpus")
    if isinstance(gpus, list) and gpus:
        lines.append("gpu " + ", ".join(str(g.get("name", g)) for g in gpus))
    packages = env.get("packages")
    if isinstance(packages, dict):
        lines.append(f"{len(packages)} installed distributions recorded")
    imported = env.get("imported")
    if isinstance(imported, dict) and imported:
        lines.append("imported " + ", ".join(f"{k} {v}" for k, v in sorted(imported.items())[:8]))
    git = env.get("git")
    if isinstance(git, dict) and git.get("commit"):
        dirty = " (dirty)" if git.get("dirty") else ""
        lines.append(f"git {str(git['commit'])[:10]} on {git.get('branch') or 'detached'}{dirty}")
    return lines


def state_line(record: dict[str, Any]) -> str | None:
    """How the run ended, in words: ended, still running, or killed (during which cell)."""
    state = record.get("state")
    if not isinstance(state, dict):
        return None
    status = state.get("status")
    running = state.get("running") if isinstance(state.get("running"), dict) else None
    cell = ""
    if running is not None:
        count = running.get("execution_count")
        cell = f"cell [{count}]" if count is not None else f"execution {running.get('seq')}"
        if running.get("cell_id"):
            cell += f" (id {running['cell_id']})"
    if status == "ended":
        return f"ended at {format_time(record.get('ended_at'))}"
    if status == "running":
        return f"still running ({cell} is executing)" if cell else "still running"
    if status == "killed":
        if cell:
            return (
                f"incomplete: the kernel was killed during {cell}, started "
                f"{format_time(running.get('start') if running else None)}; every cell "
                "that finished before is recorded"
            )
        return "incomplete: the kernel was killed after its last recorded cell"
    if status == "unknown":
        where = f"; last begun: {cell}" if cell else ""
        return f"no end recorded, and it was recorded on another host: running or killed{where}"
    return None


def run_summary(record: dict[str, Any], store: str | None = None) -> str:
    """The table a person reads after a run: what ran, in which order, touching what."""
    notebook = record.get("notebook") or {}
    executions = record.get("executions") or []
    errors = sum(1 for e in executions if e.get("status") == "error")
    total = sum(float(e.get("duration") or 0.0) for e in executions)
    out = [
        f"run {record.get('run_id')}  ({record.get('schema')})",
        f"  notebook   {notebook.get('path') or '-'}",
        f"  started    {format_time(record.get('started_at'))}"
        f"   kernel {record.get('kernel') or '-'}",
        f"  executions {len(executions)} ({errors} failed), {_duration(total)} in cells",
    ]
    state = state_line(record)
    if state:
        out.append(f"  state      {state}")
    for line in environment_lines(record.get("environment") or {}):
        out.append(f"  env        {line}")
    if store:
        out.append(f"  stored in  {store}")
    out.append("")
    header = (
        f"  {'seq':>3} {'[n]':>5}  {'cell':<10} {'status':<6} {'time':>9}  reads / writes / mutated"
    )
    out.append(header)
    for e in executions:
        count = e.get("execution_count")
        cell = (e.get("cell_id") or "-")[:10]
        flow = (
            f"{_names(e.get('reads') or [])} / {_names(e.get('writes') or [])}"
            f" / {_names(e.get('mutated') or [])}"
        )
        flow += _pending(e.get("pending"))
        status = e.get("status") or "?"
        if status == "error" and e.get("error_type"):
            status = e["error_type"][:6]
        out.append(
            f"  {e.get('seq'):>3} {'[' + str(count) + ']' if count is not None else '':>5}  "
            f"{cell:<10} {status:<6} {_duration(float(e.get('duration') or 0)):>9}  {flow}"
        )
    out.extend(file_lines(record.get("files") or []))
    return "\n".join(out)


def file_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{size} B"


def file_lines(files: list[dict[str, Any]]) -> list[str]:
    """The data lineage part of a run summary: every file read or written, in order."""
    if not files:
        return []
    out = ["", f"  files ({len(files)} read or written)"]
    out.append(f"  {'seq':>3} {'mode':<6} {'size':>9}  {'digest':<12}  path")
    for f in files:
        digest = (f.get("digest") or "")[:12] or f"({f.get('opaque') or 'none'})"
        out.append(
            f"  {f.get('seq'):>3} {f.get('mode', '?'):<6} {file_size(f.get('size')):>9}  "
            f"{digest:<12}  {f.get('path')}"
        )
    return out
