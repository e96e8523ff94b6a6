"""fastdl.nn: modules, layers, losses, initialisers (PyTorch's names and layouts)."""
from .parameter import Parameter
from .module import Module
from . import init
from . import functional
from .modules import *  # noqa: F401,F403
from . import utils  # noqa: F401
