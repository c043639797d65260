"""Parsing a cell's code without side effects the user could see.

IPython compiles the same code right after the analysis and shows its warnings then, so
the analysis must parse it silently -- without disturbing the warning registries either.
"""

from __future__ import annotations

import ast
import warnings
from typing import Any


def parse_quietly(code: str) -> ast.Module:
    """``ast.parse`` without printing the warnings (invalid escapes) that IPython's own
    compile of the same code will print anyway.

    Only the display hook is swapped, and only when a backslash makes such a warning
    possible: touching the warning *filters* would reset "shown once" registries and make
    the user's earlier warnings reappear.
    """
    if "\\" not in code:
        return ast.parse(code)
    saved = warnings.showwarning
    warnings.showwarning = _drop_warning
    try:
        return ast.parse(code)
    finally:
        warnings.showwarning = saved


def _drop_warning(*args: Any, **kwargs: Any) -> None:
    return None
