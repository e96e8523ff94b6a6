"""fastdl.compile: torch.compile's signature, without a compiler. fastdl has no graph
capture or code generation, so the model or function comes back unchanged (eager
execution, the same results); the arguments are checked as torch checks them."""

__all__ = ["compile"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,  # noqa: A001
            name=None, disable=False, recompile_limit=None, isolate_recompiles=False, shapes_spec=None):
    """Returns model unchanged (fastdl runs eagerly; nothing is compiled). As a decorator:
    @fastdl.compile and @fastdl.compile(mode=...) both return the function itself."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode is not None and mode not in ("default", "reduce-overhead", "max-autotune", "max-autotune-no-cudagraphs"):
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: default, reduce-overhead, max-autotune, "
                           f"max-autotune-no-cudagraphs")
    if options is not None and not isinstance(options, dict):
        raise TypeError(f"compile: options must be a dict, got {type(options).__name__}")
    if not (backend is None or isinstance(backend, str) or callable(backend)):
        raise TypeError(f"compile: backend must be a name or a callable, got {type(backend).__name__}")
    if model is None:
        return lambda fn: compile(fn, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                  options=options, name=name, disable=disable)
    if not callable(model):
        raise RuntimeError("Invalid type for model: expected a Module or a callable, got "
                           f"{type(model).__name__}")
    return model
