"""bench/gpu_check.sh's entry for fastdl.gpu_bench.layers (that module holds the benchmark;
`fastdl bench --device cuda` runs it too). `--dry-run` runs it on the CPU with tiny shapes."""
import sys

from fastdl.gpu_bench.layers import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
