"""What a recorded run becomes in an experiment tracker: parameters, tags, artifacts.

Pure (record in, plain values out), so the mapping is tested without MLflow. Only what the
run record holds is exported: the record is already redacted (no secrets, allow-listed
environment variables only) and carries source hashes, not sources, so nothing here can
leak more than ``jupyter-ext show --json`` would.

Why the final variable digests get a combined ``state`` digest tag: two runs whose
notebooks ended with equal values share it, so a tracker's search finds reproducible
runs (and diverging ones) without opening an artifact.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

TAG_PREFIX = "jupyter_ext"
MAX_PARAM_CHARS = 6000  # MLflow's limit on a parameter value
MAX_TAG_CHARS = 5000


@dataclass(frozen=True)
class RunPayload:
    run_name: str
    params: dict[str, str]
    tags: dict[str, str]
    artifacts: dict[str, str]
    """Artifact file name -> text content."""
    start_ms: int | None
    end_ms: int | None
    status: str
    """``FINISHED`` or ``FAILED``, as MLflow names run states."""


def build_payload(record: Mapping[str, Any], findings: Sequence[Mapping[str, Any]]) -> RunPayload:
    executions = list(record.get("executions") or [])
    notebook = record.get("notebook") or {}
    path = notebook.get("path")
    stem = Path(path).stem if isinstance(path, str) and path else "notebook"
    run_id = str(record.get("run_id"))
    failed = sum(1 for e in executions if e.get("status") == "error")
    digests = final_digests(executions)
    environment = record.get("environment") or {}
    return RunPayload(
        run_name=f"{stem} {run_id}",
        params=params(record.get("parameters") or {}),
        tags={
            **source_tags(path, environment.get("git")),
            **run_tags(record, executions, failed),
            **digest_tags(digests),
            **finding_tags(findings),
        },
        artifacts={
            "run.json": _json(record),
            "environment.json": _json(environment),
            "requirements.txt": requirements(environment),
            "digests.json": _json(
                {"final": digests, "per_execution": per_execution_digests(executions)}
            ),
            "findings.json": _json(list(findings)),
        },
        start_ms=_millis(record.get("started_at")),
        end_ms=_millis(record.get("ended_at") or _last_end(executions)),
        status="FAILED" if failed else "FINISHED",
    )


def params(parameters: Mapping[str, Any]) -> dict[str, str]:
    """Notebook parameters as MLflow params: text stays text, the rest is JSON."""
    out = {}
    for name, value in parameters.items():
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
        out[str(name)] = text[:MAX_PARAM_CHARS]
    return out


def source_tags(path: Any, git: Any) -> dict[str, str]:
    """MLflow's own source tags, so its UI links the run to the notebook and commit."""
    tags = {"mlflow.source.type": "NOTEBOOK"}
    if isinstance(path, str) and path:
        tags["mlflow.source.name"] = path
    if isinstance(git, Mapping):
        for key, tag in (
            ("commit", "mlflow.source.git.commit"),
            ("branch", "mlflow.source.git.branch"),
            ("remote", "mlflow.source.git.repoURL"),
        ):
            if isinstance(git.get(key), str) and git[key]:
                tags[tag] = git[key]
        if git.get("dirty") is not None:
            tags[f"{TAG_PREFIX}.git.dirty"] = str(bool(git["dirty"])).lower()
    return tags


def run_tags(
    record: Mapping[str, Any], executions: Sequence[Mapping[str, Any]], failed: int
) -> dict[str, str]:
    notebook = record.get("notebook") or {}
    tags = {
        f"{TAG_PREFIX}.run_id": str(record.get("run_id")),
        f"{TAG_PREFIX}.schema": str(record.get("schema")),
        f"{TAG_PREFIX}.executions": str(len(executions)),
        f"{TAG_PREFIX}.failed_executions": str(failed),
    }
    if notebook.get("content_hash"):
        tags[f"{TAG_PREFIX}.notebook_hash"] = str(notebook["content_hash"])
    if record.get("kernel"):
        tags[f"{TAG_PREFIX}.kernel"] = str(record["kernel"])[:MAX_TAG_CHARS]
    errors = sorted({str(e["error_type"]) for e in executions if e.get("error_type")})
    if errors:
        tags[f"{TAG_PREFIX}.error_types"] = ",".join(errors)[:MAX_TAG_CHARS]
    return tags


def final_digests(executions: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each name's last recorded state: digest (or why it is opaque), type, and where."""
    final: dict[str, dict[str, Any]] = {}
    for execution in executions:
        for variable in execution.get("variables") or []:
            name = variable.get("name")
            if not isinstance(name, str):
                continue
            if variable.get("deleted"):
                final.pop(name, None)
                continue
            entry = {
                "digest": variable.get("digest"),
                "type": variable.get("type"),
                "seq": execution.get("seq"),
                "cell_id": execution.get("cell_id"),
            }
            if variable.get("opaque"):
                entry["opaque"] = variable["opaque"]
            final[name] = entry
    return dict(sorted(final.items()))


def per_execution_digests(executions: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.get("seq"),
            "cell_id": e.get("cell_id"),
            "digests": {
                v["name"]: v.get("digest")
                for v in e.get("variables") or []
                if isinstance(v.get("name"), str)
            },
        }
        for e in executions
    ]


def digest_tags(digests: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    opaque = sum(1 for d in digests.values() if d.get("digest") is None)
    combined = xxhash.xxh3_128_hexdigest(
        json.dumps({name: d.get("digest") for name, d in digests.items()}, sort_keys=True).encode()
    )
    return {
        f"{TAG_PREFIX}.digests.names": str(len(digests)),
        f"{TAG_PREFIX}.digests.opaque": str(opaque),
        f"{TAG_PREFIX}.digests.state": combined,
    }


def finding_tags(findings: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """``jupyter_ext.findings.<kind>``: counts per kind, plus the total (0 says "checked")."""
    kinds = Counter(str(f.get("kind")) for f in findings)
    tags = {f"{TAG_PREFIX}.findings.{kind}": str(count) for kind, count in sorted(kinds.items())}
    tags[f"{TAG_PREFIX}.findings.total"] = str(len(findings))
    return tags


def requirements(environment: Mapping[str, Any]) -> str:
    """``name==version`` per installed distribution the run recorded (pip's format)."""
    packages = environment.get("packages")
    if not isinstance(packages, Mapping) or not packages:
        return "# the run recorded no installed distributions\n"
    lines = [f"{name}=={version}" for name, version in sorted(packages.items(), key=_lower)]
    return "\n".join(lines) + "\n"


def _lower(item: tuple[str, Any]) -> str:
    return str(item[0]).lower()


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"


def _millis(seconds: Any) -> int | None:
    return int(float(seconds) * 1000) if isinstance(seconds, int | float) and seconds else None


def _last_end(executions: Sequence[Mapping[str, Any]]) -> float | None:
    ends = [
        float(e["start"]) + float(e.get("duration") or 0)
        for e in executions
        if isinstance(e.get("start"), int | float) and e["start"]
    ]
    return max(ends) if ends else None
