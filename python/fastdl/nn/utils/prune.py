"""torch.nn.utils.prune: pruning a module's parameter by a mask.

Pruning `name` moves the parameter to `name_orig` (still the Parameter the optimizer
sees), adds the buffer `name_mask`, and makes `name` a plain attribute equal to
name_orig * name_mask, recomputed before every forward by a forward pre-hook (the
pruning method itself). Pruning the same parameter again composes the masks in a
PruningContainer; remove() makes the pruning permanent (name is a Parameter again, holding
the masked values). The state dict keys are torch's (name_orig, name_mask), so a pruned
torch state dict loads into a pruned fastdl module.
"""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ...autograd import no_grad
from ...tensor import Tensor, ones_like

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured", "custom_from_mask",
           "remove", "is_pruned"]


def _pre_hooks(module):
    return module.__dict__.get("_forward_pre_hooks") or {}


class BasePruningMethod(ABC):
    """A pruning method: compute_mask(t, default_mask) gives the new mask; as a forward
    pre-hook it recomputes module.<name> from name_orig and name_mask."""

    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for t, given the mask already applied (default_mask)."""

    def apply_mask(self, module):
        if self._tensor_name is None:
            raise RuntimeError(f"Module {module} has to be pruned")  # torch asserts
        orig = getattr(module, self._tensor_name + "_orig")
        mask = getattr(module, self._tensor_name + "_mask")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prunes module.<name> with cls(*args, **kwargs), composed with earlier pruning of
        the same parameter; returns the method (hook) now in charge of it."""
        old, keys = None, []
        for k, hook in _pre_hooks(module).items():
            if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
                old = hook
                keys.append(k)
        if len(keys) > 1:
            raise RuntimeError(f"prune: more than one pruning hook for parameter '{name}' of {type(module).__name__}")
        orig = getattr(module, name)
        if not isinstance(orig, Tensor):
            raise TypeError(f"prune: {type(module).__name__}.{name} is {type(orig).__name__}, not a Tensor")
        if importance_scores is not None:
            if not isinstance(importance_scores, Tensor) or tuple(importance_scores.shape) != tuple(orig.shape):
                raise ValueError(f"importance_scores should have the same shape as parameter {name} of {module}: "
                                 f"expected {list(orig.shape)}, got "
                                 f"{list(getattr(importance_scores, 'shape', [])) or type(importance_scores).__name__}")
        else:
            importance_scores = orig
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if old is not None:
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                method = old
            else:
                container = PruningContainer(old)
                container.add_pruning_method(method)
                method = container
        if not isinstance(method, PruningContainer):
            module.register_parameter(name + "_orig", orig)
            delattr(module, name)
            default_mask = ones_like(orig.detach())
        else:
            default_mask = getattr(module, name + "_mask").detach().clone().contiguous()
        try:
            with no_grad():
                mask = method.compute_mask(importance_scores.detach(), default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            hooks = module._hook_store("_forward_pre_hooks")
            for k in keys:  # the old hook's place goes to the composed method
                del hooks[k]
            module._update_call_hooks()
            module.register_forward_pre_hook(method)
        except Exception:
            if not isinstance(method, PruningContainer):
                orig = getattr(module, name + "_orig")
                delattr(module, name + "_orig")
                if name in module.__dict__:
                    delattr(module, name)
                module.register_parameter(name, orig)
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """t with the mask computed from importance_scores (t itself when None) applied."""
        scores = t if importance_scores is None else importance_scores
        if tuple(scores.shape) != tuple(t.shape):
            raise ValueError("importance_scores should have the same shape as tensor t")
        default_mask = default_mask if default_mask is not None else ones_like(t.detach())
        with no_grad():
            mask = self.compute_mask(scores.detach(), default_mask=default_mask)
        return t * mask

    def remove(self, module):
        """Makes the pruning permanent: module.<name> becomes the Parameter name_orig
        holding the masked values; name_orig and name_mask go."""
        if self._tensor_name is None:
            raise RuntimeError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if self._tensor_name in module.__dict__:
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        with no_grad():
            orig.copy_(weight.detach())
        delattr(module, self._tensor_name + "_orig")
        delattr(module, self._tensor_name + "_mask")
        setattr(module, self._tensor_name, orig)


class PruningContainer(BasePruningMethod):
    """The pruning methods applied in turn to one parameter: each new one prunes only the
    entries (unstructured) or channels (structured) the earlier masks kept."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if len(args) == 1:  # one method: the container acts on its parameter
            self._tensor_name = getattr(args[0], "_tensor_name", None)
            self.add_pruning_method(args[0])
        else:
            for method in args:
                self.add_pruning_method(method)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError(f"Can only add pruning methods acting on the parameter named '{self._tensor_name}' to "
                             f"PruningContainer. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        mask = default_mask.to(dtype=t.dtype)
        if method.PRUNING_TYPE == "unstructured":
            keep = mask == 1
            part = method.compute_mask(t[keep], default_mask=mask[keep])
            mask[keep] = part.to(dtype=mask.dtype)
            return mask
        if method.PRUNING_TYPE == "structured":
            if not hasattr(method, "dim"):
                raise AttributeError("Pruning methods of PRUNING_TYPE 'structured' need to have the attribute `dim` "
                                     "defined.")
            n = t.dim()
            dim = method.dim + n if method.dim < 0 else method.dim
            if not 0 <= dim < n:
                raise IndexError(f"Index is out of bounds for tensor with dimensions {n}")
            others = [d for d in range(n) if d != dim]
            keep = (mask.sum(dim=others) != 0) if others else mask != 0
            slc = tuple(keep if d == dim else slice(None) for d in range(n))
            part = method.compute_mask(t[slc], default_mask=mask[slc])
            mask[slc] = part.to(dtype=mask.dtype)
            return mask
        if method.PRUNING_TYPE == "global":
            return method.compute_mask(t, default_mask=mask).to(dtype=mask.dtype)
        raise ValueError(f"Unrecognized PRUNING_TYPE {method.PRUNING_TYPE}")


# ---- amounts ----
def _check_amount(amount):
    if not isinstance(amount, numbers.Real) or isinstance(amount, bool):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    if (isinstance(amount, numbers.Integral) and amount < 0) or (
            not isinstance(amount, numbers.Integral) and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _n_to_prune(amount, size):
    n = amount if isinstance(amount, numbers.Integral) else round(amount * size)
    if n > size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={size}")
    return int(n)


def _structured_checks(t, dim):
    if t.dim() <= 1:
        raise ValueError(f"Structured pruning can only be applied to multidimensional tensors. Found tensor of shape "
                         f"{tuple(t.shape)} with {t.dim()} dims")
    if dim >= t.dim() or dim < -t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {tuple(t.shape)}")


def _channel_mask(t, dim, channels, default_mask):
    """Ones on the kept channels (indices or a bool mask along dim), times default_mask."""
    from ...tensor import zeros_like
    mask = zeros_like(t)
    slc = tuple(channels if d == dim % t.dim() else slice(None) for d in range(t.dim()))
    mask[slc] = 1
    return mask * default_mask.to(dtype=mask.dtype)


class Identity(BasePruningMethod):
    """Prunes nothing: the mask is all ones."""
    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _UnstructuredByScore(BasePruningMethod):
    """Prunes `amount` entries (an int, or a fraction of the entries): those whose score
    (_scores) is largest when `_largest`, else smallest."""
    PRUNING_TYPE = "unstructured"
    _largest = True

    def __init__(self, amount):
        _check_amount(amount)
        self.amount = amount

    def compute_mask(self, t, default_mask):
        from ...ops import topk
        k = _n_to_prune(self.amount, t.numel())
        mask = default_mask.clone().contiguous()
        if k:
            idx = topk(self._scores(t).reshape(-1), k, largest=self._largest).indices
            mask.view(-1)[idx] = 0
        return mask


class RandomUnstructured(_UnstructuredByScore):
    """Prunes `amount` entries chosen at random."""

    @staticmethod
    def _scores(t):
        from ...ops import rand_like
        return rand_like(t)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredByScore):
    """Prunes the `amount` entries of smallest absolute value."""
    _largest = False

    @staticmethod
    def _scores(t):
        return t.abs()

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` channels along dim, chosen at random."""
    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _check_amount(amount)
        self.amount, self.dim = amount, dim

    def compute_mask(self, t, default_mask):
        from ...ops import kthvalue, rand
        _structured_checks(t, self.dim)
        size = t.shape[self.dim]
        k = _n_to_prune(self.amount, size)
        if k == 0:
            return default_mask
        prob = rand(size, device=t.device)
        keep = prob > kthvalue(prob, k).values
        return _channel_mask(t, self.dim, keep, default_mask)

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along dim of smallest L`n` norm (n: an int, a float,
    inf, -inf, 'fro' or 'nuc', as fastdl.norm's p)."""
    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _check_amount(amount)
        self.amount, self.n, self.dim = amount, n, dim

    def compute_mask(self, t, default_mask):
        from ...ops import norm, topk
        _structured_checks(t, self.dim)
        size = t.shape[self.dim]
        k = _n_to_prune(self.amount, size)
        if k == 0:
            return default_mask
        dim = self.dim % t.dim()
        norms = norm(t, p=self.n, dim=[d for d in range(t.dim()) if d != dim])
        keep = topk(norms, size - k, largest=True).indices
        return _channel_mask(t, dim, keep, default_mask)

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given mask is 0."""
    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if tuple(default_mask.shape) != tuple(self.mask.shape):
            raise ValueError(f"custom_from_mask: the mask has shape {list(self.mask.shape)}, the parameter "
                             f"{list(default_mask.shape)}")
        return default_mask * self.mask.to(dtype=default_mask.dtype, device=default_mask.device)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


# ---- functions ----
def identity(module, name):
    """Prunes nothing, but sets module up as pruned (name_orig, name_mask of ones)."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prunes the (module, name) pairs of parameters as one vector: the method (an
    unstructured BasePruningMethod class) picks entries across all of them."""
    from ...ops import cat
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    parameters = list(parameters)
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    with no_grad():
        scores = cat([importance_scores.get((m, n), getattr(m, n)).detach().reshape(-1) for m, n in parameters])
        default = cat([getattr(m, n + "_mask", None).reshape(-1) if hasattr(m, n + "_mask")
                       else ones_like(getattr(m, n).detach()).reshape(-1) for m, n in parameters])
    container = PruningContainer()
    container._tensor_name = "temp"
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. Found method '
                        f'{pruning_method} of type {method.PRUNING_TYPE}')
    container.add_pruning_method(method)
    with no_grad():
        final = container.compute_mask(scores, default)
    start = 0
    for m, n in parameters:
        p = getattr(m, n)
        custom_from_mask(m, n, mask=final[start:start + p.numel()].reshape(p.shape))
        start += p.numel()


def custom_from_mask(module, name, mask):
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Makes the pruning of module.<name> permanent (see BasePruningMethod.remove)."""
    hooks = _pre_hooks(module)
    for k, hook in list(hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del hooks[k]
            module._update_call_hooks()
            return module
    raise ValueError(f"Parameter '{name}' of module {module} has to be pruned before pruning can be removed")


def is_pruned(module):
    """Whether module or one of its submodules has a pruning hook."""
    return any(isinstance(h, BasePruningMethod) for _, m in module.named_modules() for h in _pre_hooks(m).values())
