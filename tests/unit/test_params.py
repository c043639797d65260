"""Parameters read exactly as papermill reads them (its ``-p`` and ``-f``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jupyter_ext.bridge.params import (
    ParameterError,
    load_parameter_file,
    merge_parameters,
    resolve_type,
)

VALUES = ["3", "-2", "1_000", "3.5", "1e3", "nan", "True", "False", "None", "true", "abc", ""]
VALUES += [" 7 ", "0x10"]


@pytest.mark.parametrize("value", VALUES)
def test_p_values_are_typed_like_papermill(value: str) -> None:
    from papermill.cli import _resolve_type

    ours, theirs = resolve_type(value), _resolve_type(value)
    assert type(ours) is type(theirs)
    assert ours == theirs or (ours != ours and theirs != theirs)  # nan


def test_files_keep_dates_as_text_and_cli_pairs_win(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    first.write_text("day: 2024-01-31\nn: 3\nname: a\nnested: {k: [1, 2]}\n")
    second = tmp_path / "b.yml"
    second.write_text("name: b\n")
    merged = merge_parameters([first, second], [("n", "5"), ("ratio", "0.5")])
    expected = {"day": "2024-01-31", "n": 5, "name": "b", "nested": {"k": [1, 2]}, "ratio": 0.5}
    assert merged == expected


def test_an_empty_file_is_no_parameters(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_parameter_file(empty) == {}


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("n: [1, 2\n", "not valid YAML at line"),
        ("- 1\n- 2\n", "expected a mapping"),
        ("1: x\n", "must be identifiers"),
    ],
)
def test_bad_files_give_one_line(tmp_path: Path, text: str, words: str) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ParameterError, match=words) as info:
        load_parameter_file(bad)
    assert "\n" not in str(info.value)


def test_missing_file_and_bad_names_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="cannot read"):
        load_parameter_file(tmp_path / "nope.yaml")
    with pytest.raises(ParameterError, match="identifier"):
        merge_parameters(pairs=[("not a name", "1")])
