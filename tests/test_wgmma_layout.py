"""The bit and index math of the sm_90a wgmma + TMA GEMM (csrc/common/wgmma_layout.h,
run by cuda/gemm_wgmma.cu), evaluated by the CPU build through _C.cpu.wgmma_layout(),
against models written from the PTX ISA and the CUDA driver docs:

- the 64-bit shared-memory matrix descriptor's fields (PTX ISA "Matrix Descriptor
  Format": start address, LBO, SBO >> 4 in bits 0-13, 16-29, 32-45; base offset bits
  49-51; swizzle mode bits 62-63, 1 = 128B);
- the 128-byte swizzle (CU_TENSOR_MAP_SWIZZLE_128B: within each 1024-byte block, the
  16-byte chunk c of 128-byte row r lands at chunk c ^ (r % 8));
- a model of TMA writing an operand tile box by box, against tile_offset and box_coord;
- a model of wgmma reading the canonical 128B-swizzled layouts from a descriptor
  (K-major and MN-major), against where TMA put every element, for each wgmma the
  kernel issues;
- the m64nNk16 f32 accumulator fragment, and the whole tile product emulated from
  these pieces reproducing A @ B in every layout.

The kernel itself has only been compiled here; tests/test_cuda_wgmma.py runs it on a GPU.
"""
import numpy as np
import pytest

from fastdl import _C

L = _C.cpu.wgmma_layout()
BM, BN, BK, BOX = L["BM"], L["BN"], L["BK"], L["box"]
LAYOUTS = [True, False]  # operand contiguous along K, or along M (A) / N (B)
TILE_BASE = 0x8000  # any 1024-byte aligned shared-memory address


def decode_desc(desc):
    """The fields of a wgmma matrix descriptor, as the PTX ISA lays them out."""
    return dict(start=(desc & 0x3FFF) << 4, lbo=((desc >> 16) & 0x3FFF) << 4, sbo=((desc >> 32) & 0x3FFF) << 4,
                base_offset=(desc >> 49) & 7, swizzle=(desc >> 62) & 3,
                unused=desc & ~((0x3FFF) | (0x3FFF << 16) | (0x3FFF << 32) | (7 << 49) | (3 << 62)))


def swizzle_model(offset):
    """CU_TENSOR_MAP_SWIZZLE_128B from a 1024-byte aligned base."""
    row, chunk, byte = offset // 128, (offset % 128) // 16, offset % 16
    return row * 128 + ((chunk ^ (row % 8)) * 16) + byte


def test_descriptor_fields():
    assert _C.cpu.wgmma_smem_desc(0x400, 16, 1024, 1) == 0x4000004000010040  # worked by hand
    rng = np.random.default_rng(0)
    for _ in range(200):
        addr, lbo, sbo = (int(v) * 16 for v in rng.integers(0, 1 << 14, 3))
        mode = int(rng.integers(0, 4))
        f = decode_desc(_C.cpu.wgmma_smem_desc(addr, lbo, sbo, mode))
        assert (f["start"], f["lbo"], f["sbo"], f["swizzle"]) == (addr, lbo, sbo, mode)
        assert f["base_offset"] == 0 and f["unused"] == 0
    assert L["swizzle_128b"] == 1


