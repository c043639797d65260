"""pytest plugin: ``pytest --jx notebooks/`` runs notebooks as tests with recording on."""

from __future__ import annotations

from typing import Any


def pytest_addoption(parser: Any) -> None:
    group = parser.getgroup("jupyter-ext", "notebooks as tests, recorded by jupyter-ext")
    group.addoption(
        "--jx",
        action="store_true",
        default=False,
        help="collect .ipynb files as tests and run them headless with recording on",
    )
