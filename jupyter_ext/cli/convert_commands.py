"""``to-module``: a notebook as an importable module, plus a test proving it computes
what the notebook computed.

Exit codes: 0 converted; 1 the recorded run failed, or ``--strict`` and some code could
not be carried over as it is; 2 usage or input error.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, store_path
from .run_commands import add_parameter_options, read_notebook, typed_parameters


def _command(args: argparse.Namespace) -> str:
    words = ["jupyter-ext", "to-module", args.notebook, "-o", args.output]
    if args.test:
        words += ["-t", args.test]
    for name, value in args.parameters or ():
        words += ["-p", name, value]
    for path in args.parameters_file or ():
        words += ["-f", path]
    if args.testbook:
        words.append("--testbook")
    return shlex.join(words)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else ""


def cmd_to_module(args: argparse.Namespace) -> int:
    from ..convert.export import ConversionError, Options, convert_notebook

    notebook = Path(args.notebook)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat's advice on missing ids
        read_notebook(notebook)
    if args.runs < 1:
        raise UsageError(f"--runs must be at least 1, not {args.runs}")
    bar = {"desc": f"{notebook.name} (recording)", "disable": None, "leave": False,
           "file": sys.stderr}  # fmt: skip
    options = Options(
        output=Path(args.output),
        test=Path(args.test) if args.test else None,
        pair=not args.no_pair,
        record=not args.no_record,
        testbook=args.testbook,
        parameters=typed_parameters(args, notebook),
        runs=args.runs,
        command=_command(args),
        engine={
            "store": store_path(args.store),
            "kernel_name": args.kernel,
            "timeout": args.timeout,
            "progress_bar": bar,
        },
    )
    try:
        done = convert_notebook(notebook, options)
    except ConversionError as exc:
        raise UsageError(str(exc)) from exc
    except (KeyboardInterrupt, UsageError):
        raise
    except Exception as exc:  # a bug must cost one line, not a traceback
        print(
            f"jupyter-ext: {notebook}: internal error while converting "
            f"({type(exc).__name__}: {_one_line(exc)})",
            file=sys.stderr,
        )
        return EXIT_FAILED
    plan = done.plan
    if done.pairing is not None:
        for line in _pairing_report(notebook, done.pairing):
            print(line)
    shown = len(plan.returns) + len(plan.maybe_returns)
    print(
        f"wrote {done.module}: {_count(len(plan.imports), 'import')} and "
        f"{_count(len(plan.definitions), 'definition')} at module level; run() takes "
        f"{_count(len(plan.parameters), 'parameter')} and returns {_count(shown, 'value')}"
    )
    for report in plan.reports:
        print(f"{notebook}: {report.message()}")
    if done.test is not None and done.expected is not None:
        left = len(done.expected.excluded)
        print(
            f"wrote {done.test}: {len(done.expected.digests)} value digests from run "
            f"{done.expected.run_id}"
            + (f" ({left} not comparable, listed in the file)" if left else "")
        )
    if not args.no_record:
        print(f"recorded the runs of {notebook} in the run store {store_path(args.store)}")
    if done.run_error is not None:
        print(f"jupyter-ext: no test written: {done.run_error}", file=sys.stderr)
        return EXIT_FAILED
    if args.strict and any(r.blocking for r in plan.reports):
        print(
            f"jupyter-ext: {notebook}: some code was not carried over as it is (--strict)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return EXIT_OK


def _pairing_report(notebook: Path, pairing: Any) -> list[str]:
    """One line per file the pairing wrote, changed, or left alone although it names it."""
    from ..convert.pairing import shown

    sync = f"`jupytext --sync {notebook}` updates it"
    lines = []
    if pairing.notebook_changed:
        lines.append(
            f"changed {notebook}: jupytext formats {pairing.formats_before or '(none)'} -> "
            f"{pairing.formats_after} (metadata only; cells and outputs as they were)"
        )
    script = shown(pairing.script)
    if pairing.script_written:
        lines.append(f"wrote {script}: the notebook as a py:percent script, paired with it")
    else:
        lines.append(f"left {script} as it is: the notebook's paired script already ({sync})")
    for path, exists in pairing.others:
        if exists:
            lines.append(f"left {shown(path)} as it is: also paired with the notebook ({sync})")
        else:
            lines.append(f"did not create {shown(path)}: the pairing names it, it does not exist")
    return lines


def add_parsers(sub: Any) -> None:
    p = sub.add_parser(
        "to-module",
        help="convert a notebook into an importable module and a test that checks it",
        description="Pair NB with a py:percent script (jupytext: NB's jupytext metadata "
        "gains py:percent and the script is written beside it, unless NB is paired with "
        "one already; other files the pairing names are neither changed nor created) and "
        "write an importable module: imports, functions, classes and constants at module "
        "level, the rest in "
        "run(**parameters), which returns the notebook's final named values; importing it "
        "runs nothing else. Then run the notebook with recording on and write a pytest file "
        "that calls run() and compares each value's content digest with the notebook's. "
        "Code that cannot be carried over (shell escapes, %run, %cd, out-of-order reads) "
        "is reported with its cell and marked in the module. The report names every file "
        "written or changed. Exit codes: 0 converted, "
        "1 the notebook run failed (or --strict and something was reported), 2 bad input.",
    )
    p.add_argument("notebook", metavar="NB", help="the notebook to convert (.ipynb)")
    p.add_argument("-o", "--output", required=True, metavar="PATH.py", help="module to write")
    p.add_argument(
        "-t",
        "--test",
        metavar="PATH",
        help="test file to write (default: test_<module>.py next to the module)",
    )
    p.add_argument(
        "--no-pair", action="store_true", help="do not pair NB with a .py script: NB is not changed"
    )
    p.add_argument(
        "--no-record", action="store_true", help="write the module only: no run, no test"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any code was left out or may run differently from the notebook",
    )
    p.add_argument(
        "--testbook",
        action="store_true",
        help="also write a test that executes the notebook itself (testbook) and compares "
        "its values with the module's",
    )
    p.add_argument(
        "--runs",
        type=int,
        default=2,
        metavar="N",
        help="recorded runs of the notebook (default 2: values that differ between runs "
        "are listed, not compared)",
    )
    add_parameter_options(p)
    p.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    p.add_argument(
        "--timeout",
        type=float,
        default=600,
        metavar="S",
        help="per-cell timeout in seconds (default 600)",
    )
    add_store_option(p)
    p.set_defaults(func=cmd_to_module)
