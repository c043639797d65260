"""The grid file of ``jupyter-ext sweep``: which points to run, checked before any kernel.

A grid is a YAML (or JSON) mapping::

    # every list is an axis: the points are the cartesian product of the axes
    alpha: [0.01, 0.1, 1.0]
    layers: [1, 2]
    # optional: the same values for every point
    fixed:
      seed: 0
    # optional: explicit points, run after the product (each a mapping)
    points:
      - {alpha: 5.0, layers: 4}

A value that is not a list is a single value (an axis of one). A parameter whose value is
itself a list is written as a list of lists (``sizes: [[1, 2], [3]]``). Parameters named
``fixed``, ``points`` or ``grid`` go under an explicit ``grid:`` mapping, which is read
like the top level.

Why the checks happen here, before anything runs: a sweep of forty points that fails on
the thirty-first because of a typo wastes an hour, and a point that silently runs with a
string where the notebook expects a float is worse. Every point is converted with the
notebook's declared parameter types (:func:`jupyter_ext.pipeline.typed_params.
check_parameters`), so unknown names and values that do not convert stop the sweep with
one line naming the grid file, the point and the problem.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..bridge.params import ParameterError, load_parameter_file

RESERVED = ("fixed", "points", "grid")
SLUG_LIMIT = 40


class GridError(ValueError):
    """A grid file that cannot be used; the message is one line naming the file."""


@dataclass(frozen=True)
class Grid:
    """The points of a sweep, in the order they are numbered (1-based in outputs)."""

    points: tuple[dict[str, Any], ...]
    varied: tuple[str, ...]
    """Names set by an axis or an explicit point: what tells the points apart."""
    fixed: dict[str, Any] = field(default_factory=dict)


def load_grid(path: str | Path) -> Grid:
    """Read and expand the grid file at ``path`` (types are not checked yet)."""
    try:
        data = load_parameter_file(path)
    except ParameterError as exc:
        raise GridError(str(exc)) from exc
    return expand_grid(data, str(path))


def expand_grid(data: Mapping[str, Any], source: str = "grid") -> Grid:
    """The points a grid mapping describes; ``source`` names it in error messages."""
    axes_part: Mapping[str, Any] = {k: v for k, v in data.items() if k not in RESERVED}
    if "grid" in data:
        nested = data["grid"]
        if not isinstance(nested, Mapping):
            raise GridError(f"{source}: `grid` must be a mapping of parameter names to lists")
        clash = sorted(set(nested) & set(axes_part))
        if clash:
            raise GridError(f"{source}: `{clash[0]}` is both under `grid:` and at the top level")
        axes_part = {**axes_part, **nested}
    fixed = data.get("fixed") or {}
    if not isinstance(fixed, Mapping):
        raise GridError(f"{source}: `fixed` must be a mapping of parameter names to values")
    explicit = data.get("points") or []
    if not isinstance(explicit, list) or not all(isinstance(p, Mapping) for p in explicit):
        raise GridError(f"{source}: `points` must be a list of mappings (name: value)")
    for name in [*axes_part, *fixed, *(n for p in explicit for n in p)]:
        if not isinstance(name, str) or not name.isidentifier():
            raise GridError(f"{source}: parameter names must be identifiers, not {name!r}")
    axes: dict[str, list[Any]] = {}
    for name, values in axes_part.items():
        if isinstance(values, list) and not values:
            raise GridError(f"{source}: axis `{name}` has no values")
        axes[name] = values if isinstance(values, list) else [values]
    varied_names = list(axes)
    for point in explicit:
        varied_names += [n for n in point if n not in varied_names]
    both = sorted(set(fixed) & set(varied_names))
    if both:
        raise GridError(f"{source}: `{both[0]}` is both fixed and varied; keep one")
    points: list[dict[str, Any]] = []
    if axes:
        for combination in itertools.product(*axes.values()):
            points.append({**fixed, **dict(zip(axes, combination, strict=True))})
    points += [{**fixed, **dict(point)} for point in explicit]
    if not points:
        raise GridError(f"{source}: the grid has no points; give axes (name: [values]) or points:")
    return Grid(points=tuple(points), varied=tuple(varied_names), fixed=dict(fixed))


def check_grid(grid: Grid, notebook: str | Path | Mapping[str, Any], source: str) -> Grid:
    """Every point converted to the notebook's declared types, or a :class:`GridError`
    naming the first point that does not fit. The notebook is read once, not once per
    point: its outputs can make it megabytes of JSON, and grids have hundreds of points."""
    from ..pipeline.typed_params import check_parameters, read_notebook_json

    label = None if isinstance(notebook, Mapping) else str(notebook)
    try:
        nb = notebook if isinstance(notebook, Mapping) else read_notebook_json(notebook)
    except ParameterError as exc:
        raise GridError(f"{source}: {exc}") from exc
    checked = []
    for index, point in enumerate(grid.points, start=1):
        try:
            checked.append(check_parameters(nb, point, label=label))
        except ParameterError as exc:
            label = describe(point, grid.varied) or "the fixed values"
            raise GridError(f"{source}: point {index} ({label}): {exc}") from exc
    return Grid(points=tuple(checked), varied=grid.varied, fixed=grid.fixed)


def describe(point: Mapping[str, Any], names: tuple[str, ...]) -> str:
    """``alpha=0.1, layers=2``: the varied values of a point, for messages and tables."""
    return ", ".join(f"{name}={value_text(point[name])}" for name in names if name in point)


def slug(point: Mapping[str, Any], names: tuple[str, ...], limit: int = SLUG_LIMIT) -> str:
    """A short file-name-safe label of a point's varied values (``alpha=0.1_layers=2``)."""
    raw = "_".join(f"{name}={value_text(point[name])}" for name in names if name in point)
    safe = re.sub(r"[^A-Za-z0-9._=+-]+", "-", raw.replace(", ", ",")).strip("-.")
    return safe[:limit].rstrip("-.") if len(safe) > limit else safe


def output_name(
    stem: str, index: int, total: int, point: Mapping[str, Any], names: tuple[str, ...]
) -> str:
    """``<stem>-<index>-<slug>.ipynb``; the index is zero-padded so files sort in order."""
    width = len(str(total))
    label = slug(point, names)
    return f"{stem}-{index:0{width}d}{'-' + label if label else ''}.ipynb"


def value_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)
