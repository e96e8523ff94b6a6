"""fastdl.onnx: the names of torch.onnx, so that a script that imports torch.onnx for an
optional export step runs. fastdl cannot write ONNX: export() raises, naming itself."""

__all__ = ["export", "is_in_onnx_export"]


def export(model, args=(), f=None, *unused_args, **unused_kwargs):
    raise NotImplementedError("fastdl.onnx.export: fastdl cannot export ONNX graphs "
                              f"(asked to export {type(model).__name__} to {f!r})")


def is_in_onnx_export():
    return False
