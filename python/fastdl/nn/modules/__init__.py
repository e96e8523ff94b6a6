"""The layer classes of fastdl.nn, one family per file (torch.nn's names)."""
from .linear import Identity, Linear  # noqa: F401
from .activation import ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh  # noqa: F401
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d  # noqa: F401
from .flatten import Flatten, Unflatten  # noqa: F401
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm  # noqa: F401
from .embedding import Embedding  # noqa: F401
from .container import ModuleDict, ModuleList, Sequential  # noqa: F401
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, KLDivLoss, L1Loss, MSELoss, NLLLoss,  # noqa: F401
                   SmoothL1Loss)

__all__ = ["Identity", "Linear", "ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "Sigmoid", "SiLU", "Softmax",
           "Softplus", "Tanh", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "Flatten", "Unflatten", "BatchNorm1d",
           "BatchNorm2d", "LayerNorm", "GroupNorm", "Embedding", "ModuleDict", "ModuleList", "Sequential", "BCELoss",
           "BCEWithLogitsLoss", "CrossEntropyLoss", "KLDivLoss", "L1Loss", "MSELoss", "NLLLoss", "SmoothL1Loss"]
