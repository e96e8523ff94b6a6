"""Sequential, ModuleList and ModuleDict: modules that hold modules, registered as
children under the names PyTorch uses ("0", "1", ... or the given keys)."""
import operator
from collections import OrderedDict

from ..functional.linear import linear_activation
from ..module import Module
from .activation import ReLU, Sigmoid, Tanh
from .linear import Linear

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


# Exact types only: a subclass may override forward.
_FUSABLE = {ReLU: "relu", Tanh: "tanh", Sigmoid: "sigmoid"}


def _renumber(mod, modules=None):
    """Keys "0".."n-1" again for `modules` (default: the current children), in order."""
    modules = list(mod._modules.values()) if modules is None else modules
    mod._replace_modules((str(i), m) for i, m in enumerate(modules))


def _check_module(owner, module):
    if not isinstance(module, Module):
        raise TypeError(f"{owner}: {type(module).__name__} is not a Module subclass")


def _abs_index(owner, idx, size):
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"{owner}: index {idx} is out of range")
    return idx % size


def _addindent(s, n):
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    return lines[0] + "\n" + "\n".join(" " * n + line for line in lines[1:])


class Sequential(Module):
    """Runs its modules in order, each on the previous one's output.
    Sequential(m0, m1, ...) names them "0", "1", ...; Sequential(OrderedDict) keeps the keys.
    A Linear followed by ReLU, Tanh or Sigmoid runs as one op (F.linear_activation: the
    activation is the GEMM's epilogue), with bit-identical results; the output's grad_fn
    is then the fused op's."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def _key(self, idx):
        return list(self._modules.keys())[_abs_index("Sequential", idx, len(self._modules))]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module):
        _check_module("Sequential", module)
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx):
        keys = list(self._modules.keys())[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        _renumber(self)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"Sequential: can only add another Sequential, got {type(other).__name__}")
        out = Sequential()
        for m in list(self) + list(other):
            out.append(m)
        return out

    def append(self, module):
        _check_module("Sequential", module)
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        _check_module("Sequential", module)
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Sequential: index {index} is out of range")
        index = index + n if index < 0 else index
        items = list(self._modules.values())
        items.insert(index, module)
        _renumber(self, items)
        return self

    def pop(self, idx):
        m = self[idx]
        del self[idx]
        return m

    def forward(self, input):
        modules = list(self._modules.values())
        i, n = 0, len(modules)
        while i < n:
            module = modules[i]
            if i + 1 < n and type(module) is Linear:
                activation = _FUSABLE.get(type(modules[i + 1]))
                # fused, neither module's __call__ runs: not when either has hooks
                if activation and module._call_hooks is None and modules[i + 1]._call_hooks is None:
                    input = linear_activation(input, module.weight, module.bias, activation)
                    i += 2
                    continue
            input = module(input)
            i += 1
        return input


class ModuleList(Module):
    """A list of modules whose parameters belong to the owner (no forward of its own)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _key(self, idx):
        return str(_abs_index("ModuleList", idx, len(self._modules)))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module):
        _check_module("ModuleList", module)
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx):
        keys = [str(k) for k in range(len(self._modules))[idx]] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        _renumber(self)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        _check_module("ModuleList", module)
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError(f"ModuleList.extend should be called with an iterable of modules, got "
                            f"{type(modules).__name__}")
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        _check_module("ModuleList", module)
        items = list(self._modules.values())
        items.insert(index, module)
        _renumber(self, items)

    def pop(self, idx):
        m = self[idx]
        del self[idx]
        return m

    def __repr__(self):
        # PyTorch compresses runs of identical entries: "(0-2): 3 x Linear(...)"
        reprs = [repr(m) for m in self]
        if not reprs:
            return type(self).__name__ + "()"
        runs = []  # [start, end, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2) for a, b, r in runs]
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """An ordered dict of modules registered under their keys."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        _check_module("ModuleDict", module)
        self.add_module(key, module)

    def __delitem__(self, key):
        if key not in self._modules:
            raise KeyError(key)
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def clear(self):
        self._replace_modules([])

    def pop(self, key):
        m = self[key]
        del self[key]
        return m

    def keys(self):
        return self._modules.keys()

    def items(self):
        return self._modules.items()

    def values(self):
        return self._modules.values()

    def update(self, modules):
        pairs = modules.items() if hasattr(modules, "items") else modules
        for j, pair in enumerate(pairs):
            if len(pair) != 2:
                raise ValueError(f"ModuleDict.update: element #{j} should have length 2, got {len(pair)}")
            self[pair[0]] = pair[1]
