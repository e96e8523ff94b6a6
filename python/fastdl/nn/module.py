"""nn.Module: the container of parameters, buffers and submodules (PyTorch's API)."""
from collections import OrderedDict

from ..tensor import Tensor
from .parameter import Parameter
from .buffer import Buffer as _Buffer  # misc branch
from ._module_state import StateDictMixin, _IncompatibleKeys  # noqa: F401 (re-exported, as torch's)
from ._module_extras import ExtrasMixin


class Module(StateDictMixin, ExtrasMixin):
    def __init__(self, *args, **kwargs):
        # torch: arguments are an error unless call_super_init, which passes them on to
        # the next class of a cooperative multiple-inheritance chain
        if not self.call_super_init and (args or kwargs):
            if kwargs:
                raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument "
                                f"'{next(iter(kwargs))}'")
            raise TypeError(f"{type(self).__name__}.__init__() takes 1 positional argument but {len(args) + 1} "
                            f"were given")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        if self.call_super_init:
            super().__init__(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    # _call_hooks is the one check of the hot path: None (the class default) while the
    # module has no hook, so a call is forward's and one attribute lookup; True once a
    # hook is registered (and back to None when the last is removed), which sends the
    # call through _call_with_hooks.
    _call_hooks = None

    def __call__(self, *args, **kwargs):
        if self._call_hooks is None:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(args, kwargs)

    # ---- hooks (torch's nn.Module hooks) --------------------------------------------
    _HOOK_STORES = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks",
                    "_non_full_backward_hooks")
    _HOOK_FLAGS = ("_forward_pre_hooks_with_kwargs", "_forward_hooks_with_kwargs", "_forward_hooks_always_called")

    def _hook_store(self, name):
        d = self.__dict__
        store = d.get(name)
        if store is None:
            store = d[name] = OrderedDict()
        return store

    def _update_call_hooks(self):
        d = self.__dict__
        d["_call_hooks"] = True if any(d.get(n) for n in Module._HOOK_STORES) else None

    def _add_hook(self, store_name, hook, prepend, flags=()):
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        handle = RemovableHandle(self, store_name, flags)
        store = self._hook_store(store_name)
        store[handle.id] = hook
        if prepend:
            store.move_to_end(handle.id, last=False)
        for f in flags:
            self._hook_store(f)[handle.id] = True
        self._update_call_hooks()
        return handle

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) -> None or new args (a non-tuple is wrapped in one);
        with_kwargs: hook(module, args, kwargs) -> None or (new_args, new_kwargs)."""
        return self._add_hook("_forward_pre_hooks", hook, prepend,
                              ("_forward_pre_hooks_with_kwargs",) if with_kwargs else ())

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        """hook(module, args, output) -> None or a replacement output; with_kwargs:
        hook(module, args, kwargs, output). always_call: also run when forward raises."""
        flags = (("_forward_hooks_with_kwargs",) if with_kwargs else ()) + \
                (("_forward_hooks_always_called",) if always_call else ())
        return self._add_hook("_forward_hooks", hook, prepend, flags)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) -> None or a replacement grad_input, called
        when the gradients of the module's inputs are computed (grad_input: one entry per
        positional argument, None for non-tensors and tensors that don't require grad)."""
        if self.__dict__.get("_is_full_backward_hook") is False:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = True
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) -> None or a replacement grad_output, called when the
        gradients of the module's outputs are computed, before the module's backward."""
        return self._add_hook("_backward_pre_hooks", hook, prepend)

    def _call_with_hooks(self, args, kwargs):
        d = self.__dict__
        pre_hooks = d.get("_forward_pre_hooks")
        fwd_hooks = d.get("_forward_hooks")
        bw_hooks = d.get("_backward_hooks")
        bw_pre_hooks = d.get("_backward_pre_hooks")
        fwd_kw = d.get("_forward_hooks_with_kwargs") or {}
        always = d.get("_forward_hooks_always_called") or {}
        called_always = set()
        result = None
        try:
            if pre_hooks:
                pre_kw = d.get("_forward_pre_hooks_with_kwargs") or {}
                for hook_id, hook in list(pre_hooks.items()):
                    if hook_id in pre_kw:
                        r = hook(self, args, kwargs)
                        if r is not None:
                            if isinstance(r, tuple) and len(r) == 2:
                                args, kwargs = r
                            else:
                                raise RuntimeError("forward pre-hook must return None or a tuple of "
                                                   f"(new_args, new_kwargs), but got {r}.")
                    else:
                        r = hook(self, args)
                        if r is not None:
                            args = r if isinstance(r, tuple) else (r,)
            bw = None
            if bw_hooks or bw_pre_hooks:
                bw = _BackwardHook(self, list((bw_hooks or {}).values()), list((bw_pre_hooks or {}).values()))
                args = bw.setup_input_hook(args)
            result = self.forward(*args, **kwargs)
            if fwd_hooks:
                for hook_id, hook in list(fwd_hooks.items()):
                    if hook_id in always:
                        called_always.add(hook_id)
                    r = hook(self, args, kwargs, result) if hook_id in fwd_kw else hook(self, args, result)
                    if r is not None:
                        result = r
            if d.get("_non_full_backward_hooks"):
                _attach_non_full_backward_hooks(self, args, result, d["_non_full_backward_hooks"])
            if bw is not None:
                if not isinstance(result, (Tensor, tuple)):
                    import warnings
                    warnings.warn("For backward hooks to be called, module output should be a Tensor or a tuple "
                                  f"of Tensors but received {type(result)}")
                result = bw.setup_output_hook(result)
            return result
        except Exception:
            if fwd_hooks and always:
                for hook_id, hook in list(fwd_hooks.items()):
                    if hook_id in always and hook_id not in called_always:
                        try:
                            r = hook(self, args, kwargs, result) if hook_id in fwd_kw else hook(self, args, result)
                            if r is not None:
                                result = r
                        except Exception as e:
                            import warnings
                            warnings.warn("forward hook with ``always_call=True`` raised an exception that was "
                                          f"silenced as another error was raised in forward: {e}")
            raise

    # ---- registration ---------------------------------------------------------------
    def _check_init(self):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign parameters or submodules before {type(self).__name__}.__init__() "
                                 f"calls super().__init__()")

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._check_init()
            self._drop(name, keep="_parameters")
            self._set_member("_parameters", name, value)
        elif isinstance(value, Module):
            self._check_init()
            self._drop(name, keep="_modules")
            self._set_member("_modules", name, value)
        elif "_parameters" in d and name in d["_parameters"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter '{name}' "
                                f"(nn.Parameter or None expected)")
            self._set_member("_parameters", name, None)
        elif isinstance(value, _Buffer):  # nn.Buffer (misc branch): registered with its persistent flag
            self.register_buffer(name, value, value.persistent)
        elif "_buffers" in d and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer '{name}' (Tensor or None expected)")
            self._set_member("_buffers", name, value)
        elif "_modules" in d and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module '{name}'")
            self._set_member("_modules", name, None)
        else:
            object.__setattr__(self, name, value)

    def _set_member(self, store, name, value):
        """self.<store>[name] = value, mirrored in the instance __dict__: reading
        self.weight is then a plain attribute lookup, where __getattr__ would cost about
        0.6 us (the failed lookup's AttributeError, then a Python call) on every forward.
        Every write to the three stores goes through here, _drop, __delattr__ or
        _replace_modules, so a mirror is never stale; __getattr__ stays the fallback."""
        d = self.__dict__
        d[store][name] = value
        d[name] = value

    def _drop(self, name, keep=None):
        """Removes name from every store but `keep` (and its mirror), whose entry is
        overwritten in place so that re-assigning keeps its position (and state_dict order)."""
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                self.__dict__[key].pop(name, None)
        self.__dict__.pop(name, None)

    def _replace_modules(self, items):
        """The children become `items` ((name, module) pairs), in that order."""
        d = self.__dict__
        for name in d["_modules"]:
            d.pop(name, None)
        d["_modules"].clear()
        for name, module in items:
            self._set_member("_modules", name, module)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(key, {}):
                del self.__dict__[key][name]
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        self._check_init()
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: '{name}' must be an nn.Parameter or None, got {type(param).__name__}")
        self._drop(name, keep="_parameters")
        self._set_member("_parameters", name, param)

    def register_buffer(self, name, tensor, persistent=True):
        self._check_init()
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: '{name}' must be a Tensor or None, got {type(tensor).__name__}")
        self._drop(name, keep="_buffers")
        self._set_member("_buffers", name, tensor)
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        self._check_init()
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {type(module).__name__} is not a Module subclass")
        self._drop(name, keep="_modules")
        self._set_member("_modules", name, module)

    register_module = add_module

    def get_submodule(self, target):
        mod = self
        for part in target.split(".") if target else []:
            if part not in mod._modules:
                raise AttributeError(f"{type(mod).__name__} has no submodule '{part}' (looking up '{target}')")
            mod = mod._modules[part]
        return mod

    # ---- traversal ------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(memo, prefix + ("." if prefix else "") + name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, store, prefix, recurse):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mp, m in mods:
            for name, v in getattr(m, store).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield mp + ("." if mp else "") + name, v

    def named_parameters(self, prefix="", recurse=True):
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes and moves ------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("train: mode is expected to be a bool")
        # recurse through children's train() so that a subclass overriding it (say, to
        # keep its BatchNorm frozen) is honoured, as in PyTorch
        object.__setattr__(self, "training", mode)
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn, recurse=True):
        """Replaces every parameter and buffer by fn(tensor) (under no_grad), children first
        through their own _apply (so an override is honoured), as torch's. A parameter
        keeps its object (its storage and metadata are swapped in place, torch's `.data =`),
        so optimizers holding it keep working after .to(); a grad is converted as well."""
        from ..autograd import no_grad
        if recurse:
            for module in self.children():
                module._apply(fn)
        for key, param in self._parameters.items():
            if param is None:
                continue
            with no_grad():
                new = fn(param)
            if new is not param:
                if not isinstance(new, Tensor):
                    raise TypeError(f"_apply(): fn returned {type(new).__name__} for {self._get_name()}.{key}, "
                                    f"expected a Tensor")
                param._buf, param._dtype, param._shape, param._strides, param._offset, param._device = (
                    new._buf, new._dtype, new._shape, new._strides, new._offset, new._device)
            if param.grad is not None:
                with no_grad():
                    param.grad = fn(param.grad)
        for key, buf in self._buffers.items():
            if buf is not None:
                self._set_member("_buffers", key, fn(buf))
        return self

    def _apply_tensors(self, fn):  # the older fastdl name
        return self._apply(fn)

    def to(self, *args, **kwargs):
        from .. import dtypes as _dt
        dtype = kwargs.get("dtype")
        device = kwargs.get("device")
        for a in args:
            if isinstance(a, _dt.DType) or (isinstance(a, str) and a in _dt._BY_NAME):
                dtype = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                device = a

        fmt = kwargs.get("memory_format")

        def move(t):
            d = dtype if (dtype is not None and t.dtype.is_floating_point) else None
            if fmt is not None and t.ndim in (4, 5):  # torch converts only 4-D / 5-D tensors
                return t.to(dtype=d, device=device, memory_format=fmt)
            return t.to(dtype=d, device=device)
        return self._apply(move)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}")

    def float(self):
        return self.to(dtype="float32")

    def double(self):
        return self.to(dtype="float64")

    def half(self):
        return self.to(dtype="float16")

    def bfloat16(self):
        return self.to(dtype="bfloat16")

    # ---- printing -------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        extra = self.extra_repr()
        if extra:
            lines = extra.split("\n")
        for name, m in self._modules.items():
            mod = repr(m).replace("\n", "\n  ")
            lines.append(f"({name}): {mod}")
        main = self._get_name() + "("
        if not lines:
            return main + ")"
        if len(lines) == 1 and not self._modules:
            return main + lines[0] + ")"
        return main + "\n  " + "\n  ".join(lines) + "\n)"

    def __dir__(self):
        return list(super().__dir__()) + list(self._parameters) + list(self._buffers) + list(self._modules)


def _attach_non_full_backward_hooks(module, args, result, hooks):
    """register_backward_hook's (deprecated) hooks: registered on the grad_fn of the first
    tensor of the output, called with that node's grad_input / grad_output, as torch's."""
    var = result
    while not isinstance(var, Tensor):
        if isinstance(var, dict):
            var = next(v for v in var.values() if isinstance(v, Tensor))
        else:
            var = var[0]
    grad_fn = var.grad_fn
    if grad_fn is None:
        return
    for hook in list(hooks.values()):
        grad_fn.register_hook(lambda grad_input, grad_output, hook=hook: hook(module, grad_input, grad_output))
    module._maybe_warn_non_full_backward_hook(args, result, grad_fn)


class RemovableHandle:
    """What register_*_hook returns: remove() unregisters the hook (usable as a context
    manager, removing it on exit), as torch.utils.hooks.RemovableHandle."""

    _next_id = 0

    def __init__(self, module, store_name, flags=()):
        import weakref
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._module_ref = weakref.ref(module)
        self._store_name = store_name
        self._flags = tuple(flags)

    def remove(self):
        module = self._module_ref()
        if module is None:
            return
        d = module.__dict__
        for name in (self._store_name,) + self._flags:
            store = d.get(name)
            if store is not None:
                store.pop(self.id, None)
        module._update_call_hooks()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def _backward_hook_fn():
    from ..autograd import Function

    class BackwardHookFunction(Function):
        """Identity on its tensor arguments whose backward runs a _BackwardHook's callback
        (torch.nn.modules._functions.BackwardHookFunction): one wraps a hooked module's
        inputs, one its outputs."""

        @staticmethod
        def forward(ctx, callback, *tensors):
            ctx.callback = callback
            ctx.set_materialize_grads(False)  # hooks see None for an output without gradient, as torch's
            return tuple(t.detach() for t in tensors)

        @staticmethod
        def backward(ctx, *grads):
            return (None,) + tuple(ctx.callback(grads))

    return BackwardHookFunction


_BHF = []


class _BackwardHook:
    """One hooked call's state (torch.utils.hooks.BackwardHook): grad_output, captured by
    the output wrapper's backward, waits there for the input wrapper's backward, which
    calls the full backward hooks with (grad_input, grad_output)."""

    def __init__(self, module, hooks, pre_hooks):
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.grad_outputs = None
        self.n_inputs = 0
        self.input_idx = None
        self.input_zeros = ()
        self.n_outputs = 0
        self.output_idx = None

    @staticmethod
    def _pack(indices, values, size):
        res = [None] * size
        for i, v in zip(indices, values):
            res[i] = v
        return tuple(res)

    def _wrap(self, args, callback):
        from ..autograd import is_grad_enabled
        idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
        if not idx or not is_grad_enabled():
            return args, None
        if not _BHF:
            _BHF.append(_backward_hook_fn())
        new = _BHF[0].apply(callback, *(args[i] for i in idx))
        out = list(args)
        for i, t in zip(idx, new):
            out[i] = t
        return tuple(out), idx

    def setup_input_hook(self, args):
        self.n_inputs = len(args)
        # torch's grad_input has zeros for the floating-point tensor arguments that don't
        # require grad (when another does): their (shape, dtype, device), by position
        self.input_zeros = [(i, (tuple(a.shape), a.dtype, a.device)) for i, a in enumerate(args)
                            if isinstance(a, Tensor) and not a.requires_grad and a.dtype.is_floating_point]
        args, self.input_idx = self._wrap(args, self._input_backward)
        return args

    def setup_output_hook(self, result):
        single = not isinstance(result, tuple)
        outs = (result,) if single else result
        self.n_outputs = len(outs)
        outs, self.output_idx = self._wrap(outs, self._output_backward)
        return outs[0] if single else outs

    def _output_backward(self, grads):
        self.grad_outputs = self._pack(self.output_idx, grads, self.n_outputs)
        for hook in self.pre_hooks:
            r = hook(self.module, self.grad_outputs)
            if r is None:
                continue
            if not isinstance(r, (tuple, list)):
                r = (r,)
            if len(r) != len(self.grad_outputs):
                raise RuntimeError(f"Backward pre hook returned an invalid number of grad_output, got {len(r)}, "
                                   f"but expected {len(self.grad_outputs)}")
            self.grad_outputs = tuple(r)
        local = self.grad_outputs
        if self.input_idx is None:  # no input requires grad: the hooks run here
            import warnings
            warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                          "outputs since no inputs require gradients.", stacklevel=2)
            grad_inputs = (None,) * self.n_inputs
            for hook in self.hooks:
                r = hook(self.module, grad_inputs, self.grad_outputs)
                if r is not None and not (isinstance(r, tuple) and all(e is None for e in r)):
                    raise RuntimeError("Backward hook for Modules where no input requires gradient should always "
                                       "return None or None for all gradients.")
            self.grad_outputs = None
        return tuple(local[i] for i in self.output_idx)

    def _input_backward(self, grads):
        if self.grad_outputs is None:  # the gradient reached the inputs without passing the outputs
            return grads
        res = self._pack(self.input_idx, grads, self.n_inputs)
        if self.input_zeros:
            from ..tensor import zeros
            res = list(res)
            for i, (shape, dtype, device) in self.input_zeros:
                res[i] = zeros(shape, dtype=dtype, device=device)
            res = tuple(res)
        for hook in self.hooks:
            out = hook(self.module, res, self.grad_outputs)
            if out is None:
                continue
            if not isinstance(out, (tuple, list)):
                out = (out,)
            if len(out) != len(res):
                raise RuntimeError(f"Backward hook returned an invalid number of grad_input, got {len(out)}, "
                                   f"but expected {len(res)}")
            res = tuple(out)
        self.grad_outputs = None
        return tuple(res[i] for i in self.input_idx)
