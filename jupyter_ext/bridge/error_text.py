"""The one line of a failed run's report that a person reads first.

papermill's report of a failed cell ends with the exception (``ZeroDivisionError:
division by zero``), and kernel tracebacks carry terminal colour codes. Every command
that sums up a failure in one line (``run``, ``sweep``'s table, ``pipeline run``,
``to-module``, the pytest plugin, the static checker's error rule) reads them the same
way, here.
"""

from __future__ import annotations

import re

__all__ = ["last_line", "strip_colours"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_colours(text: str) -> str:
    """``text`` without terminal escape sequences (colours, cursor moves)."""
    return _ANSI.sub("", text)


def last_line(text: str) -> str | None:
    """The last non-blank line of ``text``, stripped and without colours; None if blank."""
    lines = [line.strip() for line in strip_colours(text).splitlines() if line.strip()]
    return lines[-1] if lines else None
