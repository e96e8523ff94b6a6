"""The index math of the fp16 / bf16 tensor-core GEMM (csrc/common/mma_tile_layout.h and
mma_half_layout.h, which cuda/gemm_half.cu runs through cuda/mma_gemm.cuh), evaluated by
the CPU build through _C.cpu.mma_half_layout():

- the mma.sync m16n8k16 .f16 / .bf16 fragment maps against a NumPy model of the PTX
  ISA tables;
- a model of ldmatrix.x4 (which lane's row feeds which register, with and without
  .trans) fed with the addresses the kernel gives: the registers must come out as those
  fragments, for operands contiguous along K (plain) and along M / N (.trans);
- exact coverage of the copies, the constant per-chunk stride the copy loop relies on,
  no shared-memory bank conflicts for the 16-byte copies and the ldmatrix phases;
- the kernel emulated in NumPy (tests/mma_emulation.py) reproducing A @ B for every
  operand layout, in-tile and ragged.
"""
import functools
import itertools

import numpy as np
import pytest

from fastdl import _C
from mma_emulation import assert_chunks_step_uniformly, chunk_elements, emulate_gemm, hardware_mma, offsets

L = _C.cpu.mma_half_layout()
BM, BK, THREADS, CHUNK = L["BM"], L["BK"], L["threads"], L["chunk"]
LAYOUTS = [True, False]  # operand contiguous along K, or along M (A) / N (B)


def ptx_fragments():
    """[lane][i] -> (row, col) of the A (m, k), B (k, n) and C (m, n) fragments, from the
    PTX ISA's figures for mma.m16n8k16 with .f16 / .bf16 (groupID g = lane / 4,
    threadID_in_group t = lane % 4)."""
    lane = np.arange(32)
    g, t = lane // 4, lane % 4
    rc = lambda r, c: np.stack([r, c], -1)  # noqa: E731
    a = np.stack([rc(g, 2 * t), rc(g, 2 * t + 1), rc(g + 8, 2 * t), rc(g + 8, 2 * t + 1),
                  rc(g, 2 * t + 8), rc(g, 2 * t + 9), rc(g + 8, 2 * t + 8), rc(g + 8, 2 * t + 9)], 1)
    b = np.stack([rc(2 * t, g), rc(2 * t + 1, g), rc(2 * t + 8, g), rc(2 * t + 9, g)], 1)
    c = np.stack([rc(g, 2 * t), rc(g, 2 * t + 1), rc(g + 8, 2 * t), rc(g + 8, 2 * t + 1)], 1)
    return a, b, c


def ldmatrix_rows(k_inner, operand):
    return L[f"ldmatrix_{operand}_{'k_inner' if k_inner else 'mn_inner'}"][:, 0]


@functools.lru_cache(maxsize=None)
def ldmatrix_regs(k_inner, operand):
    return ldmatrix_x4(ldmatrix_rows(k_inner, operand), k_inner)


def ldmatrix_x4(rows, k_inner):
    """What ldmatrix.x4 hands each lane, as (mn, k) coordinates: [lane][register][half].
    rows[l] is the (mn, k) start of the 16-byte row lane l addresses; a row runs along the
    contiguous dim (k when k_inner). Plain (k_inner): register q of lane l holds row
    8q + l/4, elements 2(l%4) and +1; .trans (otherwise): rows 8q + 2(l%4) and +1,
    element l/4 of each."""
    along = np.array([0, 1]) if k_inner else np.array([1, 0])
    out = np.empty((32, 4, 2, 2), int)
    for lane, q, e in itertools.product(range(32), range(4), range(2)):
        if k_inner:
            row, pos = 8 * q + lane // 4, 2 * (lane % 4) + e
        else:
            row, pos = 8 * q + 2 * (lane % 4) + e, lane // 4
        out[lane, q, e] = rows[row] + pos * along
    return out


def test_fragments_match_the_ptx_tables():
    a, b, c = ptx_fragments()
    np.testing.assert_array_equal(L["a_frag"], a)
    np.testing.assert_array_equal(L["b_frag"], b)
    np.testing.assert_array_equal(L["c_frag"], c)


@pytest.mark.parametrize("name,shape", [("a_frag", (16, 16)), ("b_frag", (16, 8)), ("c_frag", (16, 8))])
def test_each_fragment_covers_its_matrix_once(name, shape):
    count = np.zeros(shape, int)
    np.add.at(count, (L[name][..., 0], L[name][..., 1]), 1)
    np.testing.assert_array_equal(count, 1)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_ldmatrix_gives_the_a_fragment(k_inner):
    got = ldmatrix_x4(ldmatrix_rows(k_inner, "a"), k_inner)  # (mn, k) = (m, k)
    np.testing.assert_array_equal(got.reshape(32, 8, 2), L["a_frag"])


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_ldmatrix_gives_the_b_fragments_of_two_n_tiles(k_inner):
    got = ldmatrix_x4(ldmatrix_rows(k_inner, "b"), k_inner)  # (mn, k) = (n, k)
    for tile in range(2):  # registers 2 tile, 2 tile + 1: b0..b3 of n tile `tile`
        regs = got[:, 2 * tile:2 * tile + 2].reshape(32, 4, 2)
        np.testing.assert_array_equal(regs[..., 1], L["b_frag"][..., 0])  # k
        np.testing.assert_array_equal(regs[..., 0] - 8 * tile, L["b_frag"][..., 1])  # n


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_copies_cover_the_tile_once_with_a_constant_step(k_inner):
    ch = L["copy_chunk_k_inner" if k_inner else "copy_chunk_mn_inner"]
    count = np.zeros((BM, BK), int)
    for mn, k in ch.reshape(-1, 2):
        for e in chunk_elements(k_inner, mn, k, CHUNK):
            count[e] += 1
    np.testing.assert_array_equal(count, 1)
    assert_chunks_step_uniformly(L, k_inner)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_shared_tile_layout_fits_and_keeps_chunks_contiguous(k_inner):
    off = offsets(L, k_inner)
    assert len(np.unique(off)) == off.size and off.min() >= 0 and off.max() < L["tile_elems"]
    ch = L["copy_chunk_k_inner" if k_inner else "copy_chunk_mn_inner"]
    for mn, k in ch.reshape(-1, 2):  # one 16-byte cp.async per chunk
        assert off[mn, k] % CHUNK == 0
        assert [off[e] for e in chunk_elements(k_inner, mn, k, CHUNK)] == [off[mn, k] + e for e in range(CHUNK)]
    assert L["tile_elems"] % CHUNK == 0  # every stage starts 16-byte aligned
    assert 2 * 2 * L["stages"] * L["tile_elems"] <= 163 * 1024  # sm_80's dynamic shared memory limit


