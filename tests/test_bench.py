"""The benchmark harness's own logic (no timing assertions: see bench/README.md)."""
import math

import numpy as np
import pytest

from fastdl import bench


def test_interleaved_reports_per_round_ratios():
    calls = {"fastdl": 0, "ref": 0}

    def tick(k):
        def f():
            calls[k] += 1
        return f
    r = bench.interleaved({"fastdl": tick("fastdl"), "ref": tick("ref")}, rounds=3, sample_s=1e-4)
    assert r["rounds"] == 3 and r["calls_per_sample"] >= 1
    assert r["vs_ref"]["min"] <= r["vs_ref"]["median"] <= r["vs_ref"]["max"]
    assert calls["fastdl"] == calls["ref"] >= 3 * r["calls_per_sample"]


def test_interleaved_settles_each_library_before_its_samples():
    order = []

    def f():
        order.append("fastdl")

    def g():
        order.append("ref")
    r = bench.interleaved({"fastdl": f, "ref": g}, rounds=2, sample_s=1e-4, settle_s=1e-3)
    # after the warm-up, every timed sample is preceded by untimed calls of the same library
    timed = order[order.index("ref", order.index("ref") + 1):]  # past the two warm-up passes
    assert order.count("fastdl") > 2 * r["calls_per_sample"] + 2
    runs = [k for i, k in enumerate(timed) if i == 0 or timed[i - 1] != k]
    assert runs[-4:] == ["fastdl", "ref", "fastdl", "ref"]


def test_relerr():
    assert bench.relerr([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert bench.relerr([1.0, 2.5], [1.0, 2.0]) == pytest.approx(0.25)
    assert bench.relerr(np.zeros(2), np.zeros(3)) == math.inf


def test_gemm_rows_quote_percent_of_fma_peak():
    b = bench.Bench(1, True, None)
    if b.fma_peak is None:  # no AVX2+FMA: no peak to quote
        assert "pct_fma_peak" not in bench.bench_gemm(b, 8, 8, 8, "sgemm")
        return
    assert b.fma_peak > 1.0
    row = bench.bench_gemm(b, 32, 64, 64, "sgemm model")
    assert row["valid"]
    assert row["pct_fma_peak"] == pytest.approx(100.0 * row["GFLOP/s"] / b.fma_peak)


def test_a_higher_peak_after_the_rows_requotes_them():
    b = bench.Bench.__new__(bench.Bench)
    b.threads, b.fma_peak = 2, 100.0
    b.rows = [{"GFLOP/s": 80.0, "pct_fma_peak": 80.0}, {"GB/s": 5.0}]
    info = {"fma_peak_gflops": 100.0}
    bench.remeasure_fma_peak(b, info, lambda threads: 200.0)
    assert b.fma_peak == info["fma_peak_gflops"] == 200.0
    assert (info["fma_peak_gflops_start"], info["fma_peak_gflops_end"]) == (100.0, 200.0)
    assert b.rows == [{"GFLOP/s": 80.0, "pct_fma_peak": 40.0}, {"GB/s": 5.0}]
    bench.remeasure_fma_peak(b, info, lambda threads: 150.0)  # lower: kept as it was
    assert b.fma_peak == 200.0 and b.rows[0]["pct_fma_peak"] == 40.0 and info["fma_peak_gflops_end"] == 150.0
