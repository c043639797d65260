"""``store scrub``: maintenance of the run store itself."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError, add_store_option, store_path

SCRUB_DESCRIPTION = """\
Redact the secrets in the cell sources already in the run store.

Stores written before jupyter-ext redacted sources, or with
c.JupyterExt.redact_sources = False, keep every cell's source verbatim: a cell such as
api_key = 'sk-...' or a URL with a password put the secret into the store, and into
`jupyter-ext show --source`. This command rewrites each stored source the way the
recorder now stores it (string literals bound to secret-looking names, credentials in
URLs, known key formats and passwords on shell lines become '<redacted>') together with
its hash, in one transaction, then rebuilds the file (VACUUM) and empties its
write-ahead log so that no old page keeps a secret. Sources without secrets are left
as they are. Running it again changes nothing.

Kernels may keep recording while it runs; if one holds the store open, the log may not
be emptied, and the command says so: run it again once they are closed.
"""


def cmd_scrub(args: argparse.Namespace) -> int:
    import sqlite3

    from ..store.schema import StoreVersionError
    from ..store.scrub import scrub_store

    path = store_path(args.store)
    if not path.exists():
        raise UsageError(f"no run store at {path}")
    bar = _Bar("scrubbing sources")
    try:
        result = scrub_store(path, dry_run=args.dry_run, progress=bar.update)
    except StoreVersionError as exc:
        raise UsageError(str(exc)) from exc
    except sqlite3.Error as exc:
        print(f"jupyter-ext: cannot scrub the store at {path}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        bar.close()
    if result.dry_run:
        print(
            f"dry run: {result.changed} of {result.executions} executions in {path} hold a "
            "secret in their source; nothing was changed"
        )
        return EXIT_OK
    print(f"redacted {result.changed} of {result.executions} executions in {path}")
    if result.compacted:
        print("the file was rebuilt and its write-ahead log emptied: no old page keeps them")
        return EXIT_OK
    print(f"warning: {result.wal_note}", file=sys.stderr)
    return EXIT_FAILED


class _Bar:
    """A tqdm bar on stderr, made on the first update (quiet when not a terminal)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=total, desc=self.label, unit="execution", file=sys.stderr, leave=False,
                disable=None,
            )  # fmt: skip
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def add_parsers(sub: Any) -> None:
    store = sub.add_parser(
        "store",
        help="maintain the run store (store scrub: redact secrets already stored)",
        description="Maintain the run store.",
    )
    commands = store.add_subparsers(dest="store_command", metavar="COMMAND")
    scrub = commands.add_parser(
        "scrub",
        help="redact secrets from the cell sources already in the store",
        description=SCRUB_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 done, 1 the store could not be rewritten or compacted "
        "completely, 2 usage error (no store, newer schema).",
    )
    scrub.add_argument(
        "--dry-run",
        action="store_true",
        help="only count the executions whose source holds a secret; change nothing",
    )
    add_store_option(scrub)
    scrub.set_defaults(func=cmd_scrub)

    def no_command(args: argparse.Namespace) -> int:
        store.print_help()
        return EXIT_USAGE

    store.set_defaults(func=no_command)
