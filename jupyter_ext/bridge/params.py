"""Notebook parameters from the command line and from YAML files, read as papermill reads them.

Users move between ``papermill nb.ipynb out.ipynb -p n 3`` and ``jupyter-ext run nb.ipynb
-p n 3``; the same words must give the same values, or a pipeline would silently run
with a string where papermill gave it an int. So ``-p`` values follow papermill's type
inference (``True``/``False``/``None``, int, float, else the text) and files are read
with papermill's YAML loader, which leaves dates as strings. Later sources win: files in
the order given, then ``-p`` pairs.

This module imports neither papermill nor IPython: the CLI parses parameters before it
pays for either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml


class ParameterError(ValueError):
    """A parameter file or value that cannot be used; the message is one line."""


class _NoDatesSafeLoader(yaml.SafeLoader):
    """papermill's loader: dates stay strings, so ``2024-01-01`` reaches the kernel as typed."""


_NoDatesSafeLoader.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def resolve_type(value: str) -> Any:
    """A ``-p`` value as papermill's ``-p`` types it: bool, None, int, float or str."""
    if value == "True":
        return True
    if value == "False":
        return False
    if value == "None":
        return None
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            continue
    return value


def read_yaml(path: str | Path, what: str) -> Any:
    """The YAML document in ``path`` (``what`` names it in errors), read as papermill reads
    parameters: every file that carries parameter values (``-f`` files, sweep grids,
    pipeline specs) must give ``2024-01-01`` as the text papermill would."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"{path}: cannot read the {what} ({exc.strerror})") from exc
    try:
        return yaml.load(text, Loader=_NoDatesSafeLoader)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise ParameterError(f"{path}: not valid YAML{line}") from exc


def load_parameter_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML (or JSON) file; an empty file is no parameters."""
    data = read_yaml(path, "parameters file")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ParameterError(
            f"{path}: expected a mapping of parameter names to values, got {type(data).__name__}"
        )
    bad = [key for key in data if not isinstance(key, str) or not key.isidentifier()]
    if bad:
        raise ParameterError(f"{path}: parameter names must be identifiers, not {bad[0]!r}")
    return dict(data)


def merge_parameters(
    files: Iterable[str | Path] = (),
    pairs: Iterable[tuple[str, str]] = (),
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """``base``, then each file in order, then the ``-p NAME VALUE`` pairs (the CLI wins)."""
    merged: dict[str, Any] = dict(base or {})
    for path in files:
        merged.update(load_parameter_file(path))
    for name, value in pairs:
        if not name.isidentifier():
            raise ParameterError(f"parameter name {name!r} is not a Python identifier")
        merged[name] = resolve_type(value)
    return merged
