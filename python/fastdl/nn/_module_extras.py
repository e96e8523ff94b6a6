"""nn.Module's smaller extension points, as torch's: get_parameter / get_buffer /
set_submodule (torch's errors), to_empty, share_memory, type, compile,
register_backward_hook (the deprecated form), _get_name, call_super_init, dump_patches,
T_destination.

fastdl differences: compile() records fastdl.compile's
pass-through, so the module keeps running eagerly."""
import warnings
from typing import Any, TypeVar


class ExtrasMixin:
    dump_patches = False
    call_super_init = False  # True: Module.__init__ passes its arguments on to super().__init__
    _compiled_call_impl = None
    T_destination = TypeVar("T_destination", bound=dict[str, Any])

    @property
    def _non_persistent_buffers_set(self):  # torch's name for fastdl's _non_persistent
        return self.__dict__["_non_persistent"]

    @_non_persistent_buffers_set.setter
    def _non_persistent_buffers_set(self, value):
        self.__dict__["_non_persistent"] = value

    def _get_name(self):
        return self.__class__.__name__

    # ---- lookup by dotted name -------------------------------------------------------
    def get_parameter(self, target):
        module_path, _, param_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, param_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + param_name + "`")
        from .parameter import Parameter
        param = getattr(mod, param_name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + param_name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        module_path, _, buffer_name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if not hasattr(mod, buffer_name):
            raise AttributeError(mod._get_name() + " has no attribute `" + buffer_name + "`")
        buffer = getattr(mod, buffer_name)
        if buffer_name not in mod._buffers:
            raise AttributeError("`" + buffer_name + "` is not a buffer")
        return buffer

    def set_submodule(self, target, module, strict=False):
        """Sets the submodule at the dotted path target (its parent must exist); strict:
        only replaces an existing submodule."""
        from .module import Module
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        atoms = target.split(".")
        if not isinstance(module, Module):
            raise ValueError("`module` is not an nn.Module, found " + str(type(module)))
        parent = self if len(atoms) == 1 else self.get_submodule(".".join(atoms[:-1]))
        if strict and not hasattr(parent, atoms[-1]):
            raise AttributeError(parent._get_name() + " has no attribute `" + atoms[-1] + "`")
        if hasattr(parent, atoms[-1]):
            if not isinstance(getattr(parent, atoms[-1]), Module):
                raise AttributeError("`" + atoms[-1] + "` is not an nn.Module")
        setattr(parent, atoms[-1], module)

    # ---- conversions through _apply ---------------------------------------------------
    def type(self, dst_type):
        """Casts every parameter and buffer with Tensor.type(dst_type), in place."""
        return self._apply(lambda t: t.type(dst_type))

    def to_empty(self, *, device, recurse=True):
        """Parameters and buffers become uninitialised tensors of the same shape and dtype
        on `device` (nothing is copied)."""
        from ..tensor import empty_like
        return self._apply(lambda t: empty_like(t, device=device), recurse=recurse)

    def share_memory(self):
        """Moves the parameters and buffers to shared memory (Tensor.share_memory_)."""
        return self._apply(lambda t: t.share_memory_())

    def compile(self, *args, **kwargs):
        """In place, as torch's: records fastdl.compile(self._call_impl, ...), which checks
        the options and returns the callable itself (fastdl runs eagerly)."""
        from ..compile_shim import compile as _compile
        self._compiled_call_impl = _compile(self._call_impl, *args, **kwargs)

    def _call_impl(self, *args, **kwargs):
        from .module import Module
        return Module.__call__(self, *args, **kwargs)

    # ---- deprecated backward hooks ----------------------------------------------------
    def register_backward_hook(self, hook):
        """Deprecated (use register_full_backward_hook): hook(module, grad_input,
        grad_output) registered on the autograd node that made the first output tensor,
        so grad_input / grad_output are that node's, as torch's."""
        if self.__dict__.get("_is_full_backward_hook") is True:
            raise RuntimeError("Cannot use both regular backward hooks and full backward hooks on a single Module. "
                               "Please use only one of them.")
        self.__dict__["_is_full_backward_hook"] = False
        return self._add_hook("_non_full_backward_hooks", hook, False)

    def _maybe_warn_non_full_backward_hook(self, inputs, result, grad_fn):
        from ..tensor import Tensor
        if not isinstance(result, Tensor):
            if not (isinstance(result, tuple) and all(isinstance(r, Tensor) for r in result)):
                warnings.warn("Using non-full backward hooks on a Module that does not return a single Tensor or a "
                              "tuple of Tensors is deprecated and will be removed in future versions. This hook will "
                              "be missing some of the grad_output. Please use register_full_backward_hook to get the "
                              "documented behavior.", FutureWarning, stacklevel=2)
                return
        else:
            result = (result,)
        if not isinstance(inputs, Tensor):
            if not (isinstance(inputs, tuple) and all(isinstance(i, Tensor) for i in inputs)):
                warnings.warn("Using non-full backward hooks on a Module that does not take as input a single Tensor "
                              "or a tuple of Tensors is deprecated and will be removed in future versions. This hook "
                              "will be missing some of the grad_input. Please use register_full_backward_hook to get "
                              "the documented behavior.", FutureWarning, stacklevel=2)
                return
        else:
            inputs = (inputs,)
        out_grad_fn = {r.grad_fn for r in result if r.grad_fn is not None}
        if len(out_grad_fn) == 0 or (len(out_grad_fn) == 1 and grad_fn not in out_grad_fn):
            warnings.warn("Using a non-full backward hook when outputs are nested in python data structure is "
                          "deprecated and will be removed in future versions. This hook will be missing some "
                          "grad_output.", FutureWarning, stacklevel=2)
        elif len(out_grad_fn) > 1:
            warnings.warn("Using a non-full backward hook when outputs are generated by different autograd Nodes is "
                          "deprecated and will be removed in future versions. This hook will be missing some "
                          "grad_output. Please use register_full_backward_hook to get the documented behavior.",
                          FutureWarning, stacklevel=2)
        else:
            inputs_grad_fn = {i.grad_fn for i in inputs if i.grad_fn is not None}
            next_functions = {n[0] for n in grad_fn.next_functions}
            if inputs_grad_fn != next_functions:
                warnings.warn("Using a non-full backward hook when the forward contains multiple autograd Nodes is "
                              "deprecated and will be removed in future versions. This hook will be missing some "
                              "grad_input. Please use register_full_backward_hook to get the documented behavior.",
                              FutureWarning, stacklevel=2)
