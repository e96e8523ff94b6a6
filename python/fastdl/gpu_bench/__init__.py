"""`fastdl bench --device cuda`: fastdl's CUDA kernels against cuBLAS / cuDNN (through
torch) on the same GPU. Three parts, each also a script of its own for
bench/gpu_check.sh (bench/gpu_*.py call their `main`):

- elementwise: add / exp / transposed copy throughput, fastdl vs torch;
- gemm: fp32, TF32, fp16 and bf16 GEMMs vs cuBLAS (and, on compute 9.0, the
  experimental wgmma kernel: bf16, TF32, batched);
- layers: conv2d vs cuDNN, pooling and elementwise as % of the copy bandwidth, an LSTM
  layer vs cuDNN, the MNIST-CNN training step vs torch.

Each prints its table; `run` writes the three results into one JSON file.
"""
import json
import os
import sys

__all__ = ["run"]


def run(json_path=None):
    """Runs every part on cuda:0; returns a process exit code (2: no GPU to measure)."""
    import fastdl

    if not fastdl.cuda.is_available():
        why = "fastdl was built without CUDA" if not fastdl.cuda.is_built() else "no CUDA device is visible"
        print(f"error: fastdl bench --device cuda: {why} (fastdl.cuda.is_available() is False)", file=sys.stderr)
        return 2
    from . import elementwise, gemm, layers

    results = {"device": fastdl.cuda.get_device_name(0)}
    for name, measure in (("elementwise", elementwise.measure), ("gemm", gemm.measure), ("layers", layers.measure)):
        print(f"\n== {name}")
        results[name] = measure()
    path = json_path or os.path.join("bench", "results", "gpu.json")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(results, f, indent=1)
    print(f"\nwrote {path}")
    return 0
