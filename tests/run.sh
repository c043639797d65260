#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, then runs lint,
# types, Python tests (pure, in-process kernel, real kernels and CLI), the frontend's
# unit tests and the browser tests in Debian's Chromium.
#
#   bash tests/run.sh            # everything
#   JX_SKIP_INSTALL=1 bash tests/run.sh   # reuse an existing install (faster locally)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-python}"

step() { printf '\n==> %s\n' "$*"; }

if [[ -z "${JX_SKIP_INSTALL:-}" ]]; then
  if ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's Chromium for the browser tests"
    sudo_cmd=""
    if [[ "$(id -u)" != 0 ]]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  fi
  step "installing jupyter-ext (editable, with test extras; builds the JupyterLab extension)"
  "$python" -m pip install --quiet --upgrade pip
  # A link left by `jupyter labextension develop` in another checkout makes pip's
  # uninstall of the previous editable install fail; the link is recreated below.
  labext="$("$python" -c 'import sys; print(sys.prefix)')/share/jupyter/labextensions/jupyter-ext"
  if [[ -L "$labext" ]]; then rm -f "$labext"; fi
  "$python" -m pip install --quiet -e ".[test]"
  jupyter labextension develop . --overwrite >/dev/null 2>&1
fi

step "lint and format (ruff)"
"$python" -m ruff check jupyter_ext tests benchmarks
"$python" -m ruff format --check jupyter_ext tests benchmarks

step "types (mypy --strict)"
"$python" -m mypy

step "frontend unit tests (jest) and strict TypeScript"
jlpm install --immutable >/dev/null 2>&1 || jlpm install
jlpm tsc --noEmit
jlpm test

step "Python tests: unit, in-process kernel, real kernels, CLI (two workers)"
"$python" -m pytest tests --ignore=tests/ui -p no:cacheprovider -n auto

step "the project's examples as notebook tests (pytest --jx)"
JUPYTER_EXT_STORE="$(mktemp -d)/runs.sqlite" \
  "$python" -m pytest --jx examples/clean_pipeline.ipynb -p no:cacheprovider -q

step "browser tests (galata in Chromium)"
bash tests/ui/run.sh
