"""Public JSON schemas: the run record (``jupyter_ext.run/1``), the check report and the
pipeline spec (``jupyter_ext.pipeline/1``).

They ship inside the package so that users' scripts and CI can validate what the tools
produce without a network fetch.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

__all__ = ["SCHEMAS", "load_schema", "validate"]

SCHEMAS = ("run", "check", "pipeline")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``name`` (``"run"`` or ``"check"``) as a dict."""
    if name not in SCHEMAS:
        raise ValueError(f"unknown schema {name!r}: one of {', '.join(SCHEMAS)}")
    text = files(__name__).joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate(document: object, name: str) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``document`` matches schema ``name``."""
    import jsonschema

    schema = load_schema(name)
    validator = jsonschema.Draft202012Validator(schema)
    validator.validate(document)
