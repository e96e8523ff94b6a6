#!/usr/bin/env bash
# The one script run on the GPU machine (see /work/shared/GPU.md): build + install
# fastdl with CUDA, run the CUDA tests, every GPU benchmark bench/gpu_*.py, then the
# experimental wgmma kernel's tests and compute-sanitizer memcheck on subsets. Logs go
# to $OUT: env.txt, build.log, pytest.log, bench.log, bench.jsonl, memcheck.log,
# summary.txt and gpu_gemm.json (GPU.md allows 8 files). A short summary is printed
# last. Each step has its own timeout, cut further so that the whole run ends within
# DEADLINE_S (default 450 s: under the 8 minutes a check may take); the steps run in
# order of what matters most, so a cut loses the sanitizer runs first.
# Usage: OUT=/some/dir bench/gpu_check.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results/gpu_check-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
export FASTDL_CUDA=ON
T0=$(date +%s)
DEADLINE=$(( T0 + ${DEADLINE_S:-450} ))
declare -a SUMMARY

# run NAME TIMEOUT_S CMD... : tees CMD's output into $OUT/NAME.log (LOG=other to share
# another step's log), records rc and time.
# The timeout is cut to what is left before DEADLINE; under 15 s left, the step is skipped.
run() {
  local name=$1 limit=$2; shift 2
  local log="$OUT/${LOG:-$name}.log"
  local t=$(date +%s)
  local left=$(( DEADLINE - t ))
  if [ "$left" -lt 15 ]; then
    SUMMARY+=("$(printf '%-10s skipped (deadline)' "$name")")
    echo "=== $name: skipped, ${left}s left before the deadline" | tee -a "$log"
    return 124
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "=== $name: $* (timeout ${limit}s)" | tee -a "$log"
  timeout -k 5 "$limit" "$@" 2>&1 | tee -a "$log"  # -k: a hung kernel that ignores TERM still ends
  local rc=${PIPESTATUS[0]}
  SUMMARY+=("$(printf '%-10s rc=%-3s %4ss' "$name" "$rc" "$(( $(date +%s) - t ))")")
  return "$rc"
}

{
  echo "date: $(date -u +%FT%TZ)"; echo "git: $(git rev-parse --short HEAD 2>/dev/null) $(git status --porcelain 2>/dev/null | wc -l) changed files"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1
  nvcc --version 2>&1 | tail -1; python3 --version
  python3 -c "import numpy, pytest; print('numpy', numpy.__version__, 'pytest', pytest.__version__)"
  python3 -c "import torch; print('torch', torch.__version__, torch.version.cuda)" 2>&1 | tail -1
} > "$OUT/env.txt"
cat "$OUT/env.txt"

if run build 300 python3 -m pip install --no-build-isolation --no-deps -v . &&
   run build 20 python3 -c "from fastdl import _C; assert _C.cuda_built, 'built without CUDA'; print('devices:', _C.cuda.device_count(), _C.cuda.device_name(0), _C.cuda.capability(0))"; then
  # Only tests marked `cuda` (they are skipped unless a GPU is present). First the
  # backend's own kernel tests (-x: a broken kernel makes the rest noise); then every
  # other cuda-marked test without -x, so that one failing composed op (sorting,
  # attention, distributions, ... none has run on a GPU yet) cannot hide the others.
  # The wgmma kernel's tests run in their own step below.
  CORE=(tests/test_cuda_backend.py tests/test_cuda_ops.py tests/test_cuda_layers.py)
  run pytest 90 python3 -m pytest -x -q -m cuda -p no:cacheprovider "${CORE[@]}"
  LOG=pytest run pytest_ops 90 python3 -m pytest -q -m cuda -p no:cacheprovider \
      --ignore=tests/test_cuda_wgmma.py "${CORE[@]/#/--ignore=}" tests
  : > "$OUT/bench.jsonl"
  shopt -s nullglob
  benches=(bench/gpu_*.py)
  [ ${#benches[@]} -eq 0 ] && echo "no GPU benchmarks under bench/"
  for b in "${benches[@]}"; do
    run bench 150 python3 "$b"  # gpu_gemm.py sweeps up to 8192^3
    grep -h '^RESULT ' "$OUT/bench.log" | sed 's/^RESULT //' > "$OUT/bench.jsonl"
  done
  # After the benchmarks: the experimental sm_90a wgmma + TMA GEMM (compute 9.0 only; its
  # tests skip elsewhere): its own tests (fp16 / bf16 / TF32, batched), then the fp16 /
  # bf16 GPU tests of test_half.py with the switch on at import (into pytest.log);
  # memcheck on small ragged cases (2-D, padded batched, TF32) comes last (into
  # memcheck.log). Short limits: a hung kernel (an mbarrier that never completes) must
  # not eat the sanitizer's time.
  LOG=pytest run wgmma 90 env FASTDL_CUDA_WGMMA=1 python3 -m pytest -q -m cuda -p no:cacheprovider \
      tests/test_cuda_wgmma.py tests/test_half.py
  # memcheck instruments every kernel: a subset covering each kernel family and the
  # strided/contiguous paths. The OOM test is left out (the sanitizer reports the
  # intended cudaMalloc failure).
  SANITIZER=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
  run memcheck 100 "$SANITIZER" --tool memcheck --error-exitcode 99 \
      python3 -m pytest -x -q -m cuda -p no:cacheprovider tests/test_cuda_backend.py \
      tests/test_cuda_ops.py tests/test_cuda_layers.py tests/test_backends.py tests/test_half.py \
      -k "tf32 or fill or where or copy or kernel_errors or unary_parameters or int_pow or index_errors or \
          bad_target or nonzero or matmul_errors or matmul_alpha_beta or randperm or \
          (matches_cpu and float32) or bad_indices or cuda_linear or cuda_batched or cuda_conversion"
  LOG=memcheck run wgmma_mc 60 env FASTDL_CUDA_WGMMA=1 "$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)" \
      --tool memcheck --error-exitcode 99 python3 -m pytest -x -q -m cuda -p no:cacheprovider \
      tests/test_cuda_wgmma.py -k "small_ragged or (padded and b_k_major and h1) or \
          (tf32_truncates and mkn0)"
else
  echo "build failed: skipping tests and benchmarks (see $OUT/build.log)"
fi

{
  echo "=== summary ($(( $(date +%s) - T0 ))s total, logs in $OUT)"
  printf '%s\n' "${SUMMARY[@]}"
  # pytest.log: the CUDA tests, then the wgmma ones; memcheck.log: the subset, then wgmma's case
  [ -f "$OUT/pytest.log" ] && grep -E '^=== |( in [0-9.]+s)' "$OUT/pytest.log" | sed 's/^/pytest:   /'
  [ -f "$OUT/memcheck.log" ] && grep -E '^=== |( in [0-9.]+s)|ERROR SUMMARY' "$OUT/memcheck.log" | sed 's/^/memcheck: /'
  [ -f "$OUT/bench.log" ] && grep -vE '^(RESULT|===)' "$OUT/bench.log"
} | tee "$OUT/summary.txt"
