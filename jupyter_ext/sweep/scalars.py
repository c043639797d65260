"""Final values a sweep collects from each point's kernel (``--collect NAME``).

This runs *inside the user's kernel*, evaluated as a silent user expression after the
last cell (silent requests are not recorded and leave no cell in the notebook). It must
therefore run no user code: values are accepted by exact builtin type only (``bool``,
``int``, ``float``, ``None`` and short ``str``), never through ``repr``, ``__float__``
or ``json.dumps`` of a user object. Anything else is reported by its type name, so the
summary can say "not a scalar" instead of showing a misleading text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MAX_TEXT = 200

MISSING = "missing"
NOT_SCALAR = "not_scalar"


def scalar_entry(namespace: Mapping[str, Any], name: str) -> dict[str, Any]:
    """``{"value": v}`` for a scalar, else ``{"problem": ..., "type": ...}``."""
    if name not in namespace:
        return {"problem": MISSING}
    value = namespace[name]
    kind = type(value)
    if value is None or kind in (bool, int):
        return {"value": value}
    if kind is float:
        return {"value": value if math.isfinite(value) else repr(value)}
    if kind is str and len(value) <= MAX_TEXT:
        return {"value": value}
    return {"problem": NOT_SCALAR, "type": kind.__name__}


def scalars_json(namespace: Mapping[str, Any], names: list[str]) -> str:
    """One JSON object, name -> entry: what the kernel hands back to the sweep."""
    return json.dumps({name: scalar_entry(namespace, name) for name in names})


def expression(names: list[str]) -> str:
    """The user expression that evaluates :func:`scalars_json` in a kernel."""
    module = "jupyter_ext.sweep.scalars"
    return (
        f"__import__({module!r}, fromlist=['scalars_json'])"
        f".scalars_json(get_ipython().user_ns, {list(names)!r})"
    )


def display_value(entry: Mapping[str, Any] | None) -> Any:
    """What the summary shows for one collected entry (``None`` when it failed)."""
    if not entry:
        return None
    if "value" in entry:
        return entry["value"]
    return None
