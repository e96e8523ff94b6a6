"""fastdl.nn: modules, layers, losses, initialisers (PyTorch's names and layouts)."""
from .parameter import Parameter
from .module import Module
from . import init
from . import functional
