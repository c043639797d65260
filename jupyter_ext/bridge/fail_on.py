"""Which findings fail: ``jupyter-ext check --fail-on`` and ``pytest --jx-fail-on``.

One definition for both, so the command and the plugin agree: a level names the lowest
severity that fails (``info`` < ``warning`` < ``error``), ``none`` fails nothing, and
the default is ``warning``, so ``info`` findings alone (execution-count gaps, imports
below the top) are reported but pass. Tiny on purpose: the command line and pytest
import it before any notebook is read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DEFAULT_FAIL_ON", "FAIL_ON", "failing"]

SEVERITIES = ("info", "warning", "error")
FAIL_ON = (*SEVERITIES, "none")
DEFAULT_FAIL_ON = "warning"


def failing(findings: Iterable[Mapping[str, Any]], level: str) -> list[Mapping[str, Any]]:
    """The findings at or above severity ``level`` (one of :data:`FAIL_ON`)."""
    if level not in SEVERITIES:
        return []
    wanted = set(SEVERITIES[SEVERITIES.index(level) :])
    return [f for f in findings if f.get("severity") in wanted]
