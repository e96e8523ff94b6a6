"""A NumPy model of the tensor-core GEMM kernel (cuda/mma_gemm.cuh) driven by the index
math the CPU build exposes (_C.cpu.mma_tf32_layout() / mma_half_layout(), a dict `L`):
operands laid out in global memory as the kernel reads them, each thread's cp.async
chunks into (emulated) shared memory, and the block / warp / mma tiling with the
epilogue's predicated writes. The element-specific part, one stage's fragment reads and
mma.sync, is a `stage_product` callback; tests/test_tf32_layout.py and
tests/test_half_gemm_layout.py supply theirs.
"""
import itertools

import numpy as np


def bank_conflict_ways(word_addresses):
    """How many distinct 32-bit words one bank serves for this warp-wide access (1: none)."""
    words = np.unique(np.asarray(word_addresses))
    return int(np.bincount(words % 32).max())


def chunk_elements(k_inner, mn, k, chunk):
    """The (mn, k) of the elements of the chunk starting at (mn, k): along the contiguous dim."""
    return [(mn, k + e) if k_inner else (mn + e, k) for e in range(chunk)]


def global_operand(x_mn_k, k_inner, chunk):
    """x (extent x K) stored flat as the kernel reads it: contiguous along K (k_inner) or
    along mn, with a leading dim (a multiple of the chunk) past the extent whose padding
    is NaN, and nothing after the last element, so a read past the operand either
    poisons the result or fails."""
    rows, cols = x_mn_k.shape if k_inner else x_mn_k.T.shape
    ld = (cols + chunk - 1) // chunk * chunk + chunk
    flat = np.full(rows * ld, np.nan)
    flat.reshape(rows, ld)[:, :cols] = x_mn_k if k_inner else x_mn_k.T
    return flat[:(rows - 1) * ld + cols], ld


def offsets(L, k_inner):
    return L["tile_offset_k_inner" if k_inner else "tile_offset_mn_inner"]


def chunks(L, k_inner):
    return L["copy_chunk_k_inner" if k_inner else "copy_chunk_mn_inner"]


def assert_chunks_step_uniformly(L, k_inner):
    """The copy loop (mma_gemm.cuh's load_tile) adds chunk_step to chunk 0's address for
    each further chunk: every thread's chunks must be exactly that far apart."""
    steps = np.diff(chunks(L, k_inner), axis=1)
    step = L["chunk_step_k_inner" if k_inner else "chunk_step_mn_inner"][0, 0]
    assert (steps == step).all()


def tile_elems(L):
    return L["tile_floats"] if "tile_floats" in L else L["tile_elems"]


def emulate_gemm(L, chunk_bytes, stage_product, a, b, a_k_inner, b_k_inner):
    """C = A @ B for any M, K, N through the kernel's index math: per block and k-tile,
    every thread's cp.async chunks (sized by chunk_bytes(k_inner, mn, k, extent, K), the
    rest zero-filled), then per warp and mma tile stage_product(sa, sb, oa, ob, m, n),
    which returns the (32, 4) accumulator registers one stage adds to the 16 x 8 tile
    at (m, n) of the block, and the epilogue's predicated writes."""
    (m, k), n = a.shape, b.shape[1]
    bm, bn, bk, chunk = L["BM"], L["BN"], L["BK"], L["chunk"]
    elem_bytes = 16 // chunk
    operands = [(global_operand(a, a_k_inner, chunk), a_k_inner, m),
                (global_operand(b.T, b_k_inner, chunk), b_k_inner, n)]

    def fill(operand, mn0, k0):  # one operand tile into (emulated) shared memory
        (flat, ld), k_inner, extent = operand
        smem, off = np.full(tile_elems(L), np.nan), offsets(L, k_inner)
        for cmn, ck in chunks(L, k_inner).reshape(-1, 2):
            gmn, gk = mn0 + cmn, k0 + ck
            nbytes = chunk_bytes(bool(k_inner), int(gmn), int(gk), extent, k)
            src = gmn * ld + gk if k_inner else gk * ld + gmn
            vals = np.zeros(chunk)
            if nbytes:
                assert src % chunk == 0 and src + nbytes // elem_bytes <= flat.size, "cp.async reads outside the operand"
                vals[:nbytes // elem_bytes] = flat[src:src + nbytes // elem_bytes]
            smem[off[cmn, ck]:off[cmn, ck] + chunk] = vals
        return smem

    oa, ob, fc = offsets(L, a_k_inner), offsets(L, b_k_inner), L["c_frag"]
    c = np.full((m, n), np.nan)
    for m0, n0 in itertools.product(range(0, m, bm), range(0, n, bn)):
        acc = {}
        for k0 in range(0, k, bk):
            sa, sb = fill(operands[0], m0, k0), fill(operands[1], n0, k0)
            for (r0, c0), i, j in itertools.product(L["warp_origin"][:, 0], range(L["WM"] // 16),
                                                     range(L["WN"] // 8)):
                tile = acc.setdefault((r0 + i * 16, c0 + j * 8), np.zeros((32, 4)))
                tile += stage_product(sa, sb, oa, ob, r0 + i * 16, c0 + j * 8)
        for (tr, tc), tile in acc.items():
            rows, cols = m0 + tr + fc[..., 0], n0 + tc + fc[..., 1]
            inside = (rows < m) & (cols < n)
            c[rows[inside], cols[inside]] = tile[inside]
    return c


def hardware_mma(frag_a, frag_b, frag_c, a_regs, b_regs, c_regs, k):
    """D = A @ B + C for one warp's registers ([lane][i]) of an m16 n8 k`k` mma, the
    matrices placed by the fragment tables frag_* ([lane][i] -> (row, col))."""
    a, b, c = np.empty((16, k)), np.empty((k, 8)), np.empty((16, 8))
    a[frag_a[..., 0], frag_a[..., 1]] = a_regs
    b[frag_b[..., 0], frag_b[..., 1]] = b_regs
    c[frag_c[..., 0], frag_c[..., 1]] = c_regs
    return (a @ b + c)[frag_c[..., 0], frag_c[..., 1]]
