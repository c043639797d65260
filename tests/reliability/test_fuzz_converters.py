"""Property-based fuzzing of the converters and the parameter reader on bad notebooks.

``jupyter-ext to-module`` (without its recording run) and ``jupyter-ext to-pipeline
--dry-run`` are called in process on valid, arbitrary-JSON and byte-mutated notebooks,
and the typed-parameters reader on valid ones with random parameter values. Each call
must end within a time bound with exit code 0, 1 or 2, never a traceback; a refusal
(exit 2) is exactly one line on stderr naming the file; a module written from a notebook
must be valid Python. Parameter checks either convert or raise one ``ParameterError``
line naming the parameter.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jupyter_ext.bridge.params import ParameterError
from jupyter_ext.cli.main import main
from jupyter_ext.pipeline.typed_params import check_parameters, declared_parameters

from .bounds import time_bound
from .notebook_strategies import json_documents, json_values, mutated_notebooks, valid_notebooks

EXAMPLES = int(os.environ.get("JX_FUZZ_EXAMPLES", "150")) // 2
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
any_notebook = st.one_of(
    valid_notebooks().map(lambda nb: json.dumps(nb).encode()),
    json_documents(),
    mutated_notebooks(),
)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-convert")


def call(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_bound(30):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def assert_clean_exit(code: int, stdout: str, stderr: str, name: str) -> None:
    assert code in (0, 1, 2)
    assert "Traceback" not in stdout + stderr, stderr[-2000:]
    if code == 2:
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and name in lines[0], lines


@FUZZ
@given(data=any_notebook)
def test_to_module_on_any_notebook(scratch: Path, data: bytes) -> None:
    nb = scratch / "fuzzed.ipynb"
    nb.write_bytes(data)
    module = scratch / "fuzzed_module.py"
    module.unlink(missing_ok=True)
    code, out, err = call(["to-module", str(nb), "-o", str(module), "--no-record", "--no-pair"])
    assert_clean_exit(code, out, err, nb.name)
    if code == 0:
        compile(module.read_text(encoding="utf-8"), str(module), "exec")


@FUZZ
@given(data=any_notebook)
def test_to_pipeline_dry_run_on_any_notebook(scratch: Path, data: bytes) -> None:
    nb = scratch / "step.ipynb"
    nb.write_bytes(data)
    before = nb.read_bytes()
    spec = scratch / "pipeline.yaml"
    code, out, err = call(["to-pipeline", str(nb), "--dry-run", "-o", str(spec)])
    assert_clean_exit(code, out, err, nb.name)
    assert not spec.exists() and nb.read_bytes() == before  # a dry run writes nothing


parameter_names = st.one_of(
    st.sampled_from(["x", "n_rows", "rate", "flag", "names", "path"]), st.text(max_size=12)
)
parameter_values = st.one_of(
    json_values, st.sampled_from(["3", "3.5", "yes", "true", "[1, 2]", "{}", "nan", ""])
)


@FUZZ
@given(
    nb=valid_notebooks(),
    params=st.dictionaries(parameter_names, parameter_values, max_size=4),
)
def test_typed_parameters_convert_or_say_why(nb: dict[str, Any], params: dict[str, Any]) -> None:
    with time_bound(10):
        declared = declared_parameters(nb)
        try:
            converted = check_parameters(nb, params)
        except ParameterError as exc:
            message = str(exc)
            assert message.strip() and "\n" not in message, message
            return
    assert set(converted) == set(params) <= set(declared)
