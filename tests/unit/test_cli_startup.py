"""The console command's start-up: slow optional imports skipped in its own processes only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from jupyter_ext.cli.startup import SLOW_OPTIONAL_IMPORTS

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "examples"


def _python(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_slow_format_checker_is_skipped_and_notebooks_still_validate() -> None:
    example = next(NOTEBOOKS.rglob("*.ipynb"))
    result = _python(
        "import json, sys\n"
        "from jupyter_ext.cli.startup import skip_slow_optional_imports\n"
        "skip_slow_optional_imports()\n"
        "import nbformat\n"
        f"nb = nbformat.read({str(example)!r}, as_version=4)\n"
        "nbformat.validate(nb)\n"
        "bad = nbformat.from_dict({'nbformat': 4, 'nbformat_minor': 5, 'metadata': {},"
        " 'cells': [{'cell_type': 'code'}]})\n"
        "try:\n"
        "    nbformat.validate(bad)\n"
        "    refused = False\n"
        "except nbformat.ValidationError:\n"
        "    refused = True\n"
        "print(json.dumps({'loaded': [m for m in "
        f"{list(SLOW_OPTIONAL_IMPORTS)!r} if sys.modules.get(m) is not None],"
        " 'refused': refused}))\n"
    )
    assert result == {"loaded": [], "refused": True}


def test_nothing_changes_once_jsonschema_is_loaded() -> None:
    result = _python(
        "import json, sys\n"
        "import jsonschema\n"
        "before = {m: m in sys.modules for m in "
        f"{list(SLOW_OPTIONAL_IMPORTS)!r}}}\n"
        "from jupyter_ext.cli.startup import skip_slow_optional_imports\n"
        "skip_slow_optional_imports()\n"
        "after = {m: m in sys.modules for m in before}\n"
        "print(json.dumps({'same': before == after}))\n"
    )
    assert result == {"same": True}


def test_a_program_calling_main_keeps_its_imports() -> None:
    """Only the console command skips them: main() called from a program leaves the
    program's import system alone."""
    result = _python(
        "import json, sys, contextlib, io\n"
        "from jupyter_ext.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    with contextlib.suppress(SystemExit):\n"
        "        main(['check', '--help'])\n"
        "print(json.dumps({'blocked': [m for m in "
        f"{list(SLOW_OPTIONAL_IMPORTS)!r} if m in sys.modules and sys.modules[m] is None]}}))\n"
    )
    assert result == {"blocked": []}
