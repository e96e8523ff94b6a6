"""Autograd anomaly mode (torch.autograd.detect_anomaly / set_detect_anomaly).

While enabled, every ctx made by Function.apply remembers the Python stack of the forward
call that made it, and every node's backward is checked: an exception or (check_nan) a NaN
in a gradient it returns prints that forward stack as a UserWarning, as torch's does.

Cost when off: none. The hooks are installed only while the mode is on: Context.__init__
(the C++ apply makes every ctx by calling the Context class, so the slot runs there too)
and Node.apply (the C++ engine looks it up on each node). Turning the mode off removes
them, so the forward and backward paths are the plain ones again. The flag is
process-wide, as torch's (a static in its C++).
"""
import sys
import traceback
import warnings

from . import autograd as _ag

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_anomaly_enabled"]

_enabled = False
_check_nan = True
_plain_apply = _ag.Node.apply


def is_anomaly_enabled():
    return _enabled


def is_anomaly_check_nan_enabled():
    return _check_nan


def _record_stack(self):
    """Context.__init__ while the mode is on: the forward call's stack (no locals, lines
    read only when printed)."""
    frames = traceback.walk_stack(sys._getframe(1))
    stack = traceback.StackSummary.extract(frames, lookup_lines=False)
    stack.reverse()
    self._anomaly_stack = stack


def _warn_stack(node):
    stack = node.ctx.__dict__.get("_anomaly_stack")
    if stack is None:
        warnings.warn(f"Error detected in {node.name()}. No forward pass information available. Enable detect "
                      f"anomaly during forward pass for more information.", UserWarning, stacklevel=2)
        return
    warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused the error:\n"
                  + "".join(stack.format()), UserWarning, stacklevel=2)


def _checked_apply(self, grads):
    """Node.apply while the mode is on: the plain apply, then the NaN check."""
    try:
        out = _plain_apply(self, grads)
    except Exception:
        _warn_stack(self)
        raise
    if _check_nan:
        for i, g in enumerate(out):
            if g is None or not hasattr(g, "isnan") or not g.dtype.is_floating_point:
                continue
            with _ag.no_grad():
                bad = bool(g.isnan().any())
            if bad:
                _warn_stack(self)
                raise RuntimeError(f"Function '{self.name()}' returned nan values in its {i}th output.")
    return out


def set_anomaly_enabled(enabled, check_nan=True):
    """torch.set_anomaly_enabled: turns anomaly detection on or off (and its NaN check)."""
    global _enabled, _check_nan
    for name, v in (("enabled", enabled), ("check_nan", check_nan)):
        if v is not True and v is not False:
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' must be bool, not {type(v).__name__}")
    _enabled, _check_nan = bool(enabled), bool(check_nan)
    if _enabled:
        _ag.Context.__init__ = _record_stack
        _ag.Node.apply = _checked_apply
    else:
        if "__init__" in _ag.Context.__dict__:
            del _ag.Context.__init__
        _ag.Node.apply = _plain_apply


class _Decorating:
    """Context managers that also decorate a function (the mode set around each call)."""

    def __call__(self, fn):
        return _ag._wrap_in(self.clone, fn)


class detect_anomaly(_Decorating):
    """Anomaly detection on inside the block: backward errors show the forward call's stack;
    with check_nan, a backward that returns NaN raises RuntimeError."""

    def __init__(self, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.check_nan = check_nan
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def clone(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return detect_anomaly(self.check_nan)


class set_detect_anomaly(_Decorating):
    """Sets anomaly detection at once (as torch's), restored at the end of the `with` block;
    as a decorator it sets the mode around each call instead."""

    def __init__(self, mode, check_nan=True):
        self.prev = is_anomaly_enabled()
        self.prev_check_nan = is_anomaly_check_nan_enabled()
        self.mode, self.check_nan = mode, check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        return False

    def __call__(self, fn):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
        mode, check_nan = self.mode, self.check_nan
        return _ag._wrap_in(lambda: set_detect_anomaly(mode, check_nan), fn)

    def clone(self):
        return set_detect_anomaly(self.mode, self.check_nan)
