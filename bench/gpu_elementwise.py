"""bench/gpu_check.sh's entry for fastdl.gpu_bench.elementwise (that module holds the benchmark;
`fastdl bench --device cuda` runs it too)."""
import sys

from fastdl.gpu_bench.elementwise import main

if __name__ == "__main__":
    sys.exit(main())
