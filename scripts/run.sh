#!/usr/bin/env bash
# Set everything up (first run only) and start the chat on http://127.0.0.1:7860/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/askconvergence index
exec .venv/bin/python app.py "$@"