def slots(byte_offsets):
    """The 16-byte slots of a 128-byte bank row that these 16-byte accesses hit."""
    return sorted((np.asarray(byte_offsets) // 16 % 8).tolist())


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_copies_are_free_of_bank_conflicts(k_inner):
    # A 16-byte shared store is served 8 threads at a time; conflict-free when those 8
    # chunks fall in the 8 distinct 16-byte slots of the 128-byte bank row.
    off = offsets(L, k_inner)
    ch = L["copy_chunk_k_inner" if k_inner else "copy_chunk_mn_inner"]
    for c in range(L["chunks_per_thread"]):
        for t0 in range(0, THREADS, 8):
            assert slots([2 * off[mn, k] for mn, k in ch[t0:t0 + 8, c]]) == list(range(8)), (c, t0)


@pytest.mark.parametrize("operand", ["a", "b"])
@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_ldmatrix_phases_are_free_of_bank_conflicts(k_inner, operand):
    # ldmatrix reads one 8 x 16-byte matrix per phase: its 8 rows (8 lanes' addresses)
    # must hit the 8 distinct 16-byte slots.
    off, rows = offsets(L, k_inner), ldmatrix_rows(k_inner, operand)
    origins = L["warp_origin"][:, 0, 0 if operand == "a" else 1]
    ntiles = L["WM"] // 16 if operand == "a" else L["WN"] // 16  # A: 16-row mma tiles; B: pairs of 8-wide ones
    for o, tile, k16, q in itertools.product(origins, range(ntiles), range(0, BK, 16), range(4)):
        r = rows[8 * q:8 * q + 8]
        assert slots([2 * off[o + tile * 16 + mn, k16 + k] for mn, k in r]) == list(range(8))


def stage_product(sa, sb, oa, ob, a_k_inner, b_k_inner, m, n):
    """One stage of the 16 x 8 mma tile at (m, n): per k-step of 16, ldmatrix.x4 of A and
    of the B pair holding this tile, at the kernel's addresses, then mma.m16n8k16."""
    fa, fb, fc = ptx_fragments()
    pair0, tile = n - n % 16, (n % 16) // 8
    regs = np.zeros((32, 4))
    for k16 in range(0, BK, 16):
        a_at = ldmatrix_regs(a_k_inner, "a")  # [lane][reg][half] -> (m, k)
        b_at = ldmatrix_regs(b_k_inner, "b")  # -> (n, k)
        a_regs = sa[oa[m + a_at[..., 0], k16 + a_at[..., 1]]].reshape(32, 8)
        b_regs = sb[ob[pair0 + b_at[..., 0], k16 + b_at[..., 1]]][:, 2 * tile:2 * tile + 2].reshape(32, 4)
        regs = hardware_mma(fa, fb, fc, a_regs, b_regs, regs, 16)
    return regs


@pytest.mark.parametrize("mkn", [(128, 64, 128), (130, 72, 20), (5, 3, 7)])
@pytest.mark.parametrize("a_k_inner,b_k_inner", list(itertools.product(LAYOUTS, LAYOUTS)))
def test_emulated_kernel_computes_the_product(mkn, a_k_inner, b_k_inner):
    m, k, n = mkn
    rng = np.random.default_rng(int(a_k_inner) * 2 + int(b_k_inner))
    a, b = rng.uniform(-1, 1, (m, k)), rng.uniform(-1, 1, (k, n))

    def product(sa, sb, oa, ob, mm, nn):
        return stage_product(sa, sb, oa, ob, a_k_inner, b_k_inner, mm, nn)

    c = emulate_gemm(L, _C.cpu.mma_half_chunk_bytes, product, a, b, a_k_inner, b_k_inner)
    np.testing.assert_allclose(c, a @ b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("k_inner", LAYOUTS)
def test_chunk_bytes_at_the_edges(k_inner):
    bytes_at = lambda mn, k: _C.cpu.mma_half_chunk_bytes(k_inner, mn, k, 20, 13)  # noqa: E731  (extent 20, K 13)
    inner_left = (lambda mn, k: 13 - k) if k_inner else (lambda mn, k: 20 - mn)
    for mn, k in itertools.product(range(0, 32, 8 if not k_inner else 1), range(0, 24, 8 if k_inner else 1)):
        outside = mn >= 20 or k >= 13
        assert bytes_at(mn, k) == (0 if outside else 2 * min(8, inner_left(mn, k))), (mn, k)
