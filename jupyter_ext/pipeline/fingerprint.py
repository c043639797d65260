"""What a step's result depends on, reduced to digests that are cheap to recompute.

A step is skipped when four things are as they were at its last successful run:

* **code**: the sources of its code cells (outputs, execution counts and metadata are
  not code, so re-saving a notebook after running it changes nothing);
* **parameters**: the values the spec gives, after conversion to the declared types;
* **environment**: the installed distributions and their versions. They are listed in
  this process (:func:`~jupyter_ext.capture.distributions.installed_versions`, the
  listing a run's recorded environment uses), which assumes the kernel runs the same
  Python environment as ``jupyter-ext`` (the default ``python3`` kernel does). A step
  with another kernel is not tracked more precisely than that: ``--force`` it after
  changing that kernel's environment;
* **inputs**: the content digests of its input files.

File digests are xxh3-128 of the bytes (32 hex characters, the variable digests' format),
streamed in 1 MiB blocks, so a large file costs a read at memory bandwidth and no more.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from .typed_params import cell_source

_BLOCK = 1 << 20


@dataclass(frozen=True)
class Fingerprint:
    """A step's inputs at one moment; equal fingerprints mean an equal result."""

    code: str
    parameters: dict[str, Any]
    environment: str
    inputs: dict[str, str | None]
    """Relative path -> digest (None: the file is missing)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "parameters": self.parameters,
            "environment": self.environment,
            "inputs": dict(sorted(self.inputs.items())),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fingerprint:
        return cls(
            code=str(data.get("code", "")),
            parameters=dict(data.get("parameters") or {}),
            environment=str(data.get("environment", "")),
            inputs=dict(data.get("inputs") or {}),
        )


def code_digest(nb: Mapping[str, Any]) -> str:
    """Digest of the code cells' sources in order (trailing whitespace ignored)."""
    hasher = xxhash.xxh3_128()
    for cell in nb.get("cells") or ():
        if isinstance(cell, Mapping) and cell.get("cell_type") == "code":
            source = cell_source(cell).rstrip().encode("utf-8")
            hasher.update(len(source).to_bytes(8, "little"))
            hasher.update(source)
    return str(hasher.hexdigest())


def file_digest(path: Path) -> str | None:
    """xxh3-128 of the file's bytes, or None when it is missing or unreadable."""
    hasher = xxhash.xxh3_128()
    try:
        with path.open("rb") as handle:
            while block := handle.read(_BLOCK):
                hasher.update(block)
    except OSError:
        return None
    return str(hasher.hexdigest())


def environment_digest(packages: Mapping[str, str]) -> str:
    text = json.dumps(sorted(packages.items()), separators=(",", ":"))
    return str(xxhash.xxh3_128_hexdigest(text.encode("utf-8")))


def parameters_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """``n 3→4``, ``+seed 1``, ``-debug``: what a person needs to see, in name order."""
    changes = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            changes.append(f"-{name}")
        elif name not in old:
            changes.append(f"+{name} {_short(new[name])}")
        elif _canonical(old[name]) != _canonical(new[name]):
            changes.append(f"{name} {_short(old[name])}→{_short(new[name])}")
    return changes


def environment_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[str]:
    """``numpy 1.26.4→2.0.0``, ``+polars 1.0``, ``-pandas``."""
    changes = []
    for name in sorted(set(old) | set(new)):
        if name not in new:
            changes.append(f"-{name}")
        elif name not in old:
            changes.append(f"+{name} {new[name]}")
        elif old[name] != new[name]:
            changes.append(f"{name} {old[name]}→{new[name]}")
    return changes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=repr)


def _short(value: Any) -> str:
    text = json.dumps(value, default=repr) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def digests(paths: Iterable[Path], relative: Any) -> dict[str, str | None]:
    """``relative(path)`` -> :func:`file_digest` for each path."""
    return {relative(p): file_digest(p) for p in paths}
