"""A short coverage-guided fuzz run of the static checker (atheris), seeded with real
notebooks. ``JX_ATHERIS_SECONDS`` sets its length (20 by default)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .notebook_strategies import SEED_NOTEBOOKS

pytestmark = pytest.mark.slow

SECONDS = int(os.environ.get("JX_ATHERIS_SECONDS", "20"))
TARGET = Path(__file__).with_name("atheris_checker.py")


@pytest.mark.skipif(sys.platform != "linux", reason="the test extra installs atheris on Linux only")
def test_atheris_finds_no_crash_in_the_checker(tmp_path: Path) -> None:
    import atheris  # noqa: F401  (on Linux the test extra installs it: missing is a failure)

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in SEED_NOTEBOOKS:
        shutil.copy(seed, corpus / seed.name)
    done = subprocess.run(
        [
            sys.executable,
            str(TARGET),
            f"-max_total_time={SECONDS}",
            "-timeout=10",  # one input taking longer is a hang, reported as a crash
            "-rss_limit_mb=4096",
            "-max_len=65536",
            f"-artifact_prefix={tmp_path}/",
            str(corpus),
        ],
        capture_output=True,
        text=True,
        timeout=SECONDS + 240,
        check=False,
    )
    crashes = [p.name for p in tmp_path.iterdir() if p.name.startswith(("crash-", "timeout-"))]
    assert done.returncode == 0 and not crashes, (crashes, done.stderr[-3000:])
    runs = [line for line in done.stderr.splitlines() if line.startswith("Done ")]
    assert runs, done.stderr[-2000:]  # e.g. "Done 12345 runs in 20 second(s)"
    print("\natheris:", runs[-1])
