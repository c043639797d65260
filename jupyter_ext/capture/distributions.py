"""Installed distributions, read the cheap way: names, versions and import names.

Used wherever the project lists what is installed: a run's recorded environment, the
versions of imported modules, and a pipeline step's environment fingerprint.

``importlib.metadata`` parses every distribution's whole METADATA file with the e-mail
parser to read two headers, and its RECORD into path objects to find import names:
0.3 to 0.8 s of CPU for a couple of hundred distributions, spent on a thread of the
user's kernel right after tracking starts, where it competes with their first cells
for the interpreter. Here the headers are read from the top of the file only (``Name``
and ``Version`` come first in every metadata version) and RECORD is read as text; a
file that does not look as expected falls back to ``importlib.metadata``'s own answer,
so the results are the same, only cheaper.
"""

from __future__ import annotations

import csv
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Installed", "installed", "installed_versions", "normalise"]

_HEAD_CHARS = 4096
"""Headers come before the description: this much of METADATA always holds them."""


@dataclass(frozen=True, slots=True)
class Installed:
    name: str
    """As the distribution spells it (not normalised)."""
    version: str
    dist: importlib.metadata.Distribution

    def import_names(self) -> list[str]:
        """Top-level import names: ``top_level.txt`` when declared, else inferred from
        RECORD's ``.py`` files, as :func:`importlib.metadata.packages_distributions`
        does."""
        declared = (self.dist.read_text("top_level.txt") or "").split()
        if declared:
            return declared
        record = self.dist.read_text("RECORD")
        if record is None:
            return sorted(_inferred_from_files(self.dist))
        return sorted(_inferred_from_record(record.splitlines()))


def normalise(name: str) -> str:
    """PEP 503 normalised distribution name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_versions() -> dict[str, str]:
    """Normalised name -> version of every distribution on ``sys.path``, sorted by name;
    when one is installed twice the first wins, as it does for imports.

    Read from the installers' directory names (``name-1.2.dist-info``, which the wheel
    format fixes): no file is opened, so listing a few hundred distributions costs a
    couple of milliseconds. Only ``.egg-info`` directories, whose names may lack the
    version, are read, through ``importlib.metadata``.
    """
    found: dict[str, str] = {}
    for entry in sys.path:
        if not entry or not os.path.isdir(entry):
            continue
        try:
            names = sorted(os.listdir(entry))
        except OSError:
            continue
        for item in names:
            if item.endswith(".dist-info"):
                name, _, version = item[: -len(".dist-info")].partition("-")
            elif item.endswith(".egg-info"):
                name, version = _egg_info(Path(entry) / item)
            else:
                continue
            key = normalise(name)
            if key and version and key not in found:
                found[key] = version
    return dict(sorted(found.items()))


def _egg_info(path: Path) -> tuple[str, str]:
    try:
        dist = importlib.metadata.PathDistribution(path)
        return dist.metadata["Name"] or "", dist.version or ""
    except Exception:  # a broken egg-info must not hide the others
        return "", ""


def installed() -> Iterator[Installed]:
    """Every distribution on ``sys.path``, in ``importlib.metadata``'s order; broken
    ones (no name or version) are skipped."""
    for dist in importlib.metadata.distributions():
        try:
            found = _name_version(dist)
        except Exception:  # a broken dist-info must not hide the others
            continue
        if found is not None:
            yield Installed(found[0], found[1], dist)


def _name_version(dist: importlib.metadata.Distribution) -> tuple[str, str] | None:
    text = dist.read_text("METADATA") or dist.read_text("PKG-INFO") or ""
    name = version = None
    for line in text[:_HEAD_CHARS].splitlines():
        if not line.strip():
            break  # end of the headers
        if name is None and line.startswith("Name:"):
            name = line[5:].strip()
        elif version is None and line.startswith("Version:"):
            version = line[8:].strip()
        if name and version:
            return name, version
    # Unusual layout: let the e-mail parser decide.
    name, version = dist.metadata["Name"], dist.version
    if isinstance(name, str) and isinstance(version, str):
        return name, version
    return None


def _inferred_from_record(lines: Iterable[str]) -> set[str]:
    names = set()
    for row in csv.reader(lines):
        if row and row[0].endswith(".py"):
            names.add(_top_name(row[0]))
    return names


def _inferred_from_files(dist: importlib.metadata.Distribution) -> set[str]:
    return {_top_name(str(f)) for f in dist.files or () if str(f).endswith(".py")}


def _top_name(path: str) -> str:
    parts = path.replace("\\", "/").split("/")
    return parts[0] if len(parts) > 1 else parts[0][: -len(".py")]
