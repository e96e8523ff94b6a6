"""optim.swa_utils: stochastic weight averaging and EMA (torch.optim.swa_utils's names,
semantics and state): AveragedModel (a deep copy whose parameters, and buffers with
use_buffers=True, are averaged by avg_fn / multi_avg_fn, the running SWA mean by
default), SWALR (anneals each group's lr to swa_lr, cos or linear), update_bn (one pass
over the data to recompute BatchNorm running statistics) and the average functions.

torch's multi-tensor functions (_foreach_lerp_ ...) are per-tensor loops here, with the
same arithmetic: lerp with weight 1 - decay (EMA) or 1 / (n + 1) (SWA)."""
import itertools
import math
from copy import deepcopy

from .. import dtypes as _dt
from ..autograd import no_grad
from ..nn import Module
from ..tensor import Tensor, tensor
from ._common import lerp_
from .lr_scheduler import LRScheduler, _format_param

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def _is_float(t):
    return t.dtype.is_floating_point


def get_ema_multi_avg_fn(decay=0.999):
    """In-place EMA over lists: ema <- lerp(ema, current, 1 - decay)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        with no_grad():
            if _is_float(ema_param_list[0]):
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    lerp_(p_ema, p_model, 1 - decay)
            else:
                for p_ema, p_model in zip(ema_param_list, current_param_list):
                    p_ema.copy_((p_ema * decay + p_model * (1 - decay)).to(p_ema.dtype))  # copy_ casts in torch
    return ema_update


def get_swa_multi_avg_fn():
    """In-place running mean over lists: avg <- lerp(avg, current, 1 / (n + 1))."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        with no_grad():
            if _is_float(averaged_param_list[0]):
                n = num_averaged.item() if isinstance(num_averaged, Tensor) else num_averaged
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    lerp_(p_avg, p_model, 1 / (n + 1))
            else:
                for p_avg, p_model in zip(averaged_param_list, current_param_list):
                    diff = p_model - p_avg
                    if isinstance(num_averaged, Tensor):
                        p_avg.copy_((p_avg + diff / (num_averaged + 1)).to(p_avg.dtype))
                    else:
                        p_avg.copy_((p_avg + diff * (1.0 / (num_averaged + 1))).to(p_avg.dtype))
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """ema, current, n -> decay * ema + (1 - decay) * current."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param
    return ema_update


def get_swa_avg_fn():
    """avg, current, n -> avg + (current - avg) / (n + 1)."""

    def swa_update(averaged_param, current_param, num_averaged):
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)
    return swa_update


def _foreach_device(tensors):
    """torch runs its default through the multi-tensor (lerp) function on CUDA only."""
    return bool(tensors) and tensors[0].device.type == "cuda"


class AveragedModel(Module):
    """A copy of `model` holding the average of the models passed to update_parameters
    (the first call copies them); forward runs the copy. n_averaged is an int64 buffer."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_dt.int64, device=device))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        if self.use_buffers:
            self_param = itertools.chain(self.module.parameters(), self.module.buffers())
            model_param = itertools.chain(model.parameters(), model.buffers())
        else:
            self_param, model_param = self.parameters(), model.parameters()
        averaged, current = [], []
        n = int(self.n_averaged.item())
        with no_grad():
            for p_avg, p_model in zip(self_param, model_param):
                p_model_ = p_model.detach().to(p_avg.device)
                averaged.append(p_avg.detach())
                current.append(p_model_)
                if n == 0:
                    p_avg.detach().copy_(p_model_)
            if n > 0:
                if self.multi_avg_fn is not None or (self.avg_fn is None and _foreach_device(averaged)):
                    # torch groups by (device, dtype) before calling the multi-tensor function
                    groups = {}
                    for a, c in zip(averaged, current):
                        pair = groups.setdefault((str(a.device), a.dtype), ([], []))
                        pair[0].append(a)
                        pair[1].append(c)
                    fn = self.multi_avg_fn or get_swa_multi_avg_fn()
                    for a_list, c_list in groups.values():
                        fn(a_list, c_list, self.n_averaged.to(a_list[0].device))
                else:  # torch's CPU default: the single-tensor SWA mean (not a lerp: other rounding)
                    fn = self.avg_fn or get_swa_avg_fn()
                    for a, c in zip(averaged, current):
                        a.copy_(fn(a, c, self.n_averaged.to(a.device)).to(a.dtype))  # copy_ casts, as torch's
            if not self.use_buffers:  # buffers follow the latest model
                for b_swa, b_model in zip(self.module.buffers(), model.buffers()):
                    b_swa.detach().copy_(b_model.detach().to(b_swa.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """Recomputes the running statistics of every BatchNorm in `model` with one pass over
    loader (cumulative averages: momentum None while it runs); the first element of a
    list / tuple batch is the input."""
    from ..nn.modules.normalization import _BatchNorm
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for input in loader:
            if isinstance(input, (list, tuple)):
                input = input[0]
            if device is not None:
                input = input.to(device)
            model(input)
    for module in momenta:
        module.momentum = momenta[module]
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr from its current value to swa_lr over anneal_epochs
    (cos or linear), then holds it; torch's recursive formula, so the values match."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        swa_lrs = _format_param("SWALR", "swa_lr", optimizer, swa_lr)
        for lr, group in zip(swa_lrs, optimizer.param_groups):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if isinstance(anneal_epochs, bool) or not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def get_lr(self):
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [group["swa_lr"] * alpha + lr * (1 - alpha) for group, lr in zip(self.optimizer.param_groups, prev_lrs)]

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
