"""fastdl.data.distributed (torch.utils.data.distributed): where torch scripts import
DistributedSampler from (`torch.utils.data.distributed.DistributedSampler`)."""
from .sampler import DistributedSampler

__all__ = ["DistributedSampler"]
