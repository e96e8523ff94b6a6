"""fastdl.data under torch's name (`from fastdl.utils.data import DataLoader, Dataset`)."""
from ..data import *  # noqa: F401,F403
from ..data import __all__  # noqa: F401
