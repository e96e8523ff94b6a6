"""torch.autograd.Variable, the legacy alias: Variable(t, requires_grad=False) returns a
tensor (a leaf sharing t's memory), and isinstance(x, Variable) holds for every Tensor."""


class _VariableMeta(type):
    def __instancecheck__(cls, obj):
        from .tensor import Tensor
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    def __new__(cls, data=None, requires_grad=False, volatile=False):
        from .tensor import Tensor, tensor
        if data is None:
            data = tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        if volatile:
            import warnings
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          stacklevel=2)
        return data.detach().requires_grad_(bool(requires_grad))
