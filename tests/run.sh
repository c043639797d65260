#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, then runs lint,
# types, Python tests (pure, in-process kernel, real kernels and CLI), the frontend's
# unit tests and the browser tests in Debian's Chromium.
#
#   bash tests/run.sh                     # everything
#   bash tests/run.sh --python-only       # install, then the Python tests only
#   JX_SKIP_INSTALL=1 bash tests/run.sh   # reuse an existing install (faster locally)
#   JX_CONSTRAINTS=none bash tests/run.sh # test against the newest releases instead of
#                                         # the known-good set in tests/constraints/
#
# Run it inside a virtual environment (python -m venv .venv && . .venv/bin/activate):
# it installs the package and its test extra into the active Python.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${PYTHON:-python}"

python_only=""
for arg in "$@"; do
  case "$arg" in
    --python-only) python_only=1 ;;
    -h | --help)
      sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "run.sh: unknown argument $arg (see --help)" >&2
      exit 2
      ;;
  esac
done

step() { printf '\n==> %s\n' "$*"; }

if [[ -z "${JX_SKIP_INSTALL:-}" ]]; then
  if [[ -z "$python_only" ]] && ! command -v chromium >/dev/null 2>&1; then
    step "installing Debian's Chromium for the browser tests"
    sudo_cmd=""
    if [[ "$(id -u)" != 0 ]]; then sudo_cmd="sudo"; fi
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium >/dev/null
  fi
  version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  constraints=()
  known_good="tests/constraints/python$version.txt"
  if [[ "${JX_CONSTRAINTS:-}" == "none" ]]; then
    step "installing jupyter-ext with its test extra: the newest releases (no constraints)"
  elif [[ -f "$known_good" ]]; then
    step "installing jupyter-ext with its test extra: the known-good set $known_good"
    constraints=(-c "$known_good")
  else
    step "installing jupyter-ext with its test extra: no known-good set for Python $version, the newest releases"
  fi
  "$python" -m pip install --quiet --upgrade pip
  # A link left by `jupyter labextension develop` in another checkout makes pip's
  # uninstall of the previous editable install fail; the link is recreated below.
  labext="$("$python" -c 'import sys; print(sys.prefix)')/share/jupyter/labextensions/jupyter-ext"
  if [[ -L "$labext" ]]; then rm -f "$labext"; fi
  # Editable, with the JupyterLab extension built from source.
  "$python" -m pip install --quiet -e ".[test]" "${constraints[@]}"
  jupyter labextension develop . --overwrite >/dev/null 2>&1
fi

if [[ -n "$python_only" ]]; then
  step "Python tests on $("$python" --version): unit, in-process kernel, real kernels, CLI"
  "$python" -m pytest tests --ignore=tests/ui -p no:cacheprovider -n auto
  exit 0
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
