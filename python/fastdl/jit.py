"""fastdl.jit: torch.jit's entry points for code that calls them, without TorchScript.
fastdl has no script compiler or tracer: script and trace return the module or function
itself (it runs eagerly, with the same results), the decorators leave functions as they
are, is_scripting / is_tracing are False, and save / load raise (use fastdl.save /
fastdl.load with a state_dict)."""

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "save", "load", "annotate", "interface", "fork", "wait", "freeze", "optimize_for_inference"]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """Returns obj unchanged (no TorchScript: it runs eagerly)."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None, example_kwarg_inputs=None,
          _store_inputs=True):
    """Returns func (a module or a function) unchanged; the example inputs are not run
    (no tracing: the function runs eagerly on every call)."""
    if not callable(func):
        raise TypeError(f"trace: expected a Module or a function, got {type(func).__name__}")
    return func


def trace_module(mod, inputs, *args, **kwargs):
    """Returns mod unchanged (no tracing)."""
    return mod


def ignore(drop=False, **kwargs):
    """@ignore and @ignore(drop=...): the function itself."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def interface(obj):
    return obj


def annotate(the_type, the_value):
    """torch.jit.annotate: the value (the type is only for the script compiler)."""
    return the_value


def is_scripting():
    """False: fastdl never runs code under TorchScript."""
    return False


def is_tracing():
    """False: fastdl never traces."""
    return False


class _Future:
    def __init__(self, value):
        self._value = value

    def wait(self):
        return self._value


def fork(func, *args, **kwargs):
    """Runs func now (no asynchronous TorchScript tasks); wait() returns its result."""
    return _Future(func(*args, **kwargs))


def wait(future):
    return future.wait()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def save(m, f, _extra_files=None):
    raise NotImplementedError("fastdl.jit.save: fastdl has no TorchScript, so there is no scripted module to save; "
                              "save the weights with fastdl.save(model.state_dict(), f) and rebuild the model in "
                              "Python")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("fastdl.jit.load: fastdl cannot load TorchScript archives; load weights saved with "
                              "fastdl.save via fastdl.load(f) and model.load_state_dict")
