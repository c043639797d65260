"""What a ``jupyter-ext`` process does before any command runs, in processes it owns.

jsonschema (pulled in by nbformat, hence by papermill and nbclient) imports the optional
``rfc3987_syntax`` package at import time, when it is installed, to check the ``iri``
and ``iri-reference`` formats; that package compiles a grammar as it is imported, which
takes 1.3 to 1.6 s here -- most of the cost of starting a command that runs a notebook,
and paid again by every sweep worker (upstream: python-jsonschema/jsonschema#1392; its
maintained fork, rfc3987-syntax2, loads lazily). No schema these processes validate
(nbformat's notebook schemas, papermill's) uses those formats, so the console command
and the local sweep workers tell the import system the package is absent. jsonschema
then leaves the two format checks out, as it does wherever the package is not
installed.

Only processes the command starts itself do this: never a user's kernel, a pytest run
that loads the plugin, a Dask worker, or a program calling :func:`~.main.main`.
"""

from __future__ import annotations

import sys

SLOW_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_slow_optional_imports() -> None:
    """Mark the slow optional packages absent, unless something already imported them
    (then they are paid for) or jsonschema is already loaded (then it is too late)."""
    if "jsonschema" in sys.modules:
        return
    for name in SLOW_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # import raises ImportError
