"""fastdl.optim: optimizers (SGD, Adam, AdamW and RMSprop step through fused C++
kernels; Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD and LBFGS follow torch's
single-tensor code paths with tensor ops) and LR schedulers (torch.optim's names,
defaults, formulas and state_dict format)."""
from .optimizer import Optimizer
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .rprop import Rprop
from .asgd import ASGD
from .lbfgs import LBFGS
from .adafactor import Adafactor  # linalg/optim branch
from .muon import Muon  # linalg/optim branch
from .._lazy import lazy_submodules as _lazy_submodules

__getattr__, __dir__ = _lazy_submodules(__name__, ("lr_scheduler", "swa_utils"), globals())

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "Rprop", "ASGD", "LBFGS", "lr_scheduler"]
__all__ += ["Adafactor", "Muon", "swa_utils"]  # linalg/optim branch
