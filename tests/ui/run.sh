#!/usr/bin/env bash
# Browser tests: a real JupyterLab, with jupyter-ext installed in the current
# Python environment (`pip install -e .`), driven by galata in Debian's Chromium.
#
#   bash tests/ui/run.sh [playwright test arguments...]
#
# Starts its own server on a free port with a throwaway root, config and
# settings, so it neither needs nor disturbs a developer's running JupyterLab,
# and exits with Playwright's exit code.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$repo"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "run.sh: no Chromium at $chromium (apt-get install -y chromium, or set CHROMIUM)" >&2
  exit 2
fi
export CHROMIUM="$chromium"

# Install when node_modules is missing or older than the lock file.
if [[ ! -f node_modules/.yarn-state.yml || yarn.lock -nt node_modules/.yarn-state.yml ]]; then
  jlpm install
  # An install that finds nothing to change leaves the state file as it was.
  touch node_modules/.yarn-state.yml
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/jupyter-ext-ui.XXXXXX")"
server_pid=""

stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    # The server shuts its kernels down on SIGTERM; give it time, then insist.
    for _ in $(seq 50); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

cleanup() {
  stop_server
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$work"/{root,config,runtime,settings,tmp,xdg-config,xdg-cache}

# Nothing the server, its kernels or Chromium write ends up in $HOME.
export JUPYTER_CONFIG_DIR="$work/config"
export JUPYTER_RUNTIME_DIR="$work/runtime"
export XDG_CONFIG_HOME="$work/xdg-config"
export XDG_CACHE_HOME="$work/xdg-cache"
export JUPYTER_EXT_UI_SETTINGS_DIR="$work/settings"
export JUPYTERLAB_GALATA_ROOT_DIR="$work/root"

listing="$(jupyter labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
if ! grep -Eq '^[[:space:]]*jupyter-ext v[^[:space:]]+ enabled OK' <<<"$listing"; then
  echo "run.sh: jupyter-ext is not installed and enabled in this environment;" >&2
  echo "run.sh: run 'pip install -e .' (or 'jupyter labextension develop . --overwrite') first." >&2
  echo "$listing" >&2
  exit 2
fi

python="${PYTHON:-python3}"
port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
export JUPYTER_EXT_UI_PORT="$port"
url="http://127.0.0.1:$port"

# exec, so that $! is the server's own PID and stop_server reaches it directly.
# TMPDIR also catches the temporary folders galata's server config creates.
(
  cd "$work/root"
  TMPDIR="$work/tmp" exec jupyter lab \
    --config "$here/jupyter_server_test_config.py" \
    >"$work/server.log" 2>&1
) &
server_pid=$!

ready=""
for _ in $(seq 600); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    break
  fi
  if "$python" - "$url/lab" <<'EOF' 2>/dev/null; then
import sys
import urllib.request

with urllib.request.urlopen(sys.argv[1], timeout=2) as response:
    sys.exit(0 if response.status == 200 else 1)
EOF
    ready=1
    break
  fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "run.sh: JupyterLab did not become ready at $url; its log:" >&2
  cat "$work/server.log" >&2
  exit 1
fi

status=0
TARGET_URL="$url" jlpm playwright test --config "$here/playwright.config.js" "$@" || status=$?

if [[ "$status" -ne 0 ]]; then
  echo "run.sh: server log:" >&2
  tail -n 80 "$work/server.log" >&2
fi
exit "$status"
