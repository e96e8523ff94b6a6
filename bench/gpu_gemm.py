"""bench/gpu_check.sh's entry for fastdl.gpu_bench.gemm (that module holds the benchmark;
`fastdl bench --device cuda` runs it too)."""
import sys

from fastdl.gpu_bench.gemm import main

if __name__ == "__main__":
    sys.exit(main())
