#!/usr/bin/env bash
# Creates .venv with trainspend and its test/dev extras (EXTRAS="" installs only the package, as `make demo` does).
# Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
# python-dateutil<3: kubernetes 37 and botocore disagree; without the pin pip backtracks for minutes.
EXTRAS=${EXTRAS-test,dev}
.venv/bin/python -m pip install -q "python-dateutil<3" -e ".${EXTRAS:+[$EXTRAS]}"
