"""The report formats: text, github and junit (golden-style), json (against its schema)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import jsonschema
import pytest

from jupyter_ext.bridge.check_output import render, summary
from jupyter_ext.bridge.static import CheckResult
from jupyter_ext.schemas import load_schema, validate


def finding(code: str, severity: str, index: int | None, line: int | None, message: str) -> Any:
    return {
        "kind": {"JX206": "absolute_path", "JX101": "stale", "JX208": "x"}[code],
        "code": code,
        "severity": severity,
        "cell_id": f"id{index}" if index is not None else None,
        "names": [],
        "message": message,
        "cell_index": index,
        "line": line,
    }


RESULTS = [
    CheckResult(
        "nbs/a.ipynb",
        (
            finding("JX206", "warning", 0, 3, "hard-codes the absolute path '/home/a, b'"),
            finding("JX101", "warning", 4, None, "reads `x` <changed> & more"),
        ),
    ),
    CheckResult("nbs/b.ipynb", (finding("JX208", "info", None, None, "line one\nline 100%"),)),
    CheckResult("nbs/ok.ipynb", ()),
    CheckResult("nbs/bad.ipynb", (), "not valid JSON (truncated?): Expecting value"),
]


def test_text() -> None:
    assert render(RESULTS, "text") == (
        "nbs/a.ipynb:cell 1 [id0] line 3: JX206 hard-codes the absolute path '/home/a, b'\n"
        "nbs/a.ipynb:cell 5 [id4]: JX101 reads `x` <changed> & more\n"
        "nbs/b.ipynb:notebook: JX208 line one line 100%\n"
        "nbs/bad.ipynb: error: not valid JSON (truncated?): Expecting value\n"
        "3 findings in 3 notebooks (1 file could not be read)\n"
    )


def test_text_summary_when_clean() -> None:
    assert render([CheckResult("x.ipynb", ())], "text") == "0 findings in 1 notebook\n"


def test_github_annotations_escape_and_carry_the_cell() -> None:
    lines = render(RESULTS, "github").splitlines()
    assert lines == [
        "::warning file=nbs/a.ipynb,title=JX206 absolute_path::cell 1 [id0] line 3: "
        "hard-codes the absolute path '/home/a, b'",
        "::warning file=nbs/a.ipynb,title=JX101 stale::cell 5 [id4]: reads `x` <changed> & more",
        "::notice file=nbs/b.ipynb,title=JX208 x::notebook: line one%0Aline 100%25",
        "::error file=nbs/bad.ipynb,title=jupyter-ext check::could not check this notebook: "
        "not valid JSON (truncated?): Expecting value",
        "3 findings in 3 notebooks (1 file could not be read)",
    ]


def test_github_escapes_properties() -> None:
    out = render([CheckResult("a,b:c.ipynb", (finding("JX206", "error", 0, 1, "m"),))], "github")
    assert out.startswith("::error file=a%2Cb%3Ac.ipynb,title=JX206 absolute_path::")


def test_junit_is_well_formed_xml_with_one_case_per_notebook() -> None:
    out = render(RESULTS, "junit")
    assert out.startswith('<?xml version="1.0" encoding="utf-8"?>\n')
    suite = ET.fromstring(out.split("\n", 1)[1])
    assert suite.tag == "testsuite"
    assert suite.attrib | {} == {
        "name": "jupyter-ext check",
        "tests": "4",
        "failures": "2",
        "errors": "1",
    }
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [r.path for r in RESULTS]
    failures = cases[0].findall("failure")
    assert [f.get("type") for f in failures] == ["JX206", "JX101"]
    assert failures[1].get("message") == "JX101 reads `x` <changed> & more"
    assert failures[0].text == "nbs/a.ipynb:cell 1 [id0] line 3: warning absolute_path"
    assert cases[2].findall("*") == []
    (error,) = cases[3].findall("error")
    assert error.get("message", "").startswith("not valid JSON")


def test_junit_drops_characters_xml_cannot_hold() -> None:
    bad = CheckResult("x.ipynb", (finding("JX206", "error", 0, 1, "ansi \x1b[31m red \x00"),))
    suite = ET.fromstring(render([bad], "junit").split("\n", 1)[1])
    message = suite.find("testcase/failure").get("message")  # type: ignore[union-attr]
    assert message == "JX206 ansi \ufffd[31m red \ufffd"


def test_json_validates_against_the_schema() -> None:
    document = json.loads(render(RESULTS, "json"))
    validate(document, "check")
    assert document["version"] == 1
    assert document["summary"] == {
        "files": 4,
        "checked": 3,
        "errors": 1,
        "findings": 3,
        "by_code": {"JX101": 1, "JX206": 1, "JX208": 1},
    }
    assert document["files"][3] == {
        "path": "nbs/bad.ipynb",
        "findings": [],
        "error": "not valid JSON (truncated?): Expecting value",
    }


@pytest.mark.parametrize(
    "breakage",
    [
        lambda d: d.update(version=2),
        lambda d: d["files"][0]["findings"][0].update(code="E501"),
        lambda d: d["files"][0]["findings"][0].update(severity="fatal"),
        lambda d: d["files"][0]["findings"][0].pop("cell_id"),
        lambda d: d["files"][3]["findings"].append(d["files"][0]["findings"][0]),
        lambda d: d["summary"].pop("by_code"),
    ],
)
def test_the_check_schema_rejects_broken_reports(breakage: Any) -> None:
    document = json.loads(render(RESULTS, "json"))
    breakage(document)
    with pytest.raises(jsonschema.ValidationError):
        validate(document, "check")


def test_summary_counts() -> None:
    assert summary([])["files"] == 0
    assert load_schema("check")["$schema"].endswith("2020-12/schema")
