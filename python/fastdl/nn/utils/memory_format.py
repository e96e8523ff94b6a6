"""nn.utils.convert_conv2d_weight_memory_format / convert_conv3d_weight_memory_format.
fastdl tensors have one memory format (the strides ops produce; no channels_last
kernels), so these return the module unchanged, which is what torch's do for a
memory_format the module already has."""


def convert_conv2d_weight_memory_format(module, memory_format):
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    return module


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
