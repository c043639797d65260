"""``check``: the static checker on saved notebooks, for pre-commit hooks and CI.

Exit codes: 0 no finding at or above ``--fail-on`` (default ``warning``: ``info``
findings alone pass, as in ``pytest --jx``), 1 some, 2 usage error or a file that could
not be read (the other files are still checked and reported). Every finding is
reported whatever ``--fail-on`` says.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..bridge.fail_on import DEFAULT_FAIL_ON, FAIL_ON
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    from ..bridge.static import ALL_CODES, matches

    codes = [c.strip().upper() for c in value.split(",") if c.strip()]
    for code in codes:
        if not any(matches(known, [code]) for known in ALL_CODES):
            raise UsageError(
                f"unknown rule code {code!r}: codes are {', '.join(ALL_CODES)} "
                "(a prefix such as JX2 selects a group)"
            )
    return codes


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            raise UsageError(f"cannot write {output}: {exc.strerror}") from None
        return
    encoding = sys.stdout.encoding or "utf-8"
    sys.stdout.write(text.encode(encoding, "backslashreplace").decode(encoding))
    sys.stdout.flush()


def cmd_check(args: argparse.Namespace) -> int:
    from ..bridge.check_output import render
    from ..bridge.fail_on import failing
    from ..bridge.static import check_paths

    select, ignore = _codes(args.select), _codes(args.ignore)
    results = check_paths(args.paths, select=select, ignore=ignore)
    _write(render(results, args.format), args.output)
    if args.format != "text" or args.output:
        for result in results:  # machine formats hold the errors; people still see them
            if result.error is not None:
                print(f"jupyter-ext: {result.path}: {result.error}", file=sys.stderr)
    if any(r.error is not None for r in results):
        return EXIT_USAGE
    return EXIT_FAILED if any(failing(r.findings, args.fail_on) for r in results) else EXIT_OK


def add_parsers(sub: Any) -> None:
    check = sub.add_parser(
        "check",
        help="check saved notebooks for hygiene problems (no kernel needed)",
        description="Check saved notebooks with the same rules the kernel applies live "
        "(execution counts give the order), plus file-level rules: execution-count "
        "gaps, duplicates and disorder, unexecuted cells, saved errors, absolute paths, "
        "imports below the top, papermill parameters without a parameters cell. "
        "Opt out per cell with `# noqa: JX206`, per notebook with metadata "
        '{"jupyter_ext": {"ignore": ["JX204"]}}. Rules: docs/rules.md.',
        epilog="Exit codes: 0 no finding at or above --fail-on (by default info findings "
        "alone exit 0), 1 findings at or above it, 2 usage error or unreadable file.",
    )
    check.add_argument(
        "paths", metavar="NB_OR_DIR", nargs="+", help="notebooks, or directories to search"
    )
    check.add_argument(
        "--select", metavar="CODES", help="only these codes, comma-separated prefixes (JX1,JX205)"
    )
    check.add_argument("--ignore", metavar="CODES", help="skip these codes (prefixes)")
    check.add_argument(
        "--format",
        choices=("text", "json", "github", "junit"),
        default="text",
        help="text (default), json, github (workflow annotations) or junit (XML)",
    )
    check.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default=DEFAULT_FAIL_ON,
        help="lowest severity that makes the exit code 1: info, warning (default), error, "
        "or none; every finding is reported either way (as pytest --jx-fail-on)",
    )
    check.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    check.set_defaults(func=cmd_check)
