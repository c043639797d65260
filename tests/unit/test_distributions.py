"""The cheap reading of installed distributions gives importlib.metadata's answers."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

from jupyter_ext.capture.distributions import Installed, _name_version, installed


def test_names_and_versions_equal_importlib_metadata_on_this_environment() -> None:
    ours: dict[str, str] = {}
    for dist in installed():
        ours.setdefault(dist.name, dist.version)
    theirs: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        theirs.setdefault(dist.metadata["Name"], dist.version)
    assert len(theirs) > 20  # a real environment, not an empty one
    assert ours == theirs


def test_import_names_equal_packages_distributions_on_this_environment() -> None:
    ours: dict[str, list[str]] = {}
    for dist in installed():
        for module in dist.import_names():
            ours.setdefault(module, []).append(dist.name)
    if sys.version_info >= (3, 11):
        found = importlib.metadata.packages_distributions()
    else:
        # Python 3.10's own version reads top_level.txt only; the backport is the
        # algorithm later Pythons ship (it also reads RECORD), the one ours follows.
        import importlib_metadata

        found = importlib_metadata.packages_distributions()
    # Newer versions of that algorithm also list two things that are not import names:
    # the __pycache__ of single-module distributions, and the package of an editable
    # install (found through its .pth file, not its RECORD).
    editable = {
        d.metadata["Name"]
        for d in importlib.metadata.distributions()
        if '"editable": true' in (d.read_text("direct_url.json") or "")
    }
    theirs = {
        module: names
        for module, names in found.items()
        if module != "__pycache__" and not set(names) <= editable
    }
    assert {k: sorted(v) for k, v in ours.items()} == {k: sorted(v) for k, v in theirs.items()}


def _dist(tmp_path: Path, metadata: str, **files: str) -> importlib.metadata.Distribution:
    info = tmp_path / "demo-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(metadata)
    for name, text in files.items():
        (info / name).write_text(text)
    return importlib.metadata.PathDistribution(info)


def test_headers_out_of_the_usual_place_fall_back_to_the_email_parser(tmp_path: Path) -> None:
    # A blank line before Version: the cheap read stops at it and the e-mail parser
    # decides (Version is in the body, so there is none, and the dist is skipped).
    dist = _dist(tmp_path, "Metadata-Version: 2.1\nName: demo\n\nVersion: 9\n")
    assert dist.version is None and _name_version(dist) is None
    late = _dist(
        tmp_path / "x", "Metadata-Version: 2.1\n" + "X: y\n" * 2000 + "Name: d\nVersion: 2\n"
    )
    assert _name_version(late) == ("d", "2")


def test_import_names_from_declared_record_or_nothing(tmp_path: Path) -> None:
    record = (
        'demo/__init__.py,sha256=x,1\n"demo/odd,name.py",,\nsolo.py,,\n'
        "demo-1.0.dist-info/METADATA,,\nbin/tool,,\n"
    )
    dist = _dist(tmp_path, "Name: demo\nVersion: 1.0\n", RECORD=record)
    assert Installed("demo", "1.0", dist).import_names() == ["demo", "solo"]
    declared = _dist(tmp_path / "d", "Name: demo\nVersion: 1.0\n", **{"top_level.txt": "a\nb\n"})
    assert Installed("demo", "1.0", declared).import_names() == ["a", "b"]
    bare = _dist(tmp_path / "b", "Name: demo\nVersion: 1.0\n")
    assert Installed("demo", "1.0", bare).import_names() == []
