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
  these pieces reproducing A @ B in every layout;
- the same for TF32 (float32 storage, 4-byte elements, wgmma k8, K-major only: the PTX
  ISA gives 32-bit types no transpose): 32 elements per 128-byte swizzle row;
- the batch: merged into one dim (or refused) and each operand's 3-D tensor map
  (cuTensorMapEncodeTiled's rules: 16-byte aligned start and strides below 2^40; a
  broadcast operand gets a one-deep batch dim), emulated through a TMA model that reads
  flat memory by the map's dims and strides.

The kernel itself has only been compiled here; tests/test_cuda_wgmma.py runs it on a GPU.
"""
import numpy as np
import pytest

from fastdl import _C

L = _C.cpu.wgmma_layout()  # 16-bit elements (fp16 / bf16)
LAYOUT = {2: L, 4: _C.cpu.wgmma_layout(4)}  # by element bytes; 4: TF32
BM, BN, BOX = L["BM"], L["BN"], L["box"]
LAYOUTS = [True, False]  # operand contiguous along K, or along M (A) / N (B)
# (element bytes, k_major) of the operand tiles the kernel builds: tf32 only K-major
OPERAND_KINDS = [(2, True), (2, False), (4, True)]
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


@pytest.mark.parametrize("eb", [2, 4])
def test_tiling_constants(eb):
    L = LAYOUT[eb]
    assert L["BK"] * eb == 128  # one 128-byte swizzle row of k per mn (K-major)
    assert L["instr_k"] == {2: 16, 4: 8}[eb]  # m64nNk16 for f16 / bf16, m64nNk8 for tf32 (32 bytes of k)
    assert L["box_bytes"] == BOX * 128 and BM % BOX == 0 and BN % BOX == 0
    assert L["consumers"] * L["instr_m"] == BM and L["instr_n"] == BN and L["BK"] % L["instr_k"] == 0
    assert L["threads"] == 128 * (1 + L["consumers"])
    assert L["stage_bytes"] == (BM + BN) * L["BK"] * eb and L["a_bytes"] == BM * L["BK"] * eb
    assert L["a_bytes"] % 1024 == 0 and L["stage_bytes"] % 1024 == 0  # every tile stays swizzle-aligned
    assert 1024 + L["stages"] * L["stage_bytes"] + 16 * L["stages"] <= 227 * 1024  # sm_90's opt-in limit
    assert L["acc"] == L["instr_m"] * L["instr_n"] // 128


def tma_tile(k_major, rows, mn0, k0, fetch, eb=2, z=0, z_step=0):
    """A model of the producer: box j of the tile at (mn0, k0) of batch entry z is one
    TMA copy of the box (128 bytes x 64 rows) at box_coord (dim 0 the contiguous one)
    into bytes j * 8192 onward, 128B swizzled. fetch(inner, outer, batch) gives the
    element at those tensor-map coordinates. Returns {byte offset: (mn, k)} with (mn, k)
    relative to the tile, and {byte offset: value}."""
    placed, values = {}, {}
    inner_n = 128 // eb
    for j in range(rows // BOX):
        inner0, outer0, zb = _C.cpu.wgmma_box_coord(k_major, mn0, k0, j, z, z_step)
        assert zb == z * z_step
        for o in range(BOX):
            for i in range(inner_n):
                mn, k = (outer0 + o, inner0 + i) if k_major else (inner0 + i, outer0 + o)
                off = j * L["box_bytes"] + swizzle_model(o * 128 + i * eb)
                assert off not in placed
                placed[off] = (mn - mn0, k - k0)
                values[off] = fetch(inner0 + i, outer0 + o, zb)
    return placed, values


@pytest.mark.parametrize("eb,k_major", OPERAND_KINDS)
def test_tile_offset_is_where_tma_puts_each_element(eb, k_major):
    L = LAYOUT[eb]
    offsets = L["tile_offset_k_major" if k_major else "tile_offset_mn_major"]
    placed, _ = tma_tile(k_major, BN, 3 * BN, 5 * L["BK"], lambda i, o, z: 0, eb)
    assert len(placed) == BN * L["BK"] and offsets.shape == (BN, L["BK"])
    for off, (mn, k) in placed.items():
        assert offsets[mn, k] == off


def wgmma_read_offset(desc, k_major, mn, k, eb=2):
    """Where wgmma reads element (mn, k) of its operand (mn < 64 or 256, k < 32 bytes of
    elements) from the canonical 128B-swizzled layouts (PTX ISA "Shared Memory Matrix
    Layout"; in 16-byte units T, as CUTLASS writes them, the same in bytes for 16- and
    32-bit elements): K-major ((8, m), (T, 2)) : ((8T, SBO), (1, T)); MN-major
    ((T, 8, m), (8, k)) : ((1, T, LBO), (8T, SBO)). The address bits are swizzled as TMA
    swizzled them (both from 1024-byte aligned blocks)."""
    f = decode_desc(desc)
    assert f["swizzle"] == 1 and f["base_offset"] == 0
    if k_major:
        addr = f["start"] + (mn % 8) * 128 + (mn // 8) * f["sbo"] + k * eb
    else:
        per_row = 128 // eb
        addr = f["start"] + (mn % per_row) * eb + (mn // per_row) * f["lbo"] + (k % 8) * 128 + (k // 8) * f["sbo"]
    return swizzle_model(addr)


def operand_desc(k_major, mn0, k0, eb=2):
    """The descriptor the kernel builds (operand_desc in gemm_wgmma.cu)."""
    suffix = "_k_major" if k_major else "_mn_major"
    return _C.cpu.wgmma_smem_desc(TILE_BASE + _C.cpu.wgmma_desc_start(k_major, mn0, k0, eb), L["lbo" + suffix],
                                  L["sbo" + suffix], L["swizzle_128b"])


@pytest.mark.parametrize("eb,k_major", OPERAND_KINDS)
@pytest.mark.parametrize("operand", ["A", "B"])
def test_each_wgmma_reads_the_elements_it_multiplies(eb, k_major, operand):
    # A: consumer c reads rows 64c .. 64c + 63 (64 x k per wgmma); B: all 256 n (256 x k).
    L = LAYOUT[eb]
    offsets = L["tile_offset_k_major" if k_major else "tile_offset_mn_major"]
    rows, origins = (L["instr_m"], [c * L["instr_m"] for c in range(L["consumers"])]) if operand == "A" \
        else (L["instr_n"], [0])
    for mn0 in origins:
        for k0 in range(0, L["BK"], L["instr_k"]):
            desc = operand_desc(k_major, mn0, k0, eb)
            for mn in range(rows):
                for k in range(L["instr_k"]):
                    got = wgmma_read_offset(desc, k_major, mn, k, eb) - TILE_BASE
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


def emulate_block_tile(a_k, b_k, eb, k, fetch_a, fetch_b, z=0, za=0, zb=0):
    """The (BM, BN) C tile at the origin of batch entry z, K over k, through the models:
    TMA boxes (fetch_*(inner, outer, batch) as the tensor map reads) -> descriptors ->
    fragments -> accumulators."""
    L = LAYOUT[eb]
    c = np.zeros((BM, BN))
    acc = L["acc_coord"]
    for k0 in range(0, k, L["BK"]):
        _, a_smem = tma_tile(a_k, BM, 0, k0, fetch_a, eb, z, za)
        _, b_smem = tma_tile(b_k, BN, 0, k0, fetch_b, eb, z, zb)
        for cons in range(L["consumers"]):
            row0 = cons * L["instr_m"]
            d = np.zeros((128, L["acc"]))
            for kk in range(0, L["BK"], L["instr_k"]):
                da, db = operand_desc(a_k, row0, kk, eb), operand_desc(b_k, 0, kk, eb)
                ta = np.array([[a_smem[wgmma_read_offset(da, a_k, m, q, eb) - TILE_BASE] for q in range(L["instr_k"])]
                               for m in range(L["instr_m"])])
                tb = np.array([[b_smem[wgmma_read_offset(db, b_k, n, q, eb) - TILE_BASE] for q in range(L["instr_k"])]
                               for n in range(BN)])
                prod = ta @ tb.T  # (64, 256)
                d += prod[acc[..., 0], acc[..., 1]]
            np.add.at(c, (row0 + acc[..., 0], acc[..., 1]), d)
    return c


@pytest.mark.parametrize("eb,a_k,b_k", [(2, True, True), (2, True, False), (2, False, True), (2, False, False),
                                        (4, True, True)])
def test_emulated_block_tile_is_a_at_b(eb, a_k, b_k):
    """One block tile of a ragged GEMM, K over two (16-bit) or four (tf32) stages, the
    last ragged, against A @ B; TMA fills zeros out of bounds."""
    rng = np.random.default_rng(1)
    M, N, K = 70, 200, 100  # all inside one 128 x 256 tile
    a = rng.integers(-4, 5, (M, K)).astype(np.float64)
    b = rng.integers(-4, 5, (K, N)).astype(np.float64)

    def fetch(mat, k_major):  # the 2-D tensor map of an (mn, k) operand: dim 0 the contiguous one
        def f(inner, outer, z):
            mn, k = (outer, inner) if k_major else (inner, outer)
            return mat[mn, k] if mn < mat.shape[0] and k < mat.shape[1] else 0.0
        return f

    c = emulate_block_tile(a_k, b_k, eb, K, fetch(a, a_k), fetch(b.T, b_k))
    np.testing.assert_array_equal(c[:M, :N], a @ b)
    assert not c[M:].any() and not c[:, N:].any()


# ---------------------------------------------------------------- the batch

def test_flat_batch_merges_what_one_stride_can_walk():
    fb = _C.cpu.wgmma_flat_batch
    # contiguous (2, 3) batches of 40-element A, 24-element B, 60-element C: one dim of 6
    assert fb([2, 3], [[120, 40], [72, 24], [180, 60]]) == (6, (40, 24, 60))
    assert fb([2, 3], [[120, 40], [0, 0], [180, 60]]) == (6, (40, 0, 60))  # B broadcast over both dims
    assert fb([4, 1, 3], [[9, 5, 3], [3, 7, 1], [30, 1, 10]]) == (12, (3, 1, 10))  # size-1 dims drop out
    assert fb([5], [[8, ], [0], [4]]) == (5, (8, 0, 4))
    assert fb([1, 1], [[3, 5], [7, 9], [1, 2]]) == (1, (0, 0, 0))  # no batch: every stride unused
    assert fb([], [[], [], []]) == (1, (0, 0, 0))
    assert fb([2, 3], [[120, 40], [0, 24], [180, 60]]) is None  # B broadcast over one dim only
    assert fb([2, 3], [[40, 80], [24, 48], [60, 120]]) is None  # batch dims transposed
    assert fb([2, 3], [[128, 40], [72, 24], [180, 60]]) is None  # padded between the outer entries


def test_tma_operand_geometry():
    op = _C.cpu.wgmma_tma_operand
    # bf16 A (M 100, K 72) K-major, rows 80 elements apart, unbatched: a one-deep batch dim
    t = op(0x1000, 2, 72, 100, 80, 1, 0)
    assert t == dict(ok=True, z_step=0, dims=(72, 100, 1), strides=(160, 16000), box=(64, 64, 1))
    # tf32: 32 elements per 128-byte box row; batched 3 entries 8400 floats apart
    t = op(0x1000, 4, 72, 100, 80, 3, 8400)
    assert t == dict(ok=True, z_step=1, dims=(72, 100, 3), strides=(320, 33600), box=(32, 64, 1))
    # broadcast (batch stride 0): the operand's entry 0 for every z; TMA never sees stride 0
    t = op(0x1000, 4, 72, 100, 80, 3, 0)
    assert t["ok"] and t["z_step"] == 0 and t["dims"][2] == 1 and t["strides"][1] == 320 * 100
    # one row: its stride is never used, so any ld works (rounded up to 16 bytes)
    assert op(0x1000, 2, 20, 1, 3, 1, 0)["strides"][0] == 48 and op(0x1000, 2, 20, 1, 3, 1, 0)["ok"]
    refused = [op(0x1008, 2, 72, 100, 80, 1, 0),  # start 8 bytes off 16
               op(0x1000, 2, 72, 100, 76, 1, 0),  # 152-byte rows
               op(0x1000, 4, 72, 100, 80, 3, 8402),  # batch stride 33608 bytes
               op(0x1000, 2, 72, 100, 1 << 39, 1, 0),  # row stride 2^40 bytes
               op(0x1000, 4, 72, 100, 80, 2, 1 << 38),  # batch stride 2^40 bytes
               op(0x1000, 2, 1 << 31, 1, 0, 1, 0)]  # dim past the int32 coordinates
    assert [t["ok"] for t in refused] == [False] * len(refused)


@pytest.mark.parametrize("eb,a_k,b_k", [(2, True, False), (2, False, True), (4, True, True)])
def test_emulated_batched_tile_through_tensor_maps(eb, a_k, b_k):
    """A batched ragged GEMM with a broadcast B and padded A entries, entirely through the
    models: the flat batch, each operand's 3-D map read from flat memory by its dims and
    strides (zeros out of bounds), box coordinates with z_step, then the tile product."""
    rng = np.random.default_rng(2)
    Z, M, N, K = 3, 70, 136, 40
    per16 = 16 // eb
    a = rng.integers(-4, 5, (Z, M, K)).astype(np.float64)
    b = rng.integers(-4, 5, (K, N)).astype(np.float64)

    def store(mats, k_major, pad_rows):
        """Flat memory of (Z, mn, k) operands, contiguous along k (K-major) or mn, the
        leading dim rounded up to 16 bytes, `pad_rows` spare rows after each entry."""
        zs, mn, k = mats.shape
        inner, outer = (k, mn) if k_major else (mn, k)
        ld = -(-inner // per16) * per16
        entry = (outer + pad_rows) * ld
        mem = np.full(zs * entry, np.nan)  # padding is never read
        for z in range(zs):
            m = mats[z] if k_major else mats[z].T
            for o in range(outer):
                mem[z * entry + o * ld:z * entry + o * ld + inner] = m[o]
        return mem, inner, outer, ld, entry

    mem_a, ia, oa, lda, ea = store(a, a_k, 3)
    mem_b, ib, ob, ldb, _ = store(b.T[None], b_k, 0)
    count, (bsa, bsb, bsc) = _C.cpu.wgmma_flat_batch([Z], [[ea], [0], [M * N]])
    ta = _C.cpu.wgmma_tma_operand(0x2000, eb, ia, oa, lda, count, bsa)
    tb = _C.cpu.wgmma_tma_operand(0x4000, eb, ib, ob, ldb, count, bsb)
    assert ta["ok"] and tb["ok"] and (ta["z_step"], tb["z_step"]) == (1, 0)

    def tma_read(mem, t):
        def f(inner, outer, z):
            dims, (s1, s2) = t["dims"], t["strides"]
            if not (inner < dims[0] and outer < dims[1] and z < dims[2]):
                return 0.0
            return mem[(z * s2 + outer * s1) // eb + inner]
        return f

    for z in range(Z):
        c = emulate_block_tile(a_k, b_k, eb, K, tma_read(mem_a, ta), tma_read(mem_b, tb), z, ta["z_step"],
                               tb["z_step"])
        np.testing.assert_array_equal(c[:M, :N], a[z] @ b)
        assert not c[M:].any() and not c[:, N:].any()
