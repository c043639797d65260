"""Opting out: ``# noqa`` comments in cells, ``jupyter_ext.ignore`` metadata, select/ignore."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jupyter_ext.bridge.static import check_notebook, matches

from .static_helpers import code, notebook, write

PATHS = "a = '/home/ana/a.csv'\nb = 'C:/b.csv'"


def found(tmp_path: Path, nb: dict[str, Any], **kwargs: Any) -> list[tuple[str, int | None]]:
    result = check_notebook(write(tmp_path / "nb.ipynb", nb), **kwargs)
    assert result.error is None
    return [(f["code"], f["cell_index"]) for f in result.findings]


def two_rules() -> dict[str, Any]:
    """JX206 in cell 0, JX105 in cell 1."""
    return notebook(code(PATHS), code("print(undefined_name)"))


def test_without_opt_outs_both_rules_fire(tmp_path: Path) -> None:
    assert found(tmp_path, two_rules()) == [("JX206", 0), ("JX206", 0), ("JX105", 1)]


@pytest.mark.parametrize(
    "comment",
    ["# noqa: JX206", "# NOQA:JX206", "# noqa: E501, JX206", "# jupyter-ext: noqa: JX2", "# noqa"],
)
def test_noqa_comment_silences_the_codes_for_that_cell(tmp_path: Path, comment: str) -> None:
    nb = notebook(code(f"{comment}\n{PATHS}"), code(f"print(undefined_name)  {comment}"))
    remaining = found(tmp_path, nb)
    assert ("JX206", 0) not in remaining
    expected = [] if comment == "# noqa" else [("JX105", 1)]
    assert remaining == expected


def test_noqa_with_foreign_codes_only_silences_nothing(tmp_path: Path) -> None:
    nb = notebook(code(f"{PATHS}  # noqa: E402"))
    assert found(tmp_path, nb) == [("JX206", 0), ("JX206", 0)]


def test_noqa_codes_do_not_spill_onto_the_next_line(tmp_path: Path) -> None:
    nb = notebook(code(f"# noqa: JX105\n{PATHS}"))
    assert [c for c, _ in found(tmp_path, nb)] == ["JX206", "JX206"]


def test_notebook_metadata_ignores_codes(tmp_path: Path) -> None:
    nb = two_rules()
    nb["metadata"]["jupyter_ext"] = {"ignore": ["JX206"]}
    assert found(tmp_path, nb) == [("JX105", 1)]


def test_cell_metadata_ignores_codes_for_that_cell(tmp_path: Path) -> None:
    nb = notebook(code(PATHS, metadata={"jupyter_ext": {"ignore": ["JX206"]}}), code(PATHS))
    assert found(tmp_path, nb) == [("JX206", 1), ("JX206", 1)]


def test_select_and_ignore_by_prefix(tmp_path: Path) -> None:
    nb = two_rules()
    assert found(tmp_path, nb, select=["JX1"]) == [("JX105", 1)]
    assert found(tmp_path, nb, select=["JX2", "JX105"], ignore=["JX20"]) == [("JX105", 1)]
    assert found(tmp_path, nb, ignore=["jx"]) == []


def test_matches_is_a_case_insensitive_prefix_match() -> None:
    assert matches("JX206", ["jx2"]) and not matches("JX206", ["JX1", " "])
