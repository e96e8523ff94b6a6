"""DataLoader options that torch's loader has and fastdl's thread workers treat as
follows (torch/utils/data/dataloader.py):
- multiprocessing_context: validated as torch validates it (a start method name or a
  multiprocessing context, only with num_workers > 0) and kept on the loader; fastdl's
  workers are threads (data/workers.py), so no process is started from it.
- pin_memory_device: deprecated in torch, which warns and ignores it when pin_memory is
  set; fastdl does the same. pin_memory without CUDA warns as torch warns without an
  accelerator.
- in_order=False: map-style batches come out as the workers finish them (torch's
  out-of-order delivery); an IterableDataset's batches are taken from the workers in turn
  either way.
- check_worker_number_rationality: torch's warning when num_workers exceeds the CPUs this
  process may use (os.sched_getaffinity)."""
import multiprocessing
import os
import warnings


def check_multiprocessing_context(context, num_workers):
    if context is None:
        return None
    if num_workers <= 0:
        raise ValueError("multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                         f"but got num_workers={num_workers}")
    if isinstance(context, str):
        valid = multiprocessing.get_all_start_methods()
        if context not in valid:
            raise ValueError(f"multiprocessing_context option should specify a valid start method in {valid!r}, "
                             f"but got multiprocessing_context={context!r}")
        context = multiprocessing.get_context(context)
    if not isinstance(context, multiprocessing.context.BaseContext):
        raise TypeError("multiprocessing_context option should be a valid context object or a string specifying "
                        f"the start method, but got multiprocessing_context={context}")
    return context


def cpu_count():
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


def check_worker_number_rationality(num_workers):
    if not num_workers:
        return
    suggest = cpu_count()
    if suggest is None or num_workers > suggest:
        if suggest is not None:
            cpuset = "" if hasattr(os, "sched_getaffinity") else " (`cpuset` is not taken into account)"
            suggested = (f"Our suggested max number of worker in current system is {suggest}{cpuset}, which is "
                         "smaller than what this DataLoader is going to create.")
        else:
            suggested = "DataLoader is not able to compute a suggested max number of worker in current system."
        warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. {suggested} Please be "
                      "aware that excessive worker creation might get DataLoader running slow or even freeze, lower "
                      "the worker number to avoid potential slowness/freeze if necessary.", stacklevel=3)


def warn_pin_memory(pin_memory, pin_memory_device):
    """The warnings torch's iterator gives when it is created."""
    if pin_memory and pin_memory_device:
        warnings.warn("pin_memory_device is deprecated, the current accelerator will be used as the device,"
                      f"ignore pin_memory_device='{pin_memory_device}'.", stacklevel=3)
    if pin_memory:
        from .. import cuda
        if not cuda.is_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", stacklevel=3)
