#!/usr/bin/env bash
# One command runs every test: installs what is needed, installs the Python package with its
# test extras, builds the C++ tests, and runs CTest, which runs the doctest suite, the
# find_package consumer project and the pytest suite (against the installed package).
# Extra arguments go to ctest (e.g. -R doctest).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
scripts/install-deps.sh
echo "test: installing tierkit with its test extras (pip install .[test]) ..."
"$PYTHON" -m pip install -q --no-build-isolation ".[test]"
echo "test: building the C++ tests ..."
cmake -S . -B build/cpp -DCMAKE_BUILD_TYPE=Release -DTIERKIT_BUILD_TESTS=ON \
  -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
cmake --build build/cpp -j "$(nproc)"
ctest --test-dir build/cpp --output-on-failure "$@"
