"""data.DistributedSampler (torch's index split, with fastdl's own permutation when
shuffling) and nn.attention (sdpa_kernel / SDPBackend: fastdl's one SDPA implementation)."""
import numpy as np
import pytest

import fastdl
import fastdl.nn.functional as F
from fastdl.data import DataLoader, DistributedSampler, TensorDataset
from fastdl.nn.attention import SDPBackend, can_use_flash_attention, sdpa_kernel


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (10, 4, False), (2, 5, False),
                                                  (12, 4, True), (0, 2, False)])
def test_distributed_sampler_splits_as_torch(n, replicas, drop_last):
    parts = [list(DistributedSampler(list(range(n)), replicas, r, shuffle=False, drop_last=drop_last))
             for r in range(replicas)]
    assert len({len(p) for p in parts}) <= 1
    flat = sorted(i for p in parts for i in p)
    if drop_last:
        assert len(set(flat)) == len(flat) and len(flat) == n // replicas * replicas
    else:
        assert set(flat) == set(range(n)) and len(flat) == -(-n // replicas) * replicas
    torch = pytest.importorskip("torch")
    from torch.utils.data import DistributedSampler as TorchSampler
    assert parts == [list(TorchSampler(list(range(n)), replicas, r, shuffle=False, drop_last=drop_last))
                     for r in range(replicas)]


def test_distributed_sampler_shuffles_per_epoch_and_partitions():
    ds = list(range(17))
    samplers = [DistributedSampler(ds, 3, r, seed=4) for r in range(3)]
    first = [list(s) for s in samplers]
    covered = {i for p in first for i in p}
    assert covered == set(range(17)) and [len(p) for p in first] == [6, 6, 6]
    assert first == [list(s) for s in samplers]  # same epoch: the same order
    for s in samplers:
        s.set_epoch(1)
    assert [list(s) for s in samplers] != first
    loader = DataLoader(TensorDataset(fastdl.arange(17)), batch_size=4, sampler=samplers[0])
    assert sum(len(b[0]) for b in loader) == 6


def test_distributed_sampler_defaults_and_errors():
    import fastdl.distributed as dist
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(list(range(5)))  # as torch: the defaults come from the process group
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29500", rank=0, world_size=1)
    try:
        s = DistributedSampler(list(range(5)))  # fastdl's group: one replica, rank 0
        assert s.num_replicas == 1 and s.rank == 0 and sorted(s) == list(range(5))
    finally:
        dist.destroy_process_group()
    s = DistributedSampler(list(range(5)), num_replicas=2, rank=1, shuffle=False)  # given: no group needed
    assert s.num_replicas == 2 and s.rank == 1 and list(s) == [1, 3, 0]
    with pytest.raises(ValueError, match=r"Invalid rank 3.*\[0, 2\]"):
        DistributedSampler(list(range(5)), num_replicas=3, rank=3)
    with pytest.raises(ValueError, match="num_replicas"):
        DistributedSampler(list(range(5)), num_replicas=0)


def test_sdpa_kernel_accepts_backends_and_changes_nothing():
    rng = np.random.default_rng(0)
    q, k, v = (fastdl.tensor(rng.standard_normal((2, 4, 8))) for _ in range(3))
    ref = F.scaled_dot_product_attention(q, k, v)
    for choice in (SDPBackend.MATH, [SDPBackend.FLASH_ATTENTION, SDPBackend.MATH], (SDPBackend.EFFICIENT_ATTENTION,)):
        with sdpa_kernel(choice):
            np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v).numpy(), ref.numpy())
    with pytest.raises(TypeError, match="SDPBackend"):
        with sdpa_kernel("math"):
            pass
    assert fastdl.nn.attention.SDPBackend.MATH == 0 and not can_use_flash_attention(None)
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend as TB
    assert {k: int(v) for k, v in SDPBackend.__members__.items()} == {k: int(v) for k, v in TB.__members__.items()}
