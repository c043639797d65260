#!/usr/bin/env bash
# Regenerates the known-good sets of the test extra, one file per Python version:
#
#   bash tests/constraints/update.sh [3.10 3.11 ...]
#
# Each file is what pip resolves today for `.[test]` from scratch, in a new virtual
# environment of that Python, without installing anything.  tests/run.sh installs with
# the file of the running Python, so a new upstream release cannot break the suite
# between two updates; CI also prints what the newest releases would resolve to.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# shellcheck source=../find_python.sh
source "$here/../find_python.sh"
versions=("$@")
if [[ ${#versions[@]} -eq 0 ]]; then
  versions=(3.10 3.11 3.12 3.13)
fi

for wanted in "${versions[@]}"; do
  if ! py="$(find_python "$wanted")"; then
    echo "update.sh: no Python $wanted found, skipped" >&2
    continue
  fi
  version="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  tmp="$(mktemp -d)"
  "$py" -m venv "$tmp/venv"
  "$tmp/venv/bin/python" -m pip install --quiet --upgrade pip
  # --prefer-binary: a known-good set never asks a new machine to compile a package.
  "$tmp/venv/bin/python" -m pip install --quiet --dry-run --ignore-installed --prefer-binary \
    --report "$tmp/report.json" "$repo[test]"
  "$tmp/venv/bin/python" - "$tmp/report.json" "$version" >"$here/python$version.txt" <<'PY'
import json
import sys

report = json.load(open(sys.argv[1]))
pins = sorted(
    (item["metadata"]["name"].lower(), item["metadata"]["version"])
    for item in report["install"]
    if item["metadata"]["name"].lower() != "jupyter-ext"
)
print(f"# Known-good set of jupyter-ext's test extra on Python {sys.argv[2]}.")
print("# Regenerate with: bash tests/constraints/update.sh")
for name, version in pins:
    print(f"{name}=={version}")
PY
  rm -rf "$tmp"
  echo "update.sh: wrote $here/python$version.txt"
done
