"""``file``: which recorded runs read or wrote a file, and which one made the copy on disk.

The question a data-lineage user asks after the fact ("where did this ``results.csv``
come from?") is answered from the store alone: every execution that opened the file,
newest first, with the content digest it left behind, compared with the file as it is
now.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, UsageError, add_store_option, open_store, store_path


def _on_disk(path: str) -> dict[str, Any]:
    """Size and digest of the file now, in the recorder's format (None when unreadable)."""
    from ..capture.file_state import FileStat, digest_file

    try:
        st = os.stat(path)
    except OSError:
        return {"exists": False, "size": None, "digest": None}
    import stat as stat_

    if not stat_.S_ISREG(st.st_mode):
        raise UsageError(f"{path}: not a regular file")
    digest, _ = digest_file(path, FileStat.of(st), budget=4 * 2**30)
    return {"exists": True, "size": st.st_size, "digest": digest}


def cmd_file(args: argparse.Namespace) -> int:
    from ..capture.lineage_query import resolve_path
    from .summary import file_size, format_time

    path = resolve_path(args.path)
    now = _on_disk(path)
    with open_store(store_path(args.store)) as runs:
        uses = runs.file_history(path, limit=args.limit)
    rows = [
        {**dataclasses.asdict(u), "matches_disk": bool(u.digest and u.digest == now["digest"])}
        for u in uses
    ]
    if args.json:
        print(json.dumps({"path": path, "on_disk": now, "uses": rows}, indent=2, sort_keys=True))
        return EXIT_OK if rows else EXIT_FAILED
    if now["exists"]:
        state = f"on disk: {file_size(now['size'])}, digest {(now['digest'] or '?')[:12]}"
    else:
        state = "not on disk now"
    print(f"{path} ({state})")
    if not rows:
        print("  no recorded execution read or wrote it")
        return EXIT_FAILED
    print(f"  {'when':<19} {'run':<26} {'seq':>4} {'[n]':>5}  {'mode':<6} {'size':>9}  digest")
    for r in rows:
        count = r["execution_count"]
        digest = (r["digest"] or "")[:12] or f"({r['opaque'] or 'none'})"
        mark = "  = on disk" if r["matches_disk"] else ""
        print(
            f"  {format_time(r['started_at']):<19} {r['run_id']:<26} {r['seq']:>4} "
            f"{'[' + str(count) + ']' if count is not None else '':>5}  {r['mode']:<6} "
            f"{file_size(r['size']):>9}  {digest}{mark}"
        )
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    file_ = sub.add_parser(
        "file",
        help="which recorded runs read or wrote a file (data lineage)",
        description="List every recorded execution that read or wrote PATH, newest first, "
        "with the size and content digest the file had right after it; executions whose "
        "digest matches the file on disk now are marked '= on disk'. Exit code 0 when "
        "some were found, 1 when none.",
    )
    file_.add_argument("path", metavar="PATH", help="the file (relative paths: to here)")
    file_.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    file_.add_argument("--json", action="store_true", help="one JSON object")
    add_store_option(file_)
    file_.set_defaults(func=cmd_file)
