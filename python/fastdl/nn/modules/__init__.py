"""The layer classes of fastdl.nn, one family per file (torch.nn's names)."""
from .linear import Identity, Linear  # noqa: F401
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh  # noqa: F401
from .dropout import Dropout  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,  # noqa: F401
                   SmoothL1Loss)

__all__ = ["Identity", "Linear", "ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax",
           "Softplus", "Tanh", "Dropout", "Flatten", "Unflatten", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "Embedding",
           "ModuleDict", "ModuleList", "Sequential", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "KLDivLoss",
           "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss"]
