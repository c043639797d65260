"""The report formats of ``jupyter-ext check``: text, json, github and junit.

* ``text``: ``PATH:cell N [ID]: CODE message`` per finding (N is 1-based, as a person
  counts cells; JSON's ``cell_index`` is 0-based), `` line L`` after the id when the
  finding has one; ``PATH: error: problem`` per unreadable file; then a summary line.
* ``json``: one object, ``{"version": 1, "files": [...], "summary": {...}}``, validated by
  ``jupyter_ext/schemas/check.schema.json``.
* ``github``: workflow commands (``::warning file=PATH,title=CODE::message``) that GitHub
  shows as annotations on the pull request.  An annotation cannot point into a cell (its
  ``line`` is a line of the JSON file), so the cell number goes into the message.
  ``error`` severity gives ``::error``, ``info`` gives ``::notice``.
* ``junit``: one ``<testsuite>``, one ``<testcase>`` per notebook, one ``<failure>`` per
  finding (``<error>`` for an unreadable file), for CI systems that show test reports.

All pure: results in, one string out.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from .static import CheckResult

__all__ = ["FORMATS", "render", "summary"]

REPORT_VERSION = 1
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def summary(results: Sequence[CheckResult]) -> dict[str, Any]:
    codes = Counter(f["code"] for r in results for f in r.findings)
    return {
        "files": len(results),
        "checked": sum(1 for r in results if r.error is None),
        "errors": sum(1 for r in results if r.error is not None),
        "findings": sum(codes.values()),
        "by_code": dict(sorted(codes.items())),
    }


def _where(finding: dict[str, Any]) -> str:
    """``cell 5 [id]``, ``cell 5 [id] line 3`` or ``notebook`` (no cell)."""
    index = finding.get("cell_index")
    if not isinstance(index, int):
        return "notebook"
    where = f"cell {index + 1}"
    if finding.get("cell_id"):
        where += f" [{finding['cell_id']}]"
    if isinstance(finding.get("line"), int):
        where += f" line {finding['line']}"
    return where


def summary_line(results: Sequence[CheckResult]) -> str:
    total = summary(results)
    n, files = total["findings"], total["checked"]
    line = f"{n} finding{'s' if n != 1 else ''} in {files} notebook{'s' if files != 1 else ''}"
    if total["errors"]:
        bad = total["errors"]
        line += f" ({bad} file{'s' if bad != 1 else ''} could not be read)"
    return line


def render_text(results: Sequence[CheckResult]) -> str:
    lines = []
    for result in results:
        if result.error is not None:
            lines.append(f"{result.path}: error: {result.error}")
        for f in result.findings:
            message = " ".join(str(f["message"]).splitlines())  # one finding, one line
            lines.append(f"{result.path}:{_where(f)}: {f['code']} {message}")
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"


def render_json(results: Sequence[CheckResult]) -> str:
    document = {
        "version": REPORT_VERSION,
        "files": [
            {"path": r.path, "findings": list(r.findings), "error": r.error} for r in results
        ],
        "summary": summary(results),
    }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(results: Sequence[CheckResult]) -> str:
    lines = []
    for result in results:
        file = _escape_property(result.path)
        if result.error is not None:
            message = _escape_data(f"could not check this notebook: {result.error}")
            lines.append(f"::error file={file},title=jupyter-ext check::{message}")
        for f in result.findings:
            level = _LEVEL.get(str(f.get("severity")), "warning")
            title = _escape_property(f"{f['code']} {f['kind']}")
            message = _escape_data(f"{_where(f)}: {f['message']}")
            lines.append(f"::{level} file={file},title={title}::{message}")
    lines.append(summary_line(results))
    return "\n".join(lines) + "\n"


def _xml(text: str) -> str:
    """XML 1.0 cannot hold control characters or lone surrogates even escaped: drop them."""
    return _NOT_XML.sub("\ufffd", text)


def render_junit(results: Sequence[CheckResult]) -> str:
    total = summary(results)
    suite = ET.Element(
        "testsuite",
        name="jupyter-ext check",
        tests=str(len(results)),
        failures=str(sum(1 for r in results if r.findings)),
        errors=str(total["errors"]),
    )
    for result in results:
        path = _xml(result.path)
        case = ET.SubElement(suite, "testcase", classname="jupyter-ext.check", name=path)
        if result.error is not None:
            ET.SubElement(case, "error", message=_xml(result.error), type="unreadable")
        for f in result.findings:
            message = _xml(f"{f['code']} {f['message']}")
            failure = ET.SubElement(case, "failure", message=message, type=str(f["code"]))
            failure.text = _xml(f"{path}:{_where(f)}: {f['severity']} {f['kind']}")
    ET.indent(suite)
    body = ET.tostring(suite, encoding="unicode")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body + "\n"


FORMATS: dict[str, Callable[[Sequence[CheckResult]], str]] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
    "junit": render_junit,
}


def render(results: Sequence[CheckResult], fmt: str = "text") -> str:
    return FORMATS[fmt](results)
