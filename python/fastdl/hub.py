"""fastdl.hub: the parts of torch.hub that scripts import without downloading (`from
torch.hub import tqdm`, get_dir / set_dir). Fetching models or files over the network
is not in fastdl: load / list / help / download_url_to_file raise, naming the call;
load_state_dict_from_url reads a file already in the hub cache and raises otherwise."""
import os
from urllib.parse import urlparse

try:
    from tqdm import tqdm
except ImportError:  # torch.hub's own fallback: a progress bar that only iterates
    from ._silent_progress import SilentProgress as tqdm

__all__ = ["tqdm", "get_dir", "set_dir", "load", "list", "help", "download_url_to_file",
           "load_state_dict_from_url"]

_hub_dir = [None]


def get_dir():
    """$TORCH_HOME/hub, else $XDG_CACHE_HOME/torch/hub, else ~/.cache/torch/hub (torch's rule)."""
    if _hub_dir[0] is not None:
        return _hub_dir[0]
    home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache")), "torch")
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d):
    _hub_dir[0] = os.path.expanduser(os.fspath(d))


def _offline(what):
    raise RuntimeError(f"fastdl.hub.{what}: fastdl does not download models or files (no torch.hub network "
                       f"support); fetch the file yourself and fastdl.load it")


def load(repo_or_dir, model, *args, **kwargs):
    _offline(f"load({repo_or_dir!r}, {model!r})")


def list(github, *args, **kwargs):  # noqa: A001 (torch's name)
    _offline(f"list({github!r})")


def help(github, model, *args, **kwargs):  # noqa: A001 (torch's name)
    _offline(f"help({github!r}, {model!r})")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    _offline(f"download_url_to_file({url!r})")


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=False):
    """The file from the hub cache (model_dir, default get_dir()/checkpoints) if it is
    there, read with fastdl.load; fastdl does not download it."""
    from .serialization import load as _load
    model_dir = model_dir or os.path.join(get_dir(), "checkpoints")
    path = os.path.join(model_dir, file_name or os.path.basename(urlparse(url).path))
    if not os.path.exists(path):
        _offline(f"load_state_dict_from_url({url!r}): {path} is not in the cache, and")
    return _load(path, map_location=map_location, weights_only=weights_only)
