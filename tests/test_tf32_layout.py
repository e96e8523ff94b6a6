"""The index math of the TF32 tensor-core GEMM (csrc/common/mma_tf32_layout.h, which
cuda/gemm_tf32.cu runs), evaluated by the CPU build through _C.cpu.mma_tf32_layout():

- the mma.sync m16n8k8 .tf32 fragment maps against a NumPy model of the PTX ISA tables;
- a NumPy emulation of the kernel (tests/mma_emulation.py: cp.async chunks sized for the
  ragged edges into shared memory, fragment reads, mma tiles as the PTX tables define
  them, the epilogue's predicated writes) reproducing A @ B for every operand layout,
  in-tile and ragged;
- exact coverage of the copies and the warp tiles, and no shared-memory bank conflicts
  for the 16-byte copies and the 32-bit fragment reads.
"""
import itertools

import numpy as np
import pytest

from fastdl import _C
from mma_emulation import assert_chunks_step_uniformly, bank_conflict_ways, chunk_elements, emulate_gemm, hardware_mma

L = _C.cpu.mma_tf32_layout()
BM, BN, BK, THREADS = L["BM"], L["BN"], L["BK"], L["threads"]
LAYOUTS = [True, False]  # operand contiguous along K, or along M (A) / N (B)


def ptx_fragments():
    """[lane][i] -> (row, col) of the A (m, k), B (k, n) and C (m, n) fragments, from the
    PTX ISA's figures for mma.m16n8k8 with .tf32 (groupID = lane / 4, threadID_in_group
    = lane % 4)."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    rc = lambda r, c: np.stack([r, c], -1)  # noqa: E731
    a = np.stack([rc(g, t), rc(g + 8, t), rc(g, t + 4), rc(g + 8, t + 4)], 1)
    b = np.stack([rc(t, g), rc(t + 4, g)], 1)
    c = np.stack([rc(g, 2 * t), rc(g, 2 * t + 1), rc(g + 8, 2 * t), rc(g + 8, 2 * t + 1)], 1)
    return a, b, c


def offsets(k_inner):
    return L["tile_offset_k_inner" if k_inner else "tile_offset_mn_inner"]


def chunks(k_inner):
    return L["copy_chunk_k_inner" if k_inner else "copy_chunk_mn_inner"]


def test_fragments_match_the_ptx_tables():
    a, b, c = ptx_fragments()
    np.testing.assert_array_equal(L["a_frag"], a)
    np.testing.assert_array_equal(L["b_frag"], b)
    np.testing.assert_array_equal(L["c_frag"], c)


@pytest.mark.parametrize("name,shape", [("a_frag", (16, 8)), ("b_frag", (8, 8)), ("c_frag", (16, 8))])
def test_each_fragment_covers_its_matrix_once(name, shape):
    count = np.zeros(shape, int)
    np.add.at(count, (L[name][..., 0], L[name][..., 1]), 1)
    np.testing.assert_array_equal(count, 1)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_copies_cover_the_tile_once(k_inner):
    count = np.zeros((BM, BK), int)
    for mn, k in chunks(k_inner).reshape(-1, 2):
        for e in chunk_elements(k_inner, mn, k, 4):
            count[e] += 1
    np.testing.assert_array_equal(count, 1)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_chunks_of_a_thread_are_a_constant_step_apart(k_inner):
    assert_chunks_step_uniformly(L, k_inner)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_shared_tile_layout_fits_and_keeps_chunks_contiguous(k_inner):
    off = offsets(k_inner)
    assert len(np.unique(off)) == off.size and off.min() >= 0 and off.max() < L["tile_floats"]
    for mn, k in chunks(k_inner).reshape(-1, 2):  # one 16-byte cp.async per chunk
        assert off[mn, k] % 4 == 0
        assert [off[e] for e in chunk_elements(k_inner, mn, k, 4)] == [off[mn, k] + e for e in range(4)]
    assert L["tile_floats"] % 4 == 0  # every stage starts 16-byte aligned
    assert 4 * 2 * L["stages"] * L["tile_floats"] <= 163 * 1024  # sm_80's dynamic shared memory limit


def test_warp_tiles_partition_the_block_tile():
    count = np.zeros((BM, BN), int)
    for r, c in L["warp_origin"][:, 0]:
        count[r:r + L["WM"], c:c + L["WN"]] += 1
    np.testing.assert_array_equal(count, 1)
    assert L["warps_m"] * L["warps_n"] * 32 == THREADS


def fragment_reads(k_inner, operand):
    """Yields the 32 lanes' shared-memory word offsets of every fragment read a warp makes."""
    off = offsets(k_inner)
    frag = L["a_frag" if operand == "a" else "b_frag"]
    ntiles, step = (L["WM"] // 16, 16) if operand == "a" else (L["WN"] // 8, 8)
    for (r0, c0), tile, k8, i in itertools.product(L["warp_origin"][:, 0], range(ntiles), range(0, BK, 8),
                                                   range(frag.shape[1])):
        if operand == "a":
            yield off[r0 + tile * step + frag[:, i, 0], k8 + frag[:, i, 1]]
        else:
            yield off[c0 + tile * step + frag[:, i, 1], k8 + frag[:, i, 0]]


@pytest.mark.parametrize("operand", ["a", "b"])
@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_fragment_reads_are_free_of_bank_conflicts(k_inner, operand):
    assert max(bank_conflict_ways(addr) for addr in fragment_reads(k_inner, operand)) == 1


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_copies_are_free_of_bank_conflicts(k_inner):
    # A 16-byte shared store is served 8 threads at a time; conflict-free when those 8
    # chunks fall in the 8 distinct 16-byte slots of the 128-byte bank row.
    off = offsets(k_inner)
    ch = chunks(k_inner)
    for c in range(L["chunks_per_thread"]):
        for t0 in range(0, THREADS, 8):
            slots = [(off[mn, k] // 4) % 8 for mn, k in ch[t0:t0 + 8, c]]
            assert sorted(slots) == list(range(8)), (c, t0)


def stage_product(sa, sb, oa, ob, m, n):
    """One stage of one 16 x 8 mma tile at (m, n): per k-step of 8, the fragment reads
    and mma.m16n8k8 as the PTX tables define it (the accumulator starts at 0)."""
    fa, fb, fc = ptx_fragments()
    regs = np.zeros((32, 4))
    for k8 in range(0, BK, 8):
        a_regs = sa[oa[m + fa[..., 0], k8 + fa[..., 1]]]
        b_regs = sb[ob[n + fb[..., 1], k8 + fb[..., 0]]]
        regs = hardware_mma(fa, fb, fc, a_regs, b_regs, regs, 8)
    return regs


@pytest.mark.parametrize("mkn", [(128, 32, 128), (130, 44, 20), (5, 3, 7)])
@pytest.mark.parametrize("a_k_inner,b_k_inner", list(itertools.product(LAYOUTS, LAYOUTS)))
def test_emulated_kernel_computes_the_product(mkn, a_k_inner, b_k_inner):
    m, k, n = mkn
    rng = np.random.default_rng(int(a_k_inner) * 2 + int(b_k_inner))
    a, b = rng.uniform(-1, 1, (m, k)), rng.uniform(-1, 1, (k, n))
    c = emulate_gemm(L, _C.cpu.mma_tf32_chunk_bytes, stage_product, a, b, a_k_inner, b_k_inner)
    np.testing.assert_allclose(c, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_chunk_bytes_at_the_edges(k_inner):
    bytes_at = lambda mn, k: _C.cpu.mma_tf32_chunk_bytes(k_inner, mn, k, 10, 7)  # noqa: E731  (extent 10, K 7)
    inner_left = (lambda mn, k: 7 - k) if k_inner else (lambda mn, k: 10 - mn)
    for mn, k in itertools.product(range(0, 16, 4 if not k_inner else 1), range(0, 12, 4 if k_inner else 1)):
        outside = mn >= 10 or k >= 7
        assert bytes_at(mn, k) == (0 if outside else 4 * min(4, inner_left(mn, k))), (mn, k)
