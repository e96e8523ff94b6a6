"""Optimizer hooks, as torch.optim.optimizer's: step pre/post hooks per optimizer and
global (register_optimizer_step_pre_hook / _post_hook), and the state_dict /
load_state_dict hooks' stores.

The step is benchmarked, so a step with no hook anywhere pays one attribute read
(`_active.n`, the number of step hooks registered in the process): only when it is
non-zero does a step go through call_with_step_hooks. A hook left registered on an
optimizer that was garbage-collected keeps the count up (the slower path stays on;
results are unaffected)."""
from collections import OrderedDict
from itertools import chain

from ..nn.module import RemovableHandle

__all__ = ["register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()
_IN_STEP = "_in_hooked_step"  # set on an optimizer while its hooked step runs (no second round of hooks)


class _Active:
    n = 0


_active = _Active()


class DictHandle(RemovableHandle):
    """A RemovableHandle over one hook dict (torch's RemovableHandle(hooks_dict));
    counted: a step hook's handle keeps _active.n up to date."""

    def __init__(self, store, counted=False):
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1
        self._store, self._counted = store, counted

    def remove(self):
        if self._store.pop(self.id, None) is not None and self._counted:
            _active.n -= 1


def add_hook(store, hook, prepend=False, counted=False):
    if not callable(hook):
        raise TypeError(f"hook must be callable, got {type(hook).__name__}")
    handle = DictHandle(store, counted)
    store[handle.id] = hook
    if prepend:
        store.move_to_end(handle.id, last=False)
    if counted:
        _active.n += 1
    return handle


def register_optimizer_step_pre_hook(hook):
    """hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs), before every
    optimizer's step (args starts with the optimizer, as torch's)."""
    return add_hook(_global_optimizer_pre_hooks, hook, counted=True)


def register_optimizer_step_post_hook(hook):
    """hook(optimizer, args, kwargs) -> None, after every optimizer's step."""
    return add_hook(_global_optimizer_post_hooks, hook, counted=True)


def call_with_step_hooks(func, self, args, kwargs):
    """func(*args, **kwargs) (args[0] is self) between the pre hooks (global first) and
    the post hooks (the optimizer's first), as torch's profile_hook_step."""
    d = self.__dict__
    if d.get(_IN_STEP):  # a subclass's step calling super().step(): hooks ran already
        return func(*args, **kwargs)
    for pre_hook in chain(list(_global_optimizer_pre_hooks.values()),
                          list(d.get("_optimizer_step_pre_hooks", {}).values())):
        result = pre_hook(self, args, kwargs)
        if result is not None:
            if isinstance(result, tuple) and len(result) == 2:
                args, kwargs = result
            else:
                raise RuntimeError(f"{func} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
    d[_IN_STEP] = True
    try:
        out = func(*args, **kwargs)
    finally:
        d.pop(_IN_STEP, None)
    for post_hook in chain(list(d.get("_optimizer_step_post_hooks", {}).values()),
                           list(_global_optimizer_post_hooks.values())):
        post_hook(self, args, kwargs)
    return out


def hooked_step(step):
    """A subclass's own step, wrapped so that the step hooks run around it."""
    import functools

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        if _active.n:
            return call_with_step_hooks(step, args[0], args, kwargs)
        return step(*args, **kwargs)

    wrapper.hooked = True
    return wrapper
