"""nn.Module's state_dict machinery, as torch's (torch/nn/modules/module.py): state_dict
and load_state_dict walk the tree and call each module's _save_to_state_dict /
_load_from_state_dict, so a subclass overriding those (a layer renaming an old key, one
with extra state) behaves as in torch; the returned OrderedDict carries `_metadata`
({module prefix: {"version": module._version}}); state-dict and load-state-dict hooks
run where torch runs them, with the same arguments and return-value rules.

fastdl differences: a NumPy array in the loaded dict is taken as a tensor (fastdl.load
of an .npz gives tensors already); torch's swap_module_params_on_conversion path does
not exist (fastdl has no torch.__future__ flags)."""
import warnings
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

_EXTRA_STATE_KEY_SUFFIX = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _WrappedHook:
    """A load_state_dict pre-hook, called with the module first when with_module (torch's
    _WrappedHook; the module is held weakly, so a hook does not keep it alive)."""

    def __init__(self, hook, module=None):
        import weakref
        self.hook = hook
        self.with_module = module is not None
        self.module = weakref.ref(module) if module is not None else None

    def __call__(self, *args, **kwargs):
        if self.with_module:
            module = self.module()
            if module is None:
                raise RuntimeError("You are trying to call the hook of a dead Module!")
            return self.hook(module, *args, **kwargs)
        return self.hook(*args, **kwargs)


def _hooks(module, name):
    """The module's hook dict `name` (empty if the module never got one)."""
    return module.__dict__.get(name) or {}


