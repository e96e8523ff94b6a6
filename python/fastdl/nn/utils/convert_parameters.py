"""torch.nn.utils.parameters_to_vector / vector_to_parameters: all parameters as one
flat vector, and back."""
from ...ops import cat
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(op, param, device):
    if not isinstance(param, Tensor):
        raise TypeError(f"{op}: expected tensors, got {type(param).__name__}")
    if device is not None and param.device != device:
        raise TypeError("Found two parameters on different devices, this is currently not supported.")
    return param.device


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated (differentiable, like torch's)."""
    device, vec = None, []
    for p in parameters:
        device = _check_device("parameters_to_vector", p, device)
        vec.append(p.reshape(-1))
    if not vec:
        raise RuntimeError("parameters_to_vector: expected a non-empty list of parameters")
    return cat(vec)


def vector_to_parameters(vec, parameters):
    """Makes each parameter (in order) view its slice of vec (param.data = ...)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    device, total = None, 0
    for p in params:
        device = _check_device("vector_to_parameters", p, device)
        total += p.numel()
    if vec.ndim != 1 or vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: expected a 1-D vector of {total} elements (the parameters' "
                           f"total), got shape {list(vec.shape)}")
    pointer = 0
    for p in params:
        n = p.numel()
        p.data = vec[pointer:pointer + n].reshape(tuple(p.shape)).detach().to(dtype=p.dtype)
        pointer += n
