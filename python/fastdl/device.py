"""Devices: 'cpu' and 'cuda[:N]'."""

__all__ = ["device"]


class device:
    __slots__ = ("type", "index")

    def __init__(self, spec, index=None):
        if isinstance(spec, device):
            self.type, self.index = spec.type, spec.index
            return
        if not isinstance(spec, str):
            raise TypeError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
        name, _, idx = spec.partition(":")
        if name not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {name!r}; expected 'cpu' or 'cuda'")
        if idx:
            if not idx.isdigit():
                raise ValueError(f"device: bad device index in {spec!r}")
            index = int(idx)
        if name == "cpu":
            index = None
        elif index is None:
            index = 0
        self.type, self.index = name, index

    @property
    def code(self):  # matches fastdl::DeviceType
        return 0 if self.type == "cpu" else 1

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else f"device(type='{self.type}', index={self.index})"


CPU = device("cpu")
_default = [CPU]  # fastdl.set_default_device's device: what a creation function without device= uses


def to_device(d):
    if d is None:
        return _default[0]
    return d if isinstance(d, device) else device(d)
