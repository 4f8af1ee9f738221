#!/usr/bin/env bash
# Installs what tierkit needs to build and test, skipping what is already there:
# Debian packages (Eigen, Boost.Serialization, doctest, a C++ compiler; with --fuzz, for the
# tests, also Clang and its libFuzzer and sanitizer runtimes for the fuzz targets and the ASan
# build, and a CJK font for the plot tests) and Python build and test packages (with --fuzz
# also atheris).
# Safe to run again. PYTHON selects the interpreter (default python3).
set -euo pipefail
PYTHON=${PYTHON:-python3}
export PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1

debs=(g++ make libeigen3-dev libboost-serialization-dev doctest-dev)
# clang + libclang-rt-14-dev (libclang_rt.fuzzer-x86_64.a): the libFuzzer build in build/fuzz.
if [ "${1:-}" = "--fuzz" ]; then
  debs+=(clang libclang-rt-14-dev)
  # A CJK font: the plot tests draw Chinese labels.
  debs+=(fonts-wqy-zenhei)
  # Java 17: the tierkit.spark tests run PySpark on local[2].
  debs+=(openjdk-17-jre-headless)
fi
missing=()
for p in "${debs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: apt-get install ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Build tools for `pip install --no-build-isolation .` (incremental rebuilds reuse build/).
"$PYTHON" -m pip install -q \
  "scikit-build-core>=0.10" "pybind11>=2.12" "cmake>=3.20" ninja
# atheris (Python's libFuzzer) for the policy-file fuzz target, fuzz/fuzz_policy.py.
if [ "${1:-}" = "--fuzz" ]; then
  "$PYTHON" -m pip install -q "atheris>=2.3"
fi
