"""functional_call: run a module with given tensors in place of its parameters and
buffers (torch.func.functional_call; this module's functional_call is torch's deprecated
torch.nn.utils.stateless spelling of the same).

The tensors are swapped into the modules' stores for the call and the originals put back
afterwards, even when the call raises. Nothing is copied, so gradients flow to the
supplied tensors, whatever graph they carry (MAML: the fast weights are results of
autograd.grad(..., create_graph=True))."""
import contextlib
import warnings
from collections.abc import Sequence

__all__ = ["functional_call"]

_MISSING = object()


def _all_named_tensors(module):
    """(name, tensor) of every parameter and buffer, a tied tensor under each of its names
    (torch's named_parameters(remove_duplicate=False))."""
    out = []

    def walk(m, prefix):
        for store in ("_parameters", "_buffers"):
            for name, v in m.__dict__[store].items():
                if v is not None:
                    out.append((prefix + name, v))
        for name, child in m._modules.items():
            if child is not None:
                walk(child, prefix + name + ".")
    walk(module, "")
    return out


def _untie(module, values):
    """values with every name tied to a given one added (the same tensor); ValueError when
    two tied names were given different tensors."""
    names_of = {}
    for name, t in _all_named_tensors(module):
        names_of.setdefault(id(t), set()).add(name)
    tied = {n: names for names in names_of.values() if len(names) > 1 for n in names}
    out = dict(values)
    for name in values:
        if name in tied:
            given = [n for n in tied[name] if n in values]
            if len({id(values[n]) for n in given}) != 1:
                raise ValueError(f"functional_call got multiple values for keys {sorted(tied[name])}, which are "
                                 f"tied. Consider using tie_weights=False")
            for n in tied[name]:
                out[n] = values[name]
    return out


def _owner(module, key):
    *path, name = key.split(".")
    m = module
    for i, part in enumerate(path):
        child = m._modules.get(part) if hasattr(m, "_modules") else None
        if child is None:
            raise AttributeError(f"functional_call: {type(m).__name__} has no submodule '{part}' (looking up "
                                 f"'{key}')")
        m = child
    return m, name


def _swap(module, key, value):
    """Puts value at key; returns what was there (_MISSING when nothing)."""
    m, name = _owner(module, key)
    d = m.__dict__
    for store in ("_parameters", "_buffers"):
        if name in d[store]:
            old = d[store][name]
            m._set_member(store, name, value)
            return old
    old = d.get(name, _MISSING)
    if value is _MISSING:
        d.pop(name, None)
    else:
        object.__setattr__(m, name, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, values, tie_weights=True, strict=False):
    if tie_weights:
        values_all = _untie(module, values)
    else:
        values_all = dict(values)
    if strict:
        names = {n for n, _ in _all_named_tensors(module)}
        unexpected = [k for k in values_all if k not in names]
        missing = [k for k in sorted(names) if k not in values_all]
        errors = []
        if unexpected:
            errors.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            errors.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if errors:
            raise RuntimeError(f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(errors))
    originals = {}
    try:
        for k, v in values_all.items():
            originals[k] = _swap(module, k, v)
        yield
    finally:
        current = {}
        for k, v in reversed(list(originals.items())):
            current[k] = _swap(module, k, v)
        # a module that reassigned a buffer during the call (running statistics): the new value
        # goes back into the caller's dict, as torch's
        for k in values:
            if k in current and current[k] is not _MISSING:
                values[k] = current[k]


def _functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    from ..module import Module
    if not isinstance(module, Module):
        raise TypeError(f"functional_call: module must be an nn.Module, got {type(module).__name__}")
    if not isinstance(parameters_and_buffers, dict):
        raise TypeError(f"functional_call: parameters_and_buffers must be a dict, got "
                        f"{type(parameters_and_buffers).__name__}")
    for k in parameters_and_buffers:
        if not isinstance(k, str):
            raise TypeError(f"functional_call: keys must be str names, got {type(k).__name__}")
    kwargs = {} if kwargs is None else kwargs
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights, strict=strict):
        return module(*args, **kwargs)


def functional_call_dicts(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True,
                          strict=False):
    """torch.func.functional_call: module(*args, **kwargs) with the tensors of
    parameter_and_buffer_dicts (a dict, or a list/tuple of dicts with distinct keys) in
    place of the parameters and buffers of those names ('layer.weight'). tie_weights: a
    tensor registered under several names is replaced under all of them; strict: the keys
    must be exactly the module's parameter and buffer names."""
    if isinstance(parameter_and_buffer_dicts, dict):
        values = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence) and not isinstance(parameter_and_buffer_dicts, str):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        values = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    return _functional_call(module, values, args, kwargs, tie_weights=tie_weights, strict=strict)


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """torch.nn.utils.stateless.functional_call (deprecated in torch 2.0 with a
    FutureWarning, as here): fastdl.func.functional_call with one dict."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in "
                  "a future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs, tie_weights=tie_weights, strict=strict)
