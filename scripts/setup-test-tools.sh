#!/usr/bin/env bash
# What `npm test` needs besides node_modules, installed when missing (both `npm test` and .ci/run
# run this first; it is quick and quiet when everything is there):
#   Chromium          Debian's chromium: the extension-host suites and the browser e2e drive
#                     VS Code's web workbench in it (E2E_CHROMIUM overrides /usr/bin/chromium)
#   PyTorch           Debian's python3-torch with libopenblas0-openmp: the reference of the unit
#                     cross-check (LSTM_LENS_TORCH_PYTHON overrides /usr/bin/python3)
#   code-server       a real VS Code server from the npm registry, into .vscode-test-tools, for
#                     the extension-host suites and the e2e (test/harness/install-code-server.sh;
#                     its native modules need the Debian build packages below)
# Debian packages are installed only as root with apt-get; anywhere else a missing one stops
# this script with one sentence naming the command that installs it. Exit 0: all present.
set -euo pipefail
cd "$(dirname "$0")/.."

CS_VERSION="${CS_VERSION:-4.100.3}"    # the last code-server for Node 20 (test/harness/code-server.js)
TOOLS=.vscode-test-tools
CHROMIUM="${E2E_CHROMIUM:-/usr/bin/chromium}"
TORCH_PY="${LSTM_LENS_TORCH_PYTHON:-/usr/bin/python3}"
log() { echo "[setup-test-tools] $*" >&2; }
have_deb() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
torch_ok() { "$TORCH_PY" -c 'import torch' >/dev/null 2>&1; }
code_server_ok() {
  if [ -n "${CS_DIR:-}" ]; then [ -f "$CS_DIR/lib/vscode/out/server-main.js" ]; else [ -f "$TOOLS/code-server-$CS_VERSION/.installed" ]; fi
}

if [ -n "${LSTM_LENS_TORCH_PYTHON:-}" ] && ! torch_ok; then
  echo "LSTM_LENS_TORCH_PYTHON=$TORCH_PY cannot import torch: point it at a Python with PyTorch, or unset it to use Debian's python3-torch." >&2
  exit 1
fi

need=()
[ -x "$CHROMIUM" ] || need+=(chromium)
torch_ok || need+=(python3-torch libopenblas0-openmp)
if ! code_server_ok; then
  for p in build-essential python3 pkg-config libkrb5-dev ripgrep; do have_deb "$p" || need+=("$p"); done
fi

if [ ${#need[@]} -eq 0 ] && code_server_ok; then
  log "ready: Chromium, PyTorch, code-server $CS_VERSION"
  exit 0
fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo "
    echo "npm test needs Debian packages that are not installed, and installs them only as root with apt-get: run \`${sudo}apt-get update && ${sudo}apt-get install -y --no-install-recommends ${need[*]}\`, then npm test again." >&2
    exit 1
  fi
  log "apt-get install ${need[*]} (once; a few minutes)"
  export DEBIAN_FRONTEND=noninteractive
  # DPkg::Lock::Timeout: another session on this machine may be installing at the same time
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "${need[@]}" >/dev/null
fi

if ! code_server_ok; then
  log "installing code-server $CS_VERSION into $TOOLS (once; 1-3 min)"
  # Keep npm and code-server's install scripts from writing under $HOME.
  export XDG_CONFIG_HOME="$PWD/$TOOLS/xdg/config" XDG_DATA_HOME="$PWD/$TOOLS/xdg/data" XDG_CACHE_HOME="$PWD/$TOOLS/xdg/cache"
  bash test/harness/install-code-server.sh "$CS_VERSION" "$TOOLS" >/dev/null
fi

# What was installed must now work; say which part does not.
[ -x "$CHROMIUM" ] || { echo "Chromium is still missing at $CHROMIUM after the install." >&2; exit 1; }
torch_ok || { echo "$TORCH_PY still cannot import torch after the install: run \`$TORCH_PY -c 'import torch'\` to see why." >&2; exit 1; }
code_server_ok || { echo "code-server $CS_VERSION is still missing from $TOOLS after the install." >&2; exit 1; }
log "ready: $("$CHROMIUM" --version 2>/dev/null | head -1), PyTorch $("$TORCH_PY" -c 'import torch; print(torch.__version__)'), code-server $CS_VERSION"
