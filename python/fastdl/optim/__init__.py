"""fastdl.optim: optimizers whose steps are fused C++ kernels, and LR schedulers
(torch.optim's names, defaults, formulas and state_dict format)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from . import lr_scheduler

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]
