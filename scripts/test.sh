#!/usr/bin/env bash
# One command runs every test: installs what is needed, runs the README's first command
# (scripts/demo.sh) in a fresh virtual environment without any extra, installs the Python
# package with its test extras, builds the C++ tests, and runs CTest, which runs the doctest
# suite, the find_package consumer project and the pytest suite (against the installed
# package). Then, with Clang:
#   - build/asan: the library, the doctests and the Python extension with AddressSanitizer and
#     UndefinedBehaviorSanitizer; runs the whole doctest suite, then the whole pytest suite
#     against that extension (see below);
#   - build/fuzz: the libFuzzer targets (ASan + UBSan) and fuzzing through CTest, each target
#     for TIERKIT_FUZZ_SECONDS seconds (default 60): the rule language (fuzz.expression), the
#     model loader (fuzz.model), Arrow ingestion (fuzz.arrow) and policy files (fuzz.policy,
#     atheris).
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
# Warnings are errors here (GCC) and in the sanitized build below (Clang): a user's build
# only warns, CI keeps both compilers' warnings at zero.
cmake -S . -B build/cpp -DCMAKE_BUILD_TYPE=Release -DTIERKIT_BUILD_TESTS=ON -DTIERKIT_WARNINGS_AS_ERRORS=ON \
  -DPython3_EXECUTABLE="$(command -v "$PYTHON")" >/dev/null
cmake --build build/cpp -j "$(nproc)"
ctest --test-dir build/cpp --output-on-failure "$@"
echo "test: ASan + UBSan build (clang) of the library, the doctests and the Python extension in build/asan ..."
# Sanitizer findings stop the run (halt_on_error), except the known ones in scripts/ubsan.supp.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/scripts/ubsan.supp"
CC=clang CXX=clang++ cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DTIERKIT_SANITIZE=ON -DTIERKIT_WARNINGS_AS_ERRORS=ON \
  -DTIERKIT_BUILD_TESTS=ON -DTIERKIT_TEST_PYTHON=OFF -DTIERKIT_BUILD_PYTHON=ON -DTIERKIT_INSTALL=OFF \
  -DTIERKIT_BUILD_BENCHMARKS=OFF -DPython_EXECUTABLE="$(command -v "$PYTHON")" \
  -Dpybind11_DIR="$("$PYTHON" -m pybind11 --cmakedir)" >/dev/null
cmake --build build/asan -j "$(nproc)"
ctest --test-dir build/asan --output-on-failure -R '^cpp\.doctest$'
# The Python suite against the sanitized extension: the package's Python files and the ASan
# build of _core in build/asan/python, first on the path. The system Python is not built
# with ASan, so the ASan runtime is preloaded (LD_PRELOAD, inherited by the suite's own
# subprocesses); leak checking is off, as CPython keeps memory until exit by design and
# every run would report it. The whole suite runs, not a subset: sanitized it still fits
# CI's time bound, and every test reaches some path of the bindings a subset could miss; its
# real-data tests skip when ../shared/data is absent, as in the plain run.
echo "test: the pytest suite against the ASan + UBSan extension ..."
rm -rf build/asan/python && mkdir -p build/asan/python
cp -r python/tierkit build/asan/python/
cp build/asan/bindings/_core*.so build/asan/python/tierkit/
(cd build && env LD_PRELOAD="$(clang -print-file-name=libclang_rt.asan-x86_64.so)" \
  ASAN_OPTIONS=detect_leaks=0 PYTHONPATH="$PWD/asan/python" \
  "$PYTHON" -m pytest -q -p no:cacheprovider ../tests/python)
echo "test: building the fuzz targets (clang, ASan, UBSan) and fuzzing each for ${TIERKIT_FUZZ_SECONDS} s ..."
unset UBSAN_OPTIONS  # the fuzz build stops at any finding (-fno-sanitize-recover)
CC=clang CXX=clang++ cmake -S . -B build/fuzz -DTIERKIT_BUILD_FUZZERS=ON \
  -DTIERKIT_FUZZ_SECONDS="$TIERKIT_FUZZ_SECONDS" -DTIERKIT_BUILD_TESTS=OFF \
  -DTIERKIT_BUILD_PYTHON=OFF -DTIERKIT_BUILD_BENCHMARKS=OFF -DTIERKIT_INSTALL=OFF \
  -DTIERKIT_FUZZ_PYTHON="$(command -v "$PYTHON")" >/dev/null
cmake --build build/fuzz -j "$(nproc)"
ctest --test-dir build/fuzz --output-on-failure
