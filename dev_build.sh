#!/usr/bin/env bash
# Developer loop: incremental CMake build of fastdl._C into python/fastdl/ so that
# `PYTHONPATH=python pytest` runs against the tree without reinstalling.
# Usage: ./dev_build.sh [BUILD_DIR]   (FASTDL_CUDA=OFF by default here; set it to test CUDA)
set -euo pipefail
cd "$(dirname "$0")"
BUILD=${1:-build/dev}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DFASTDL_CUDA="${FASTDL_CUDA:-OFF}" \
  -Dpybind11_DIR="$(python3 -m pybind11 --cmakedir)" -DPython_EXECUTABLE="$(command -v python3)" >/dev/null
cmake --build "$BUILD"
# Copy, then rename over the old module: cp onto it would rewrite the file that running
# processes (a training run from this tree) have mapped, and they would crash.
for so in "$BUILD"/_C*.so; do
  cp "$so" "python/fastdl/.$(basename "$so").new"
  mv -f "python/fastdl/.$(basename "$so").new" "python/fastdl/$(basename "$so")"
done
