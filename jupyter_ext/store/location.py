"""Where the run store lives.

One rule for every front door (kernel, CLI, server), so that a run recorded in a kernel
is the run the CLI lists: ``$JUPYTER_EXT_STORE`` if set, else ``jupyter_ext/runs.sqlite``
under the Jupyter data directory.
"""

from __future__ import annotations

import os
from pathlib import Path

STORE_ENV = "JUPYTER_EXT_STORE"
"""Environment variable naming the store file; overrides the default location."""

STORE_FILENAME = "runs.sqlite"


def default_store_path() -> Path:
    """Return the store file to use when no explicit path was configured.

    ``$JUPYTER_EXT_STORE`` (a file path; ``~`` is expanded, an empty value counts as
    unset) wins; otherwise ``<jupyter_data_dir()>/jupyter_ext/runs.sqlite``, which
    follows ``$JUPYTER_DATA_DIR`` and the platform conventions of ``jupyter_core``.

    The result is absolute: the kernel may ``os.chdir`` later, and a store that is
    reopened after a failure must still be the same file.  Nothing is created here.
    """
    configured = os.environ.get(STORE_ENV, "").strip()
    if configured:
        return Path(os.path.expanduser(configured)).absolute()
    # Imported here: jupyter_core is cheap, but the kernel-side import of the package
    # should not pay for anything it may never use.
    from jupyter_core.paths import jupyter_data_dir

    return (Path(jupyter_data_dir()) / "jupyter_ext" / STORE_FILENAME).absolute()
