"""optim.Optimizer: parameter groups, per-parameter state and PyTorch's state_dict
format. Subclasses define `_update(param, grad, state, group)`, which makes one fused
kernel call for one parameter tensor; the loop, no_grad and version bumps live here.
A subclass with a multi-tensor kernel overrides `_step_group` to update a whole
group in one call."""
import warnings
from collections import defaultdict

from .. import dtypes as _dt
from .._memory_format import contiguous_format as _contiguous_format
from ..autograd import _state as _grad_mode, enable_grad
from ..ops._util import backend, contiguous_data, desc
from ..tensor import Tensor

__all__ = ["Optimizer"]
_HALF = _dt.HALF


class Optimizer:
    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {desc(params)}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {g[k]}" for k in sorted(g) if k not in ("params", "param_names")]
        return "\n".join(lines) + "\n)"

    def add_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        # named_parameters() pairs: keep the names, as torch does.
        if params and all(isinstance(p, tuple) and len(p) == 2 for p in params):
            group["param_names"] = [name for name, _ in params]
            params = [p for _, p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error", UserWarning, stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if existing & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none=True):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    # ---- stepping -------------------------------------------------------------------
    def step(self, closure=None):
        """One update of every parameter that has a .grad; returns closure() if given."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        prev, _grad_mode.enabled = _grad_mode.enabled, False  # no_grad() without its object: every step
        try:
            for group in self.param_groups:
                params = [p for p in group["params"] if p.grad is not None]
                if params:
                    self._step_group(params, group)
        finally:
            _grad_mode.enabled = prev
        return loss

    def _step_group(self, params, group):
        """Updates params (those of group that have a .grad)."""
        for p in params:
            self._step_param(p, group)

    def _check_grad(self, p):
        grad = p.grad
        if grad._shape != p._shape or grad._dtype is not p._dtype or (grad._device is not p._device
                                                                      and grad._device != p._device):
            raise RuntimeError(f"{type(self).__name__}.step: grad {desc(grad)} does not match its parameter {desc(p)}")
        return grad

    def _step_param(self, p, group):
        grad = self._check_grad(p)
        if p._dtype in _HALF:
            return self._step_half(p, grad, self.state[p], group)
        # Kernels want contiguous memory; a strided parameter is updated through a copy.
        target = contiguous_data(p)
        state = self.state[p]
        written = self._update(target, contiguous_data(grad), state, group)
        if target._buf is not p._buf:
            backend(p, "copy").copy(target, p)
        p._buf.version += 1
        for t in written:
            t._buf.version += 1

    def _step_half(self, p, grad, state, group):
        """A float16 / bfloat16 parameter (the step kernels take float32 / float64): the
        step runs on float32 copies of the parameter, its grad and its state, then the
        parameter and the state are rounded back into their own tensors (state stays in the
        parameter's dtype, as torch's non-fused CPU steps keep it)."""
        row_major = _contiguous_format  # the step kernels take contiguous memory
        work = p.detach().to(_dt.float32, memory_format=row_major)
        work32 = {k: (v.to(_dt.float32, memory_format=row_major) if isinstance(v, Tensor) and v._dtype is p._dtype
                      else v) for k, v in state.items()}
        self._update(work, grad.to(_dt.float32, memory_format=row_major), work32, group)
        for k, v in work32.items():
            old = state.get(k)
            if isinstance(v, Tensor) and v is not old:  # a float32 copy (or new state): rounded into p's dtype
                if isinstance(old, Tensor):
                    old.copy_(v)
                else:
                    state[k] = v.to(p._dtype)
            else:
                state[k] = v
        p.copy_(work)

    def _update(self, param, grad, state, group):
        """Updates param (contiguous, shares p's memory or is copied back) and state in
        place; returns the state tensors it wrote."""
        raise NotImplementedError

    # ---- state_dict -----------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, with
        parameters numbered in group order, as torch. Tensors are not copied."""
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            for p in g["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        params = {id(p): p for g in self.param_groups for p in g["params"]}
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in params and s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restores state and hyperparameters. State tensors are copied (cast to the
        parameter's dtype and device when floating), so the source is never aliased."""
        if not isinstance(state_dict, dict) or "state" not in state_dict or "param_groups" not in state_dict:
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "(from Optimizer.state_dict())")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(self.param_groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {}
        for g, s in zip(self.param_groups, saved_groups):
            id_map.update(zip(s["params"], g["params"]))
        self.state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key not in id_map:
                raise ValueError(f"load_state_dict: state refers to parameter {key!r}, which no group lists")
            p = id_map[key]
            self.state[p] = {k: _cast_state(p, k, v) for k, v in value.items()}
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            ng = {k: _copy_plain(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.param_groups = new_groups


def _cast_state(p, key, value):
    if key == "step":
        return int(value.item() if isinstance(value, Tensor) else value)  # torch keeps it in a 0-d tensor
    if isinstance(value, Tensor):
        dtype = p.dtype if value.dtype.is_floating_point else value.dtype
        return value.to(dtype=dtype, device=p.device).contiguous().clone()
    return _copy_plain(value)


def _copy_plain(v):
    if isinstance(v, list):
        return [_copy_plain(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_plain(x) for x in v)
    if isinstance(v, dict):
        return {k: _copy_plain(x) for k, x in v.items()}
    return v
