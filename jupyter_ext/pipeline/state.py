"""What each step looked like at its last successful run: a JSON file next to the spec.

Why a file and not a table in the run store: the state belongs to the pipeline, not to
the machine. It sits beside ``pipeline.yaml`` (``pipeline.state.json``), so a project
copied or checked out elsewhere, or run with another ``--store``, still knows what is up
to date, and deleting it is the obvious way to start over. The runs themselves (cells,
digests, file lineage) are in the run store as for any run; the state names their ids.

It is written atomically (a temporary file in the same directory, then ``os.replace``)
after every step that finishes, so a crash or a failing later step never leaves a state
that claims more, or less, than what ran. Only successful runs are recorded as the
state to compare with; a failure is kept apart (``failures``) for the report, and the
step's previous success stays as it was: its outputs are checked by digest anyway.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .fingerprint import Fingerprint

STATE_SCHEMA = "jupyter_ext.pipeline-state/1"


@dataclass
class StepState:
    """The last successful run of one step."""

    fingerprint: Fingerprint
    run_id: str
    finished_at: float
    outputs: dict[str, str | None]
    """Relative path -> digest right after the run."""
    output_notebook: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint.to_json(),
            "run_id": self.run_id,
            "finished_at": self.finished_at,
            "outputs": dict(sorted(self.outputs.items())),
            "output_notebook": self.output_notebook,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StepState:
        return cls(
            fingerprint=Fingerprint.from_json(data.get("fingerprint") or {}),
            run_id=str(data.get("run_id", "")),
            finished_at=float(data.get("finished_at", 0.0)),
            outputs=dict(data.get("outputs") or {}),
            output_notebook=data.get("output_notebook"),
        )


@dataclass
class PipelineState:
    """All steps' last successful runs, the environments they saw, and recent failures."""

    steps: dict[str, StepState] = field(default_factory=dict)
    environments: dict[str, dict[str, str]] = field(default_factory=dict)
    """Environment digest -> packages, to say *which* package changed."""
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        used = {s.fingerprint.environment for s in self.steps.values()}
        return {
            "schema": STATE_SCHEMA,
            "steps": {name: s.to_json() for name, s in sorted(self.steps.items())},
            "environments": {k: v for k, v in self.environments.items() if k in used},
            "failures": dict(sorted(self.failures.items())),
        }


def state_path(spec: Path) -> Path:
    """``pipeline.yaml`` -> ``pipeline.state.json`` in the same directory."""
    return spec.with_name(spec.stem + ".state.json")


def load_state(path: Path) -> PipelineState:
    """The saved state; an absent file is a pipeline that never ran.

    A file that cannot be read as a state is reported, not silently replaced: the caller
    tells the user to delete it (everything then reruns once).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PipelineState()
    except OSError as exc:
        raise StateError(f"{path}: cannot read the pipeline state ({exc.strerror})") from None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("schema") != STATE_SCHEMA:
            raise ValueError("not a pipeline state")
        return PipelineState(
            steps={k: StepState.from_json(v) for k, v in (data.get("steps") or {}).items()},
            environments=dict(data.get("environments") or {}),
            failures=dict(data.get("failures") or {}),
        )
    except (ValueError, TypeError, AttributeError):
        raise StateError(
            f"{path}: not a pipeline state file; delete it to rerun every step"
        ) from None


def save_state(path: Path, state: PipelineState) -> None:
    """Write ``state`` atomically: readers see the old file or the new one, never half."""
    text = json.dumps(state.to_json(), indent=1, sort_keys=False, default=repr) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class StateError(ValueError):
    """A state file that cannot be used; the message is one line."""
