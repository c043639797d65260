"""``lock`` and ``repro``: pin a notebook's variable digests and check it reproduces.

``lock NB`` runs NB top to bottom in a fresh kernel and writes ``NB.lock.json`` with
every cell's variable digests and the environment. ``repro NB`` runs it again, twice
(or once against ``--against RUN`` or ``--lock FILE``), and names the first variable
that diverged and its likely cause. Exit codes: 0 reproducible (or locked), 1 diverged
or a cell failed, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, open_store, store_path
from .run_commands import add_parameter_options, read_notebook


def _bar(label: str) -> dict[str, Any]:
    return {"desc": label, "disable": None, "leave": False, "file": sys.stderr}


def _fresh_run(args: argparse.Namespace, parameters: dict[str, Any], label: str) -> Any:
    """One recorded top-to-bottom run, keyed for comparison (see ``run_for_digests``)."""
    from jupyter_client.kernelspec import NoSuchKernel
    from papermill.exceptions import PapermillException

    from ..bridge.lockfile import run_for_digests

    path = Path(args.notebook)
    try:
        run = run_for_digests(
            path,
            parameters,
            kernel_name=args.kernel,
            timeout=args.timeout,
            store=store_path(args.store),
            progress_bar=_bar(label),
        )
    except NoSuchKernel as exc:
        raise UsageError(f"no such kernel: {exc.name}") from exc
    except PapermillException as exc:
        raise UsageError(f"{path}: {str(exc).strip().splitlines()[0]}") from exc
    if run.error:
        print(run.error, file=sys.stderr)
    return run


def _parameters(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    from ..bridge.params import ParameterError, merge_parameters

    try:
        return merge_parameters(args.parameters_file or (), args.parameters or (), base=base)
    except ParameterError as exc:
        raise UsageError(str(exc)) from exc


def cmd_lock(args: argparse.Namespace) -> int:
    from ..bridge.lockfile import build_lock, lock_path_for, write_lock

    path = Path(args.notebook)
    read_notebook(path)
    parameters = _parameters(args, {})
    run = _fresh_run(args, parameters, f"{path.name} (lock)")
    if run.error:
        print(f"jupyter-ext: not locked: the run of {path} failed", file=sys.stderr)
        return EXIT_FAILED
    target = Path(args.output) if args.output else lock_path_for(path)
    write_lock(target, build_lock(path, run.record, run.cells, parameters))
    digests = sum(len(c.variables) for c in run.cells)
    print(f"locked {path}: {digests} variable digests in {len(run.cells)} cells -> {target}")
    print(f"  run {run.run_id}")
    return EXIT_OK


def _reference(
    args: argparse.Namespace, nb: Any
) -> tuple[Any, dict[str, Any], str, dict[str, Any]]:
    """(cells, environment summary, description, parameters) of the reference.

    The new run reuses the reference's parameters unless ``-p``/``-f`` override them:
    otherwise the injected-parameters cell alone would make every comparison fail.
    """
    from ..bridge import lockfile
    from ..store.sqlite import RunLookupError

    if args.lock:
        try:
            lock = lockfile.read_lock(args.lock)
            cells = lockfile.lock_cells(lock)
        except lockfile.LockError as exc:
            raise UsageError(str(exc)) from exc
        parameters = dict(lock.get("parameters") or {})
        return cells, dict(lock.get("environment") or {}), f"the lock {args.lock}", parameters
    with open_store(store_path(args.store)) as store:
        try:
            run_id = store.resolve_run_id(args.against)
        except RunLookupError as exc:
            raise UsageError(str(exc)) from exc
        record = store.run_record(run_id, include_source=True)
    stable = lockfile.notebook_has_ids(nb)
    cells = lockfile.cells_from_stored_run(record, nb, stable)
    parameters = dict(record.get("parameters") or {})
    environment = lockfile.environment_summary(record.get("environment") or {})
    return cells, environment, f"run {run_id[:12]}", parameters


def cmd_repro(args: argparse.Namespace) -> int:
    from ..bridge.repro import compare, format_comparison

    if args.lock and args.against:
        raise UsageError("give either --against RUN or --lock FILE, not both")
    path = Path(args.notebook)
    nb = read_notebook(path)
    if args.lock or args.against:
        ref_cells, ref_env, ref_name, ref_parameters = _reference(args, nb)
        parameters = _parameters(args, ref_parameters)
        current = _fresh_run(args, parameters, f"{path.name} (run)")
        runs = [current]
    else:
        parameters = _parameters(args, {})
        first = _fresh_run(args, parameters, f"{path.name} (run 1/2)")
        current = _fresh_run(args, parameters, f"{path.name} (run 2/2)")
        runs = [first, current]
        ref_cells, ref_env, ref_name = first.cells, first.environment, f"run {first.run_id[:12]}"
    comparison = compare(ref_cells, current.cells, ref_env, current.environment)
    failed = [r for r in runs if r.error]
    if args.json:
        print(
            json.dumps(
                {
                    "reproducible": comparison.reproducible and not failed,
                    "reference": ref_name,
                    "runs": [r.run_id for r in runs],
                    "failed_runs": [r.run_id for r in failed],
                    "compared": comparison.compared,
                    "opaque": comparison.opaque,
                    "outputs_compared": comparison.outputs if comparison.outputs_known else None,
                    "divergences": [asdict(d) for d in comparison.divergences],
                },
                indent=2,
            )
        )
    else:
        print(format_comparison(comparison, ref_name, f"run {current.run_id[:12]}"))
    if failed:
        print(f"jupyter-ext: {len(failed)} run(s) of {path} failed", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK if comparison.reproducible else EXIT_FAILED


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("notebook", metavar="NB")
    add_parameter_options(p)
    p.add_argument("--kernel", metavar="NAME", help="kernel name (default: the notebook's)")
    p.add_argument("--timeout", type=float, default=600, metavar="S", help="per-cell timeout")
    add_store_option(p)


def add_parsers(sub: Any) -> None:
    lock = sub.add_parser(
        "lock",
        help="run a notebook and pin its variable digests in NB.lock.json",
        description="Run NB top to bottom in a fresh kernel and write the content digest of "
        "every variable each cell touched, with the Python version and imported packages, "
        "to NB.lock.json beside it. Cells are matched by id (the injected-parameters cell "
        "by its tag; notebooks without ids by position).",
    )
    _common(lock)
    lock.add_argument("-o", "--output", metavar="FILE", help="lock file (default: NB.lock.json)")
    lock.set_defaults(func=cmd_lock)

    repro = sub.add_parser(
        "repro",
        help="check that a notebook reproduces its variable digests",
        description="Run NB twice in fresh kernels (or once, against a stored run or a lock) "
        "and compare every variable digest. Reports the first divergence and its likely "
        "cause (unseeded randomness, time, environment). Exit codes: 0 reproducible, "
        "1 diverged or a run failed, 2 bad input.",
    )
    _common(repro)
    reference = repro.add_mutually_exclusive_group()
    reference.add_argument("--against", metavar="RUN", help="compare with a stored run")
    reference.add_argument("--lock", metavar="FILE", help="compare with a lock file")
    repro.add_argument("--json", action="store_true", help="print the comparison as JSON")
    repro.set_defaults(func=cmd_repro)
