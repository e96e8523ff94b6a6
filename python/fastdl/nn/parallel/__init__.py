"""fastdl.nn.parallel (torch.nn.parallel): DataParallel / data_parallel on one device and
DistributedDataParallel over fastdl.distributed's one-process group."""
from ..modules.misc_tail import DataParallel
from .data_parallel import data_parallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "data_parallel", "DistributedDataParallel"]
