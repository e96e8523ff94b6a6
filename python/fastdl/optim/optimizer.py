"""optim.Optimizer: parameter groups, per-parameter state and PyTorch's state_dict
format. Subclasses define `_update(param, grad, state, group)`, which makes one fused
kernel call for one parameter tensor; the loop, no_grad and version bumps live here.
A subclass with a multi-tensor kernel overrides `_step_group` to update a whole
group in one call."""
import warnings
from collections import OrderedDict, defaultdict
from typing import Any, Callable

from .. import dtypes as _dt
from .._memory_format import contiguous_format as _contiguous_format
from ..autograd import _state as _grad_mode, enable_grad
from ..ops._util import backend, contiguous_data, desc
from ..tensor import Tensor
from . import _hooks
from ._hooks import register_optimizer_step_post_hook, register_optimizer_step_pre_hook  # noqa: F401 (torch's names)

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]
_HALF = _dt.HALF
_active = _hooks._active
_IN_STEP = _hooks._IN_STEP
_HOOK_STORES = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks", "_optimizer_state_dict_pre_hooks",
                "_optimizer_state_dict_post_hooks", "_optimizer_load_state_dict_pre_hooks",
                "_optimizer_load_state_dict_post_hooks")


class Optimizer:
    OptimizerPreHook = Callable[..., Any]  # hook(optimizer, args, kwargs) -> None or (args, kwargs)
    OptimizerPostHook = Callable[..., None]  # hook(optimizer, args, kwargs) -> None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")  # a subclass's own step gets the step hooks too
        if step is not None and not getattr(step, "hooked", False):
            cls.step = _hooks.hooked_step(step)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        for name in _HOOK_STORES:
            setattr(self, name, OrderedDict())
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

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_STORES:  # hooks are not pickled (torch's __setstate__)
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())

    # ---- hooks (torch.optim.Optimizer's) ---------------------------------------------
    def _hook_dict(self, name):
        store = self.__dict__.get(name)
        if store is None:  # an optimizer whose subclass skipped Optimizer.__init__
            store = self.__dict__[name] = OrderedDict()
        return store

    def register_step_pre_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before step
        (args is the call's positional arguments, the optimizer first)."""
        return _hooks.add_hook(self._hook_dict("_optimizer_step_pre_hooks"), hook, counted=True)

    def register_step_post_hook(self, hook):
        """hook(optimizer, args, kwargs) -> None, after step."""
        return _hooks.add_hook(self._hook_dict("_optimizer_step_post_hooks"), hook, counted=True)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer) -> None, before state_dict() builds the dict."""
        return _hooks.add_hook(self._hook_dict("_optimizer_state_dict_pre_hooks"), hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) -> None or a state_dict that replaces it."""
        return _hooks.add_hook(self._hook_dict("_optimizer_state_dict_post_hooks"), hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """hook(optimizer, state_dict) -> None or the state_dict to load instead (state_dict
        is a shallow copy of the argument)."""
        return _hooks.add_hook(self._hook_dict("_optimizer_load_state_dict_pre_hooks"), hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """hook(optimizer) -> None, after load_state_dict."""
        return _hooks.add_hook(self._hook_dict("_optimizer_load_state_dict_post_hooks"), hook, prepend)

    def add_param_group(self, param_group):
        """Adds a group: the dict itself is kept (as torch, which updates it in place):
        params becomes a list, named (name, tensor) pairs set param_names, and the
        defaults fill the options it lacks."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        group = param_group
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(params)
        # named_parameters() pairs: keep the names, as torch does.
        names = [p[0] for p in params if isinstance(p, tuple)]
        params = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            group["param_names"] = names
        group["params"] = params
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {type(p).__name__}")
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or getattr(p, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          UserWarning, stacklevel=3)
        existing = set()
        for g in self.param_groups:
            existing.update(id(p) for p in g["params"])
            if ("param_names" in group) != ("param_names" in g):
                which = "with names" if "param_names" in group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
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
        if _active.n and not self.__dict__.get(_IN_STEP):  # a step hook is registered somewhere
            # the hooks' args: (self,) for step(), (self, closure) for step(closure)
            return _hooks.call_with_step_hooks(Optimizer.step, self, (self,) if closure is None else (self, closure),
                                               {})
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
        """{'state': {id: {...}}, 'param_groups': [{..., 'params': [ids]}]}, as torch's:
        parameters are numbered in group order (a group's ids start after the previous
        group's length; a parameter repeated within a group gets its last position there). Parameters without
        state are left out. Tensors are not copied. Runs the state_dict hooks."""
        d = self.__dict__
        for pre_hook in list(d.get("_optimizer_state_dict_pre_hooks", {}).values()):
            pre_hook(self)
        index = {}
        groups = []
        start = 0
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            # torch's dict comprehension: a parameter repeated in one group gets its last position
            index.update({id(p): i for i, p in enumerate(g["params"], start) if id(p) not in index})
            packed["params"] = [index[id(p)] for p in g["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {}
        for k, s in self.state.items():
            if isinstance(k, Tensor):
                if id(k) in index and s:  # fastdl's steps touch self.state[p] even where torch's keep none
                    state[index[id(k)]] = dict(s)
            else:
                state[k] = s  # a non-parameter key, kept as it is (torch)
        state_dict = {"state": state, "param_groups": groups}
        for post_hook in list(d.get("_optimizer_state_dict_post_hooks", {}).values()):
            result = post_hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Restores state and hyperparameters. State tensors are copied (cast to the
        parameter's dtype and device when floating), so the source is never aliased.
        Runs the load_state_dict hooks. A non-integer state key (a custom optimizer's own
        entry) is kept as torch keeps it; an integer id that no group lists raises
        ValueError (torch would keep it silently)."""
        if not isinstance(state_dict, dict):
            raise ValueError("load_state_dict: expected a dict with 'state' and 'param_groups' "
                             "(from Optimizer.state_dict())")
        state_dict = state_dict.copy()
        for pre_hook in list(self.__dict__.get("_optimizer_load_state_dict_pre_hooks", {}).values()):
            result = pre_hook(self, state_dict)
            if result is not None:
                state_dict = result
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
        new_state = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                p = id_map[key]
                new_state[p] = {k: _cast_state(p, k, v) for k, v in value.items()}
            elif isinstance(key, int):  # fastdl: an id no group lists is a mismatched checkpoint
                raise ValueError(f"load_state_dict: state refers to parameter {key!r}, which no group lists")
            else:
                new_state[key] = value  # a non-parameter key, kept as it is (torch)
        new_groups = []
        for g, s in zip(self.param_groups, saved_groups):
            ng = {k: _copy_plain(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                ng["param_names"] = g["param_names"]
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups
        for post_hook in list(self.__dict__.get("_optimizer_load_state_dict_post_hooks", {}).values()):
            post_hook(self)


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
