"""Pair the notebook with a ``py:percent`` script, the way jupytext pairs notebooks: the
notebook's ``jupytext.formats`` metadata names the pair and the script sits next to it,
so the code can be read, diffed and reviewed as text, and edits on either side sync
back with ``jupytext --sync``.

Only two files are ever written, and the caller reports each:

* the script, when it does not exist yet (a script the notebook is already paired with
  is left as it is: it may hold edits the notebook lacks, and ``jupytext --sync``
  reconciles them by their times, which this command should not decide);
* the notebook, when its pairing gains ``py:percent``: its metadata changes, nothing
  else (jupytext writes it back as read, cells and outputs included).

Other files the pairing names (``NB.md`` for a notebook paired ``ipynb,md``) are neither
rewritten nor created; ``jupytext --set-formats`` would do both, and take the cells from
whichever paired file is newest. A file at the script's path that the notebook is not
paired with is refused, not overwritten.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PERCENT = "py:percent"


class PairingError(RuntimeError):
    """jupytext could not pair the notebook; the message is one line."""


@dataclass(frozen=True, slots=True)
class Pairing:
    """What pairing did, file by file."""

    script: Path
    """The notebook's Python script twin."""
    script_written: bool
    """False: the notebook was already paired with it, and it exists: left as it is."""
    formats_before: str | None
    """The notebook's ``jupytext.formats`` as read (None: not in its metadata)."""
    formats_after: str | None
    """The same after pairing; differs from ``formats_before`` when the notebook changed."""
    others: tuple[tuple[Path, bool], ...] = ()
    """Other files the pairing names, and whether each exists; none was touched."""

    @property
    def notebook_changed(self) -> bool:
        return self.formats_after != self.formats_before


def paired_script(notebook: Path) -> Path:
    """Where the ``py:percent`` twin of an unpaired ``notebook`` goes."""
    return notebook.with_suffix(".py")


def pair_notebook(notebook: Path) -> Pairing:
    """Pair ``notebook`` with a script, keeping the formats it is already paired with."""
    import jupytext
    from jupytext.formats import long_form_multiple_formats, short_form_multiple_formats

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # nbformat's advice on ids, not ours to give
            nb = jupytext.read(notebook)
    except Exception as exc:
        raise PairingError(f"{notebook}: jupytext cannot read it ({_line(exc)})") from exc
    ours = nb.metadata.get("jupytext", {}).get("formats")
    before = ours if isinstance(ours, str) and ours else None
    try:
        current = before or _configured_formats(nb, notebook) or "ipynb"
        formats = long_form_multiple_formats(current)
        paired = [f for f in formats if f.get("extension") == ".py"]
        after = before
        if not paired:
            formats = [*formats, long_form_multiple_formats(PERCENT)[0]]
            after = short_form_multiple_formats(formats)
        paths = _paths(notebook, after or current)
    except PairingError:
        raise
    except Exception as exc:
        raise PairingError(f"{notebook}: jupytext could not pair it ({_line(exc)})") from exc
    script = next(path for path, fmt in paths if fmt.get("extension") == ".py")
    others = tuple(
        (path, path.exists()) for path, _ in paths if path not in (notebook.absolute(), script)
    )
    if paired and script.exists():
        return Pairing(script, False, before, after, others)
    if not paired and script.exists():
        raise PairingError(
            f"{script} exists and {notebook.name} is not paired with it: to-module does not "
            "overwrite it (move it away, or pass --no-pair)"
        )
    if after != before:
        nb.metadata.setdefault("jupytext", {})["formats"] = after
    _write(nb, notebook, script, rewrite_notebook=after != before)
    return Pairing(script, True, before, after, others)


def _configured_formats(nb: Any, notebook: Path) -> str | None:
    """The pairing a jupytext configuration file gives the notebook, if any."""
    from jupytext.config import load_jupytext_config, notebook_formats
    from jupytext.formats import short_form_multiple_formats

    config = load_jupytext_config(str(notebook.absolute()))
    if config is None:
        return None
    found = notebook_formats(nb, config, str(notebook), fallback_on_current_fmt=False)
    return short_form_multiple_formats(found) if found and len(found) > 1 else None


def _paths(notebook: Path, formats: str) -> list[tuple[Path, dict[str, str]]]:
    from jupytext.paired_paths import paired_paths

    main = str(notebook.absolute())
    return [(Path(path), fmt) for path, fmt in paired_paths(main, "ipynb", formats)]


def _write(nb: Any, notebook: Path, script: Path, *, rewrite_notebook: bool) -> None:
    """Both texts are made (and the notebook validated) before either file is written."""
    import jupytext
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(nb)  # nbformat would only log it, and write it anyway
            script_text = jupytext.writes(nb, fmt=PERCENT)
            notebook_text = jupytext.writes(nb, fmt="ipynb") if rewrite_notebook else None
    except Exception as exc:
        raise PairingError(f"{notebook}: jupytext could not pair it ({_line(exc)})") from exc
    try:
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(_ending(script_text), encoding="utf-8")
        if notebook_text is not None:
            notebook.write_text(_ending(notebook_text), encoding="utf-8")
    except OSError as exc:
        raise PairingError(f"{notebook}: cannot write the pairing ({exc.strerror or exc})") from exc


def _ending(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def shown(path: Path) -> str:
    """``path`` as a report shows it: relative to the working directory when inside it."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
