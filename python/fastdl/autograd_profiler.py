"""torch.autograd.profiler (fastdl.autograd.profiler): the older profiler API over the same
recorder and events as fastdl.profiler."""
from .profiler import _record
from .profiler._events import EventList, FunctionEvent, FunctionEventAvg, DeviceType  # noqa: F401
from .profiler._events import _format_time as format_time  # noqa: F401
from .profiler._record import record_function

__all__ = ["profile", "record_function", "emit_nvtx", "emit_itt", "EventList", "FunctionEvent",
           "FunctionEventAvg"]


class profile:
    """torch.autograd.profiler.profile: records while the `with` block runs; then
    function_events, key_averages(), table(), export_chrome_trace() and total_average().
    use_cuda / use_device='cuda': op times include their device work where CUDA is available."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=False, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        if use_device is not None and use_device not in ("cuda", "cpu"):
            raise ValueError(f"profile: use_device must be 'cuda' or None, got {use_device!r}")
        self.enabled = bool(enabled)
        self.use_cuda = bool(use_cuda) or use_device == "cuda"
        self.use_device = "cuda" if self.use_cuda else None
        self.record_shapes, self.with_flops, self.profile_memory = record_shapes, with_flops, profile_memory
        self.with_stack, self.with_modules = with_stack, with_modules
        self.function_events = None
        self._session = None
        self.entered = False

    def __enter__(self):
        if not self.enabled:
            return self
        if self.entered:
            raise RuntimeError("Profiler context manager is not reentrant")
        self.entered = True
        sync = False
        if self.use_cuda:
            from . import cuda
            sync = cuda.is_available()
        self._session = _record.Session(self.record_shapes, self.profile_memory, self.with_stack, self.with_flops,
                                        self.with_modules, sync)
        _record.start(self._session)
        return self

    def __exit__(self, *exc):
        if not self.enabled:
            return False
        events = _record.stop(self._session)
        self.function_events = EventList(events or [], profile_memory=self.profile_memory,
                                         with_flops=self.with_flops)
        return False

    def _check_finish(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def __repr__(self):
        return "<unfinished torch.autograd.profile>" if self.function_events is None else repr(self.function_events)

    def __str__(self):
        return "<unfinished torch.autograd.profile>" if self.function_events is None else str(self.function_events)

    def events(self):
        self._check_finish()
        return self.function_events

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        self._check_finish()
        return self.function_events.table(sort_by=sort_by, row_limit=row_limit,
                                          max_src_column_width=max_src_column_width,
                                          max_name_column_width=max_name_column_width,
                                          max_shapes_column_width=max_shapes_column_width, header=header,
                                          top_level_events_only=top_level_events_only, time_unit=time_unit)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0, group_by_overload_name=False):
        self._check_finish()
        return self.function_events.key_averages(group_by_input_shape, group_by_stack_n, group_by_overload_name)

    def total_average(self):
        self._check_finish()
        return self.function_events.total_average()

    def export_chrome_trace(self, path):
        self._check_finish()
        return self.function_events.export_chrome_trace(path)

    @property
    def self_cpu_time_total(self):
        self._check_finish()
        return self.function_events.self_cpu_time_total


class emit_nvtx:
    """torch.autograd.profiler.emit_nvtx: in torch, NVTX ranges for nvprof / Nsight. fastdl
    emits none (it has no NVTX binding): a context manager that does nothing, so code
    written for it runs unchanged."""

    def __init__(self, enabled=True, record_shapes=False):
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class emit_itt(emit_nvtx):
    """torch.autograd.profiler.emit_itt (Intel VTune ranges): a no-op in fastdl, as emit_nvtx."""
