"""fastdl.utils.data is fastdl.data itself (torch.utils.data's place, so ported code's
`from torch.utils.data import DataLoader` and `from torch.utils.data.dataset import
Dataset` work): this module replaces itself in sys.modules by fastdl.data, and its
submodules dataset / sampler / dataloader by fastdl.data's."""
import sys

from .. import data as _data
from ..data import distributed as _distributed  # noqa: F401  (torch.utils.data.distributed; ex1)

for _sub in ("dataset", "sampler", "dataloader", "distributed"):
    sys.modules[f"{__name__}.{_sub}"] = sys.modules[f"{_data.__name__}.{_sub}"]
sys.modules[__name__] = _data
