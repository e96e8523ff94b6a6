"""The wrapped callables a recording swaps in, and their removal.

Nothing here runs unless a profiler records: install() replaces the op entry points users
call (Tensor's methods and operators, fastdl.X, nn.functional.X, linalg / special / fft),
autograd's node apply and leaf accumulation, optimizer steps and (with_modules) module
calls by wrappers that open and close an event; uninstall() puts every original back, so
outside a profile the fast paths (the C++ fronts of `a * b`, ...) are untouched.
"""
import functools
import sys
import threading

from . import _names
from . import _record

_installed = []  # (owner, attribute, wrapper, original)
_lock = threading.Lock()
_FUNC_TYPES = ("function", "builtin_function_or_method", "FunctionMethod", "FrontMethod")
_tls = threading.local()  # per thread: optimizer steps open (a subclass's step calling super's records once)


def _is_op(value):
    return type(value).__name__ in _FUNC_TYPES


def _op_wrapper(fn, name, amp_alt=None):
    """fn inside an event named `name`. amp_alt: fn's Python front, which autocast swaps in for
    the C++ front while it casts (its swap cannot see fn behind the wrapper, so it is done here)."""
    from ..amp import autocast_mode as amp

    def wrapper(*args, **kwargs):
        f = amp_alt if amp_alt is not None and amp.on else fn
        s = _record.current
        if s is None:
            return f(*args, **kwargs)
        ev = s.begin(name, args, kwargs)
        out = None
        try:
            out = f(*args, **kwargs)
            return out
        finally:
            s.end(ev, args, out)

    try:
        functools.update_wrapper(wrapper, fn)
    except (AttributeError, TypeError):
        pass
    wrapper._fastdl_profiler_wrapper = True
    return wrapper


def _set(owner, attr, wrapper):
    original = owner.__dict__[attr] if isinstance(owner, type) else getattr(owner, attr)
    setattr(owner, attr, wrapper)
    _installed.append((owner, attr, wrapper, original))


def _amp_alternatives():
    from ..amp import autocast_mode as amp
    return {id(c): py for c, py in amp._fronts()}


def _wrap_ops():
    from ..tensor import Tensor
    alts = _amp_alternatives()
    functional = {}  # id(original) -> (original, wrapper) of nn.functional's ops
    for attr, value in list(Tensor.__dict__.items()):
        if not _is_op(value) or (attr.startswith("_") and attr not in _names.DUNDERS):
            continue
        if attr not in _names.DUNDERS and _names.skipped(attr):
            continue
        _set(Tensor, attr, _op_wrapper(value, _names.event_name(attr), alts.get(id(value))))
    for modname, prefix in _names.NAMESPACES.items():
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for attr, value in list(vars(mod).items()):
            if not _is_op(value) or _names.skipped(attr) or getattr(value, "_fastdl_profiler_wrapper", False):
                continue
            owner = getattr(value, "__module__", None)
            if owner is not None and not str(owner).startswith("fastdl"):
                continue  # a helper imported from the standard library
            w = _op_wrapper(value, _names.event_name(attr, prefix), alts.get(id(value)))
            _set(mod, attr, w)
            if modname == "fastdl.nn.functional":
                functional[id(value)] = (value, w)
    # the modules' own references to functional ops (Sequential's fused linear_activation, ...)
    for modname, mod in list(sys.modules.items()):
        if mod is None or not modname.startswith(_names.MODULE_CODE):
            continue
        for attr, value in list(vars(mod).items()):
            hit = functional.get(id(value))
            if hit is not None and hit[0] is value:
                _set(mod, attr, hit[1])
            elif isinstance(value, type) and value.__module__ == modname:  # Conv2d._conv = staticmethod(conv2d)
                for cattr, cvalue in list(value.__dict__.items()):
                    if isinstance(cvalue, staticmethod):
                        hit = functional.get(id(cvalue.__func__))
                        if hit is not None and hit[0] is cvalue.__func__:
                            _set(value, cattr, staticmethod(hit[1]))


def _wrap_autograd():
    from .. import autograd
    apply = autograd.Node.apply

    def node_apply(self, grads):
        s = _record.current
        if s is None:
            return apply(self, grads)
        ev = s.begin(_names.backward_name(self.fn.__name__), grads)
        try:
            return apply(self, grads)
        finally:
            s.end(ev)

    _set(autograd.Node, "apply", node_apply)
    accumulate = autograd._accumulate

    def accumulate_grad(*args, **kwargs):
        s = _record.current
        if s is None:
            return accumulate(*args, **kwargs)
        ev = s.begin("torch::autograd::AccumulateGrad", args[1:2])
        try:
            return accumulate(*args, **kwargs)
        finally:
            s.end(ev)

    _set(autograd, "_accumulate", accumulate_grad)


def _subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        out.append(c)
        todo.extend(c.__subclasses__())
    return out


def _wrap_optimizers():
    from ..optim.optimizer import Optimizer

    def make(method, what):
        def wrapper(self, *args, **kwargs):
            s = _record.current
            depth = getattr(_tls, what, 0)
            if s is None or depth:
                return method(self, *args, **kwargs)
            cls = type(self).__name__
            ev = s.begin(f"Optimizer.{what}#{cls}.{what}", category="user_annotation")
            setattr(_tls, what, depth + 1)
            try:
                return method(self, *args, **kwargs)
            finally:
                setattr(_tls, what, depth)
                s.end(ev)
        return functools.wraps(method)(wrapper)

    for cls in _subclasses(Optimizer):
        for what in ("step", "zero_grad"):
            if what in cls.__dict__ and callable(cls.__dict__[what]):
                _set(cls, what, make(cls.__dict__[what], what))


def _wrap_modules(session):
    from ..nn.module import Module

    def make(call):
        def wrapper(self, *args, **kwargs):
            s = _record.current
            if s is None or getattr(_tls, "module", None) is self:
                return call(self, *args, **kwargs)
            name = s.module_ids.get(id(self))
            if name is None:  # torch's "nn.Module: Linear_0", numbered per class
                cls = type(self).__name__
                n = sum(1 for v in s.module_ids.values() if v.rpartition("_")[0] == f"nn.Module: {cls}")
                name = s.module_ids[id(self)] = f"nn.Module: {cls}_{n}"
            ev = s.begin(name, category="python_function")
            prev, _tls.module = getattr(_tls, "module", None), self
            try:
                return call(self, *args, **kwargs)
            finally:
                _tls.module = prev
                s.end(ev)
        return functools.wraps(call)(wrapper)

    for cls in _subclasses(Module):
        if "__call__" in cls.__dict__:
            _set(cls, "__call__", make(cls.__dict__["__call__"]))


def install(session):
    with _lock:
        if _installed:
            return
        try:
            _wrap_ops()
            _wrap_autograd()
            _wrap_optimizers()
            if session.with_modules:
                _wrap_modules(session)
        except BaseException:
            _restore()
            raise
        _forget_amp_places()


def _restore():
    while _installed:
        owner, attr, wrapper, original = _installed.pop()
        current = owner.__dict__.get(attr) if isinstance(owner, type) else getattr(owner, attr, None)
        if current is wrapper:  # else someone (autocast's front swap) rebound it meanwhile: keep theirs
            setattr(owner, attr, original)


def uninstall():
    with _lock:
        _restore()
        _forget_amp_places()


def installed():
    """Whether the wrappers are in place (the tests check that no profile leaves them)."""
    return bool(_installed)


def _forget_amp_places():
    # autocast caches where its C++ fronts are bound; the wrappers moved them
    from ..amp import autocast_mode as amp
    amp._places[0] = None
