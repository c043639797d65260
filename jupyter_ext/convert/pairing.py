"""Pair the notebook with a ``py:percent`` script through jupytext, as
``jupytext --set-formats ipynb,py:percent NB`` does: the notebook's metadata names the
pair and the script is written next to it, so the code can be read, diffed and
reviewed as text, and edits on either side sync back with ``jupytext --sync``.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

PERCENT = "py:percent"


class PairingError(RuntimeError):
    """jupytext could not pair the notebook; the message is one line."""


def paired_script(notebook: Path) -> Path:
    """Where jupytext writes the ``py:percent`` twin of ``notebook``."""
    return notebook.with_suffix(".py")


def pair_notebook(notebook: Path) -> Path:
    """Pair ``notebook`` (keeping formats it is already paired with); the script's path."""
    import jupytext
    from jupytext.cli import jupytext as jupytext_cli

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb = jupytext.read(notebook)
    except Exception as exc:
        raise PairingError(f"{notebook}: jupytext cannot read it ({_line(exc)})") from exc
    current = nb.metadata.get("jupytext", {}).get("formats") or "ipynb"
    formats = [f for f in str(current).split(",") if f]
    if not any(f.endswith(PERCENT) or f == "py" for f in formats):
        formats.append(PERCENT)
    args = ["--set-formats", ",".join(formats), "--quiet", str(notebook)]
    out = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(out),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")  # nbformat's advice on ids, not ours to give
            code = jupytext_cli(args)
    except (Exception, SystemExit) as exc:
        raise PairingError(f"{notebook}: jupytext could not pair it ({_line(exc)})") from exc
    if code:
        raise PairingError(f"{notebook}: jupytext could not pair it ({out.getvalue().strip()})")
    return paired_script(notebook)


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
