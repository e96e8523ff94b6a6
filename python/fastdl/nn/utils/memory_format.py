"""nn.utils.convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format:
the weights of every Conv / ConvTranspose module of the dimensionality, recursively,
re-laid out in the memory format (fastdl._memory_format), as torch's do."""


def _convert(module, memory_format, classes):
    from ... import _memory_format as _mf
    from ...autograd import no_grad
    if isinstance(module, classes):  # torch checks the format only where a weight is converted
        _mf.check_format("convert_conv_weight_memory_format", memory_format)
        with no_grad():
            w = module.weight.detach().clone(memory_format=memory_format)
        p = module.weight  # the Parameter keeps its identity (optimizers hold it)
        p._buf, p._shape, p._strides, p._offset = w._buf, w._shape, w._strides, w._offset
    for child in module.children():
        _convert(child, memory_format, classes)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    from .. import Conv2d, ConvTranspose2d
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    from .. import Conv3d, ConvTranspose3d
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
