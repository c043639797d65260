"""The pipeline spec (``pipeline.yaml``): steps, their files, and the order they run in.

The spec is what a person reads and edits, so it is YAML with paths relative to its own
directory; :func:`load_spec` resolves them. It is validated against the published JSON
Schema (``jupyter_ext/schemas/pipeline.schema.json``) with fastjsonschema, which compiles
the schema to Python in milliseconds: ``jsonschema`` alone takes over a second to import
here, and a pipeline with nothing to do must answer in well under one.

Dependencies are data, not declarations: a step runs after the step that writes one of
its inputs (plus any ``after:`` it lists). Two steps writing one file, an ``after:``
naming no step, or a cycle are errors that name the steps involved.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

from ..bridge.params import ParameterError, read_yaml

SPEC_SCHEMA = "jupyter_ext.pipeline/1"
DEFAULT_OUTPUT_DIR = "pipeline-runs"


class SpecError(ParameterError):
    """A spec that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Step:
    """One notebook of the pipeline, with its paths resolved against the spec's directory."""

    name: str
    notebook: Path
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: tuple[Path, ...] = ()
    outputs: tuple[Path, ...] = ()
    after: tuple[str, ...] = ()
    kernel: str | None = None


@dataclass(frozen=True)
class Pipeline:
    """A loaded spec: steps in dependency order and who depends on whom."""

    path: Path
    root: Path
    output_dir: Path
    steps: tuple[Step, ...]
    """In an order where every step comes after the steps it depends on."""
    upstream: dict[str, frozenset[str]]

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise SpecError(f"{self.path}: no step named {name!r} (steps: {self.names()})")

    def names(self) -> str:
        return ", ".join(s.name for s in self.steps)

    def producer(self, path: Path) -> str | None:
        """The step whose outputs include ``path``."""
        for step in self.steps:
            if path in step.outputs:
                return step.name
        return None

    def relative(self, path: Path) -> str:
        """``path`` as the spec writes it (relative to its directory when inside it)."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


@cache
def _validator() -> Any:
    import fastjsonschema

    from ..schemas import load_schema

    return fastjsonschema.compile(load_schema("pipeline"))


def validate_spec(document: object, label: str) -> None:
    """Raise :class:`SpecError` with the first schema violation, as one line."""
    import fastjsonschema

    try:
        _validator()(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        name = str(exc.name or "data")
        where = name.replace("data", "", 1).lstrip(".") or "the spec"
        message = str(exc.message).replace(name, where, 1)
        raise SpecError(f"{label}: {message}") from None


def load_spec(path: str | Path) -> Pipeline:
    """Read, validate and order the spec at ``path``; parameter values are read as
    papermill reads them (``2024-01-01`` stays text), as ``-f`` files and grids are."""
    path = Path(path)
    try:
        document = read_yaml(path, "pipeline spec")
    except ParameterError as exc:
        raise SpecError(str(exc)) from None
    validate_spec(document, str(path))
    return build_pipeline(document, path)


def build_pipeline(document: Mapping[str, Any], path: Path) -> Pipeline:
    """Resolve paths and order the steps of a validated spec document."""
    root = path.resolve().parent
    steps: list[Step] = []
    seen: set[str] = set()
    for raw in document["steps"]:
        name = raw["name"]
        if name in seen:
            raise SpecError(f"{path}: two steps are named {name!r}")
        seen.add(name)
        steps.append(
            Step(
                name=name,
                notebook=_resolve(root, raw["notebook"]),
                parameters=dict(raw.get("parameters") or {}),
                inputs=tuple(_resolve(root, p) for p in raw.get("inputs") or ()),
                outputs=tuple(_resolve(root, p) for p in raw.get("outputs") or ()),
                after=tuple(raw.get("after") or ()),
                kernel=raw.get("kernel"),
            )
        )
    upstream = dependencies(steps, str(path))
    order = _order(steps, upstream, str(path))
    output_dir = _resolve(root, document.get("output_dir") or DEFAULT_OUTPUT_DIR)
    return Pipeline(path, root, output_dir, order, upstream)


def _resolve(root: Path, text: str) -> Path:
    return Path(os.path.normpath(root / Path(text).expanduser()))


def dependencies(steps: list[Step], label: str) -> dict[str, frozenset[str]]:
    """Each step's direct upstream steps: producers of its inputs and its ``after:``."""
    producers: dict[Path, str] = {}
    for step in steps:
        for output in step.outputs:
            other = producers.setdefault(output, step.name)
            if other != step.name:
                raise SpecError(
                    f"{label}: steps {other!r} and {step.name!r} both write {output.name}; "
                    "a file needs one producer"
                )
    names = {s.name for s in steps}
    upstream: dict[str, frozenset[str]] = {}
    for step in steps:
        unknown = [a for a in step.after if a not in names]
        if unknown:
            raise SpecError(f"{label}: step {step.name!r}: `after` names no step {unknown[0]!r}")
        found = {producers[i] for i in step.inputs if i in producers} | set(step.after)
        found.discard(step.name)  # a file a step both reads and writes is its own business
        upstream[step.name] = frozenset(found)
    return upstream


def _order(steps: list[Step], upstream: dict[str, frozenset[str]], label: str) -> tuple[Step, ...]:
    """Dependency order, ties broken by the order the spec lists the steps."""
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for step in steps:
        sorter.add(step.name, *sorted(upstream[step.name]))
    try:
        sorter.prepare()
    except CycleError as exc:
        cycle = " → ".join(exc.args[1]) if len(exc.args) > 1 else "?"
        raise SpecError(f"{label}: the steps depend on each other in a cycle: {cycle}") from None
    position = {s.name: i for i, s in enumerate(steps)}
    by_name = {s.name: s for s in steps}
    ordered: list[Step] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=position.__getitem__)
        for name in ready:
            ordered.append(by_name[name])
            sorter.done(name)
    return tuple(ordered)


def spec_document(
    steps: list[dict[str, Any]], *, output_dir: str = DEFAULT_OUTPUT_DIR
) -> dict[str, Any]:
    """A spec document ready for :func:`dump_spec` (keys in reading order)."""
    return {"schema": SPEC_SCHEMA, "output_dir": output_dir, "steps": steps}


def dump_spec(document: Mapping[str, Any]) -> str:
    """YAML text of a spec, with a header saying what it is and how to run it."""
    import yaml

    body = yaml.safe_dump(
        json.loads(json.dumps(document)), sort_keys=False, default_flow_style=False
    )
    header = (
        "# jupyter-ext pipeline: run with `jupyter-ext pipeline run <this file>`.\n"
        "# Paths are relative to this file; inputs and outputs came from the recorded\n"
        "# data lineage. A step reruns when its code, parameters, environment or input\n"
        "# files change, or when one of its outputs is missing or changed.\n"
    )
    return header + body
