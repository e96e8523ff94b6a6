"""torch.nn.parallel.data_parallel: the functional DataParallel. fastdl runs on one
device, so there is nothing to scatter or gather: it calls the module on the inputs
(after torch's check that the module lives on one device)."""
from itertools import chain

__all__ = ["data_parallel"]


def data_parallel(module, inputs, device_ids=None, output_device=None, dim=0, module_kwargs=None):
    if not isinstance(inputs, tuple):
        inputs = (inputs,) if inputs is not None else ()
    devices = {t.device for t in chain(module.parameters(), module.buffers())}
    if len(devices) > 1:
        raise RuntimeError(f"data_parallel: module must have its parameters and buffers on one device, found "
                           f"{sorted(str(d) for d in devices)}")
    return module(*inputs, **(module_kwargs or {}))
