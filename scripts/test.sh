#!/usr/bin/env bash
# One command runs every test: installs what is needed, runs the README's first command
# (scripts/demo.sh) in a fresh virtual environment without any extra, installs the Python
# package with its test extras, builds the C++ tests, and runs CTest, which runs the doctest suite, the
# find_package consumer project and the pytest suite (against the installed package). Then
# builds the libFuzzer targets with Clang, ASan and UBSan in build/fuzz and fuzzes the rule
# expression language for TIERKIT_FUZZ_SECONDS seconds (default 60).
# Extra arguments go to the first ctest (e.g. -R doctest).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
TIERKIT_FUZZ_SECONDS=${TIERKIT_FUZZ_SECONDS:-60}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1
scripts/install-deps.sh --fuzz
# The README's first command must need only what `pip install .` installs: run it in a fresh
# virtual environment (no test extras, no pandas), then a policy file through `tierkit tier`.
echo "test: the README's first command in a fresh virtual environment (pip install . only) ..."
rm -rf build/bare-venv
"$PYTHON" -m venv build/bare-venv
BARE="$PWD/build/bare-venv/bin/python"
SKBUILD_BUILD_DIR=build/bare-python PYTHON=$BARE scripts/demo.sh --customers 2000 \
  --transactions 40000 > build/bare-demo.log
(cd build && $BARE -c "import tierkit as tk, pyarrow.csv as c
c.write_csv(tk.demo.transactions(2000, 40000, seed=7), 'bare-tx.csv')" &&
  "$(dirname "$BARE")/tierkit" tier bare-tx.csv --policy ../python/tierkit/policies/demo.yaml \
    -o bare-tiers.parquet -q > bare-tier.log)
if $BARE -c "import pandas" 2>/dev/null; then
  echo "test: the fresh virtual environment has pandas; the bare-install check proves nothing" >&2
  exit 1
fi
echo "test: demo and tier ran in the fresh environment (build/bare-demo.log, build/bare-tier.log)"
echo "test: installing tierkit with its test extras (pip install .[test]) ..."
"$PYTHON" -m pip install -q --no-build-isolation ".[test]"
echo "test: building the C++ tests ..."
cmake -S . -B build/cpp -DCMAKE_BUILD_TYPE=Release -DTIERKIT_BUILD_TESTS=ON \
  -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
cmake --build build/cpp -j "$(nproc)"
ctest --test-dir build/cpp --output-on-failure "$@"
echo "test: building the fuzz targets (clang, ASan, UBSan) and fuzzing for ${TIERKIT_FUZZ_SECONDS} s ..."
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DTIERKIT_BUILD_FUZZERS=ON \
  -DTIERKIT_FUZZ_SECONDS="$TIERKIT_FUZZ_SECONDS" -DTIERKIT_BUILD_TESTS=OFF \
  -DTIERKIT_BUILD_PYTHON=OFF -DTIERKIT_BUILD_BENCHMARKS=OFF -DTIERKIT_INSTALL=OFF >/dev/null
cmake --build build/fuzz -j "$(nproc)"
ctest --test-dir build/fuzz --output-on-failure
