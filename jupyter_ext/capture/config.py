"""User-facing settings of the kernel extension, as traitlets configuration.

Configurable like any IPython component (``c.JupyterExt.store_path = ...`` in
``ipython_config.py`` or ``ipython_kernel_config.py``), so the extension follows the
conventions users already know. Environment variables win over configuration because
they are how headless runners and CI set things per run without touching files.
"""

from __future__ import annotations

import os

from traitlets import Bool, Float, Int, List, Unicode
from traitlets.config import Configurable

from ..core.source_redaction import redact_source


class JupyterExt(Configurable):
    """Settings of the ``jupyter_ext`` IPython extension."""

    store_path = Unicode(
        "",
        help="Path of the SQLite run store. Empty: $JUPYTER_EXT_STORE if set, else "
        "jupyter_ext/runs.sqlite under the Jupyter data directory.",
    ).tag(config=True)

    enabled = Bool(
        True, help="Record executions. $JUPYTER_EXT_DISABLE=1 turns recording off too."
    ).tag(config=True)

    capture_environment = Bool(
        True,
        help="Record the run's environment (interpreter, platform, packages, git state, "
        "allow-listed environment variables) once per run, off the cell's path.",
    ).tag(config=True)

    background_digest_bytes = Int(
        1 << 20,
        help="Values estimated larger than this many bytes are digested on a background "
        "thread, so big arrays do not delay the cell's reply.",
    ).tag(config=True)

    finalize_delay = Float(
        0.015,
        help="Seconds the background worker waits after the last cell before it digests "
        "big values and completes records, so that it does not compete with the reply "
        "for the interpreter. Records are committed before each reply either way (with "
        "big digests marked pending until the worker has them).",
    ).tag(config=True)

    full_sweep_max_names = Int(
        500,
        help="Namespaces up to this many names are swept for identity changes after every "
        "cell; larger ones only after cells that can rebind names invisibly (exec, "
        "globals(), magics, calls of functions that declare globals).",
    ).tag(config=True)

    track_files = Bool(
        True,
        help="Record the files each cell opens for reading or writing (data lineage), "
        "with their size and content digest after the cell.",
    ).tag(config=True)

    file_digest_bytes = Int(
        256 * 2**20,
        help="Files larger than this many bytes get a size but no content digest (the "
        "digest is marked opaque, as for variables over their budget).",
    ).tag(config=True)

    file_max_per_execution = Int(
        1000,
        help="At most this many files are recorded per execution (the first by path); "
        "a notice says when more were opened.",
    ).tag(config=True)

    history_limit = Int(
        2000,
        help="Executions kept in full in the kernel's memory for the timeline, lineage, "
        "gather and hygiene; older ones stay in the run store (jupyter-ext show RUN), and "
        "only what the hygiene rules still need of them is kept (each cell's last run, "
        "each name's last writer). Values below 100 count as 100.",
    ).tag(config=True)

    file_exclude = List(
        Unicode(),
        help="Further directories whose files are never recorded (the store, IPython's "
        "history, the Python installation, system directories and plotting libraries' "
        "font caches are always left out).",
    ).tag(config=True)

    redact_sources = Bool(
        True,
        help="Store cell sources with their secrets replaced by '<redacted>' (string "
        "literals bound to names such as api_key or password, credentials in URLs, "
        "known key formats, passwords on shell lines). False keeps sources verbatim; "
        "the stored source hash is computed over the redacted source either way.",
    ).tag(config=True)

    def stored_source(self, raw: str) -> str:
        """What the run store keeps of a cell's source: redacted unless configured off."""
        return redact_source(raw) if self.redact_sources else raw


MIN_HISTORY_LIMIT = 100
"""Fewer held executions would make the timeline and lineage of an ordinary notebook
session say "not kept in memory" after a few minutes of work."""


def history_window(settings: JupyterExt) -> int:
    """The effective ``history_limit``: a value too small to be useful (0, negative)
    is raised to :data:`MIN_HISTORY_LIMIT` rather than refused, so a typo in a config
    file never stops a kernel from recording."""
    return max(int(settings.history_limit), MIN_HISTORY_LIMIT)


def disabled_by_environment() -> bool:
    return os.environ.get("JUPYTER_EXT_DISABLE", "").strip().lower() in {"1", "true", "yes", "on"}
