"""Small builders for notebooks as the static checker reads them (plain nbformat 4 dicts)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = {"output_type": "stream", "name": "stdout", "text": "ok\n"}


def code(
    source: str,
    count: int | None = None,
    *,
    outputs: list[dict[str, Any]] | None = None,
    id: str | None = None,
    tags: list[str] | None = None,
    metadata: dict[str, Any] | None = None,
) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "cell_type": "code",
        "source": source,
        "execution_count": count,
        "outputs": outputs if outputs is not None else ([OUT] if count else []),
        "metadata": dict(metadata or {}),
    }
    if tags:
        cell["metadata"]["tags"] = tags
    if id is not None:
        cell["id"] = id
    return cell


def md(text: str, id: str | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": "markdown", "source": text, "metadata": {}}
    if id is not None:
        cell["id"] = id
    return cell


def notebook(*cells: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """Cells without an id get ``c<index>``."""
    out = []
    for i, cell in enumerate(cells):
        cell = dict(cell)
        cell.setdefault("id", f"c{i}")
        out.append(cell)
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": metadata or {}, "cells": out}


def write(path: Path, nb: dict[str, Any]) -> Path:
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def error_output(ename: str = "ZeroDivisionError", evalue: str = "division by zero") -> dict:
    return {
        "output_type": "error",
        "ename": ename,
        "evalue": evalue,
        "traceback": [
            "\x1b[0;31m----> 2\x1b[0m x \x1b[38;5;241m/\x1b[39m 0",
            "Cell \x1b[0;32mIn[3], line 2\x1b[0m\n\x1b[1;32m----> 2\x1b[0m 1/0",
        ],
    }
