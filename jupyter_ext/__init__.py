"""jupyter-ext: notebook hygiene and tracking for Jupyter.

``%load_ext jupyter_ext`` starts recording in an IPython kernel.  This module stays
light on purpose: it is imported inside every tracked kernel, so anything heavy
(jupyter_server, pandas, papermill) is imported lazily by the code that needs it.
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = ["__version__", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Entry point of ``%load_ext jupyter_ext``; loading twice is harmless."""
    from .capture.extension import load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Entry point of ``%unload_ext jupyter_ext``: stops recording, flushes the store."""
    from .capture.extension import unload

    unload(ipython)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "../labextension", "dest": "jupyter-ext"}]
