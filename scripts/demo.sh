#!/usr/bin/env bash
# One command on a fresh machine: install what is needed, build and install tierkit, and run
# its main job on built-in demo data. Extra arguments go to `tierkit demo`
# (e.g. --customers 100000 --transactions 5000000).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
scripts/install-deps.sh
echo "demo: building and installing tierkit (pip install .) ..."
"$PYTHON" -m pip install -q --no-build-isolation .
cd /tmp  # run the installed package, not the source tree
exec "$PYTHON" -m tierkit demo "$@"