def test_swizzle_matches_tma_model_and_permutes_each_1024_bytes():
    offsets = np.arange(4 * 8192)
    got = np.array([_C.cpu.wgmma_swizzle128(int(o)) for o in offsets])
    np.testing.assert_array_equal(got, [swizzle_model(int(o)) for o in offsets])
    for block in range(len(offsets) // 1024):
        sl = got[block * 1024:(block + 1) * 1024]
        assert sorted(sl) == list(range(block * 1024, (block + 1) * 1024))


def test_tiling_constants():
    assert L["BK"] * 2 == 128  # one 128-byte swizzle row of k per mn (K-major)
    assert L["box_bytes"] == BOX * BOX * 2 and BM % BOX == 0 and BN % BOX == 0
    assert L["consumers"] * L["instr_m"] == BM and L["instr_n"] == BN and BK % L["instr_k"] == 0
    assert L["threads"] == 128 * (1 + L["consumers"])
    assert L["stage_bytes"] == (BM + BN) * BK * 2 and L["a_bytes"] == BM * BK * 2
    assert L["a_bytes"] % 1024 == 0 and L["stage_bytes"] % 1024 == 0  # every tile stays swizzle-aligned
    assert 1024 + L["stages"] * L["stage_bytes"] + 16 * L["stages"] <= 227 * 1024  # sm_90's opt-in limit
    assert L["acc"] == L["instr_m"] * L["instr_n"] // 128


def tma_tile(k_major, rows, mn0, k0, fetch):
    """A model of the producer: box j of the tile at (mn0, k0) is one TMA copy of the
    64 x 64 box at box_coord (dim 0 the contiguous one) into bytes j * 8192 onward, 128B
    swizzled. fetch(mn, k) gives the global element. Returns {byte offset: (mn, k)} with
    (mn, k) relative to the tile, and the tile's values as an array of byte offsets."""
    placed, values = {}, {}
    for j in range(rows // BOX):
        inner0, outer0 = _C.cpu.wgmma_box_coord(k_major, mn0, k0, j)
        for o in range(BOX):
            for i in range(BOX):
                mn, k = (outer0 + o, inner0 + i) if k_major else (inner0 + i, outer0 + o)
                off = j * L["box_bytes"] + swizzle_model(o * 128 + i * 2)
                assert off not in placed
                placed[off] = (mn - mn0, k - k0)
                values[off] = fetch(mn, k)
    return placed, values


@pytest.mark.parametrize("k_major", LAYOUTS)
def test_tile_offset_is_where_tma_puts_each_element(k_major):
    offsets = L["tile_offset_k_major" if k_major else "tile_offset_mn_major"]
    placed, _ = tma_tile(k_major, BN, 3 * BN, 5 * BK, lambda mn, k: 0)
    assert len(placed) == BN * BK
    for off, (mn, k) in placed.items():
        assert offsets[mn, k] == off


def wgmma_read_offset(desc, k_major, mn, k):
    """Where wgmma reads element (mn, k) of its operand (mn < 64 or 256, k < 16) from the
    canonical 128B-swizzled layouts (PTX ISA "Shared Memory Matrix Layout"; in 16-byte
    units T, as CUTLASS writes them): K-major ((8, m), (T, 2)) : ((8T, SBO), (1, T));
    MN-major ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO)). The address bits are
    swizzled as TMA swizzled them (both from 1024-byte aligned blocks)."""
    f = decode_desc(desc)
    assert f["swizzle"] == 1 and f["base_offset"] == 0
    if k_major:
        addr = f["start"] + (mn % 8) * 128 + (mn // 8) * f["sbo"] + k * 2
    else:
        addr = f["start"] + (mn % 64) * 2 + (mn // 64) * f["lbo"] + (k % 8) * 128 + (k // 8) * f["sbo"]
    return swizzle_model(addr)


def operand_desc(k_major, mn0, k0):
    """The descriptor the kernel builds (operand_desc in gemm_wgmma.cu)."""
    suffix = "_k_major" if k_major else "_mn_major"
    return _C.cpu.wgmma_smem_desc(TILE_BASE + _C.cpu.wgmma_desc_start(k_major, mn0, k0), L["lbo" + suffix],
                                  L["sbo" + suffix], L["swizzle_128b"])


@pytest.mark.parametrize("k_major", LAYOUTS)
@pytest.mark.parametrize("operand", ["A", "B"])
def test_each_wgmma_reads_the_elements_it_multiplies(k_major, operand):
    # A: consumer c reads rows 64c .. 64c + 63 (64 x 16 per wgmma); B: all 256 n (256 x 16).
    offsets = L["tile_offset_k_major" if k_major else "tile_offset_mn_major"]
    rows, origins = (L["instr_m"], [c * L["instr_m"] for c in range(L["consumers"])]) if operand == "A" \
        else (L["instr_n"], [0])
    for mn0 in origins:
        for k0 in range(0, BK, L["instr_k"]):
            desc = operand_desc(k_major, mn0, k0)
            for mn in range(rows):
                for k in range(L["instr_k"]):
                    got = wgmma_read_offset(desc, k_major, mn, k) - TILE_BASE
                    assert got == offsets[mn0 + mn, k0 + k], (mn0, k0, mn, k)


def ptx_acc_fragment():
    """[thread][i] -> (row, col) of the wgmma .m64nNk16 f32 D fragment (PTX ISA figure):
    warp w = t / 32 holds rows 16w + lane / 4 (+ 8), each n8 block's four registers at
    columns 2 (lane % 4) and + 1."""
    t = np.arange(128)[:, None]
    i = np.arange(L["acc"])[None, :]
    lane = t % 32
    row = 16 * (t // 32) + lane // 4 + 8 * ((i // 2) % 2)
    col = 8 * (i // 4) + 2 * (lane % 4) + i % 2
    return np.stack(np.broadcast_arrays(row, col), -1)


def test_accumulator_fragment():
    acc = L["acc_coord"]
    np.testing.assert_array_equal(acc, ptx_acc_fragment())
    cells = acc[..., 0] * BN + acc[..., 1]
    assert sorted(cells.ravel()) == list(range(L["instr_m"] * BN))  # each C element exactly once


@pytest.mark.parametrize("a_k", LAYOUTS)
@pytest.mark.parametrize("b_k", LAYOUTS)
def test_emulated_block_tile_is_a_at_b(a_k, b_k):
    """One block tile of a ragged GEMM, K over two stages, through the models: TMA boxes
    (zeros out of bounds) -> descriptors -> fragments -> C, against A @ B."""
    rng = np.random.default_rng(1)
    M, N, K = 70, 200, 100  # all inside one 128 x 256 tile; K ragged in the second stage
    a = rng.integers(-4, 5, (M, K)).astype(np.float64)
    b = rng.integers(-4, 5, (K, N)).astype(np.float64)
    fetch_a = lambda m, k: a[m, k] if m < M and k < K else 0.0  # noqa: E731  (TMA fills zeros)
    fetch_b = lambda n, k: b[k, n] if n < N and k < K else 0.0  # noqa: E731
    c = np.zeros((BM, BN))
    for k0 in range(0, K, BK):
        _, a_smem = tma_tile(a_k, BM, 0, k0, fetch_a)
        _, b_smem = tma_tile(b_k, BN, 0, k0, fetch_b)
        for cons in range(L["consumers"]):
            row0 = cons * L["instr_m"]
            d = np.zeros((128, L["acc"]))
            for kk in range(0, BK, L["instr_k"]):
                da, db = operand_desc(a_k, row0, kk), operand_desc(b_k, 0, kk)
                ta = np.array([[a_smem[wgmma_read_offset(da, a_k, m, k) - TILE_BASE] for k in range(16)]
                               for m in range(L["instr_m"])])
                tb = np.array([[b_smem[wgmma_read_offset(db, b_k, n, k) - TILE_BASE] for k in range(16)]
                               for n in range(BN)])
                prod = ta @ tb.T  # (64, 256)
                acc = L["acc_coord"]
                d += prod[acc[..., 0], acc[..., 1]]
            acc = L["acc_coord"]
            np.add.at(c, (row0 + acc[..., 0], acc[..., 1]), d)
    np.testing.assert_array_equal(c[:M, :N], a @ b)
    assert not c[M:].any() and not c[:, N:].any()