class StateDictMixin:
    """Module's state_dict / load_state_dict and their hooks (mixed into nn.Module)."""

    _version = 1  # stored in state_dict()._metadata; subclasses bump it when their keys change

    # ---- hooks -----------------------------------------------------------------------
    def _add_state_hook(self, store_name, hook):
        from .module import RemovableHandle
        handle = RemovableHandle(self, store_name)
        self._hook_store(store_name)[handle.id] = hook
        return handle

    def _register_state_dict_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) -> None or a new state_dict
        (a new one is used only where the root's state_dict() returns it, as torch)."""
        if getattr(hook, "_from_public_api", False):
            raise RuntimeError("Cannot register the same function as the state dict post hook that was "
                               "previously registered via register_state_dict_post_hook")
        return self._add_state_hook("_state_dict_hooks", hook)

    def register_state_dict_post_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) -> None; edits state_dict in place."""
        hook._from_public_api = True  # as torch: marks the hook (a bound method raises here, as in torch)
        return self._add_state_hook("_state_dict_hooks", hook)

    def register_state_dict_pre_hook(self, hook):
        """hook(module, prefix, keep_vars) -> None, before the module's state is saved."""
        return self._add_state_hook("_state_dict_pre_hooks", hook)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        """hook([module,] state_dict, prefix, local_metadata, strict, missing_keys,
        unexpected_keys, error_msgs) -> None (module first only when with_module)."""
        return self._add_state_hook("_load_state_dict_pre_hooks", _WrappedHook(hook, self if with_module else None))

    def register_load_state_dict_pre_hook(self, hook):
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def register_load_state_dict_post_hook(self, hook):
        """hook(module, incompatible_keys) -> None; may edit incompatible_keys' lists in
        place (what strict then checks)."""
        return self._add_state_hook("_load_state_dict_post_hooks", hook)

    # ---- extra state -----------------------------------------------------------------
    def get_extra_state(self):
        """Override (with set_extra_state) to store any extra state under the module's
        '_extra_state' key; the base method is never called."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called.")

    # ---- saving ----------------------------------------------------------------------
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        """Puts this module's own parameters, persistent buffers and extra state (not its
        children's) into destination."""
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        non_persistent = self._non_persistent
        for name, buf in self._buffers.items():
            if buf is not None and name not in non_persistent:
                destination[prefix + name] = buf if keep_vars else buf.detach()
        if getattr(self.__class__, "get_extra_state", StateDictMixin.get_extra_state) \
                is not StateDictMixin.get_extra_state:
            destination[prefix + _EXTRA_STATE_KEY_SUFFIX] = self.get_extra_state()

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """The module's parameters and persistent buffers by dotted name (detached unless
        keep_vars), in an OrderedDict with `_metadata`, or put into `destination`.
        Positional arguments are deprecated (FutureWarning), as in torch."""
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to "
                          "https://pytorch.org/docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict"
                          " for details.", FutureWarning, stacklevel=2)
            if destination is None:
                destination = args[0]
            if len(args) > 1 and prefix == "":
                prefix = args[1]
            if len(args) > 2 and keep_vars is False:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = dict(version=self._version)
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = local_metadata
        for hook in list(_hooks(self, "_state_dict_pre_hooks").values()):
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in list(_hooks(self, "_state_dict_hooks").values()):
            result = hook(self, destination, prefix, local_metadata)
            if not getattr(hook, "_from_public_api", False):
                if result is not None:
                    destination = result
            elif result is not None:
                raise RuntimeError("state_dict post-hook must return None")
        return destination

    # ---- loading ---------------------------------------------------------------------
    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Copies this module's own entries (not its children's) from state_dict (a copy
        the caller may edit), appending to missing_keys / unexpected_keys / error_msgs."""
        from ..autograd import no_grad
        from ..tensor import Tensor, as_tensor
        from .parameter import Parameter
        from .modules.lazy import is_lazy
        lazy_hook = getattr(self, "_lazy_load_hook", None)  # torch registers it as the first pre-hook
        if lazy_hook is not None:
            lazy_hook(state_dict, prefix)
        for hook in list(_hooks(self, "_load_state_dict_pre_hooks").values()):
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)

        non_persistent = self._non_persistent
        local_state = {k: v for k, v in self._parameters.items() if v is not None}
        local_state.update((k, v) for k, v in self._buffers.items() if v is not None and k not in non_persistent)
        assign = local_metadata.get("assign_to_params_buffers", False)

        for name, param in local_state.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            input_param = state_dict[key]
            if not isinstance(input_param, Tensor):
                import numpy as np
                if not isinstance(input_param, np.ndarray):
                    error_msgs.append(f'While copying the parameter named "{key}", expected fastdl.Tensor or '
                                      f"Tensor-like object from checkpoint but received {type(input_param)}")
                    continue
                input_param = as_tensor(input_param)
            lazy = is_lazy(param)
            if not lazy and len(param.shape) == 0 and len(input_param.shape) == 1 and input_param.shape[0] == 1:
                input_param = input_param[0]  # torch's 0.3 -> 0.4 compatibility (1-element to 0-d)
            if not lazy and tuple(input_param.shape) != tuple(param.shape):
                error_msgs.append(f"size mismatch for {key}: copying a param with shape {input_param.shape} from "
                                  f"checkpoint, the shape in current model is {param.shape}.")
                continue
            try:
                with no_grad():
                    if assign:
                        if isinstance(param, Parameter):
                            if not isinstance(input_param, Parameter):
                                input_param = Parameter(input_param, requires_grad=param.requires_grad)
                            else:
                                input_param.requires_grad_(param.requires_grad)
                        setattr(self, name, input_param)
                    else:
                        param.copy_(input_param.to(dtype=param.dtype, device=param.device))
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions in the model are '
                                  f"{param.size()} and whose dimensions in the checkpoint are {input_param.size()}, "
                                  f"an exception occurred : {ex.args}.")

        extra_key = prefix + _EXTRA_STATE_KEY_SUFFIX
        if getattr(self.__class__, "set_extra_state", StateDictMixin.set_extra_state) \
                is not StateDictMixin.set_extra_state:
            if extra_key in state_dict:
                self.set_extra_state(state_dict[extra_key])
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)

        if strict:
            for key in state_dict:
                if key.startswith(prefix) and key != extra_key:
                    input_name = key[len(prefix):].split(".", 1)
                    if len(input_name) > 1:  # a child's key: unexpected only if there is no such child
                        if input_name[0] not in self._modules:
                            unexpected_keys.append(key)
                    elif input_name[0] not in local_state:
                        unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies state_dict's tensors into this module's parameters and buffers (assign:
        the tensors themselves become them, keeping each parameter's requires_grad).
        Returns _IncompatibleKeys(missing_keys, unexpected_keys); with strict, either
        non-empty raises RuntimeError, as does a size mismatch in any case."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing_keys, unexpected_keys, error_msgs = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)  # the per-module hooks may edit it
        if metadata is not None:
            state_dict._metadata = metadata

        def load(module, local_state_dict, prefix=""):
            local_metadata = {} if metadata is None else metadata.get(prefix[:-1], {})
            if assign:
                local_metadata["assign_to_params_buffers"] = assign
            module._load_from_state_dict(local_state_dict, prefix, local_metadata, True, missing_keys,
                                         unexpected_keys, error_msgs)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    child_state_dict = {k: v for k, v in local_state_dict.items() if k.startswith(child_prefix)}
                    load(child, child_state_dict, child_prefix)
            incompatible_keys = _IncompatibleKeys(missing_keys, unexpected_keys)  # the hooks may edit the lists
            for hook in list(_hooks(module, "_load_state_dict_post_hooks").values()):
                if hook(module, incompatible_keys) is not None:
                    raise AssertionError("Hooks registered with ``register_load_state_dict_post_hook`` are not "
                                         "expected to return new values, if incompatible_keys need to be modified, "
                                         "it should be done inplace.")

        load(self, state_dict)
        if strict:
            if unexpected_keys:
                error_msgs.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected_keys)))
            if missing_keys:
                error_msgs.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in missing_keys)))
        if error_msgs:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                self._get_name(), "\n\t".join(error_msgs)))
        return _IncompatibleKeys(missing_keys, unexpected_keys)
