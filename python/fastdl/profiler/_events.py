"""The profiler's results: FunctionEvent (one recorded range), FunctionEventAvg (the
events of one key summed) and EventList (a list with torch's table / key_averages /
export_chrome_trace). Times are microseconds, as in torch.autograd.profiler_util."""
import enum
import json
import os
from collections import OrderedDict


class DeviceType(enum.Enum):
    CPU = 0
    CUDA = 1


class Interval:
    def __init__(self, start, end):
        self.start, self.end = start, end

    def elapsed_us(self):
        return self.end - self.start


def _format_time(time_us):
    if time_us >= 1e6:
        return f"{time_us / 1e6:.3f}s"
    if time_us >= 1e3:
        return f"{time_us / 1e3:.3f}ms"
    return f"{time_us:.3f}us"


def _format_time_share(time_us, total_time_us):
    if total_time_us == 0:
        return "NaN"
    return f"{time_us * 100.0 / total_time_us:.2f}%"


def _format_memory(nbytes):
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if abs(nbytes) >= size:
            return f"{nbytes * 1.0 / size:.2f} {unit}"
    return f"{nbytes} B"


class _Common:
    """Fields and string forms FunctionEvent and FunctionEventAvg share (torch's names;
    the device columns stay 0: fastdl records host time only)."""
    device_time_total = self_device_time_total = 0
    device_memory_usage = self_device_memory_usage = 0
    is_async = False
    is_legacy = False
    is_user_annotation = False
    node_id = -1
    use_device = None
    overload_name = ""

    @property
    def cuda_time_total(self):
        return self.device_time_total

    @property
    def self_cuda_time_total(self):
        return self.self_device_time_total

    @property
    def cpu_time(self):
        return 0.0 if self.count == 0 else self.cpu_time_total / self.count

    @property
    def device_time(self):
        return 0.0

    cuda_time = device_time

    self_cpu_time_total_str = property(lambda self: _format_time(self.self_cpu_time_total))
    cpu_time_total_str = property(lambda self: _format_time(self.cpu_time_total))
    cpu_time_str = property(lambda self: _format_time(self.cpu_time))


class FunctionEvent(_Common):
    """One recorded range: an op, a backward node, a module forward, a record_function."""

    def __init__(self, id, name, thread, start_us, end_us=None, input_shapes=None, stack=None,
                 cpu_memory_usage=0, is_user_annotation=False, sequence_nr=-1, flops=0, category="cpu_op"):
        self.id, self.name, self.thread = id, name, thread
        self.time_range = Interval(start_us, end_us)
        self.input_shapes = input_shapes if input_shapes is not None else []
        self.stack = stack if stack is not None else []
        self.cpu_memory_usage = cpu_memory_usage
        self.is_user_annotation = is_user_annotation
        self.sequence_nr = sequence_nr
        self.flops = flops
        self.category = category
        self.cpu_children = []
        self.cpu_parent = None
        self.count = 1
        self.device_type = DeviceType.CPU
        self.kernels = []
        self.new_bufs = {}  # profile_memory: the buffers this op's own outputs allocated

    @property
    def key(self):
        return self.name

    @property
    def cpu_time_total(self):
        return self.time_range.elapsed_us()

    @property
    def self_cpu_time_total(self):
        # total minus the direct children's totals (theirs already include their own children)
        return self.cpu_time_total - sum(c.cpu_time_total for c in self.cpu_children)

    @property
    def self_cpu_memory_usage(self):
        return self.cpu_memory_usage - sum(c.cpu_memory_usage for c in self.cpu_children)

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} thread={self.thread} "
                f"cpu_time_total={self.cpu_time_total_str} self_cpu_time_total={self.self_cpu_time_total_str} "
                f"input_shapes={self.input_shapes} cpu_memory_usage={self.cpu_memory_usage}>")


class FunctionEventAvg(_Common):
    """The events of one key (and input shapes, when grouped by them) added together."""

    def __init__(self):
        self.key = None
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0
        self.cpu_memory_usage = self.self_cpu_memory_usage = 0
        self.input_shapes = None
        self.stack = None
        self.flops = 0
        self.cpu_parent = None
        self.device_type = DeviceType.CPU

    def add(self, other):
        if self.key is None:  # the first event sets the key and what goes with it
            self.key, self.input_shapes, self.stack = other.key, other.input_shapes, other.stack
            self.is_user_annotation = other.is_user_annotation
            self.cpu_parent = other.cpu_parent
        if other.key != self.key:
            raise AssertionError(f"FunctionEventAvg.add: key {other.key!r} != {self.key!r}")
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.flops += other.flops
        return self

    def __iadd__(self, other):
        return self.add(other)

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={self.self_cpu_time_total_str} "
                f"cpu_time={self.cpu_time_str} input_shapes={self.input_shapes} "
                f"cpu_memory_usage={self.cpu_memory_usage}>")


class EventList(list):
    """A list of events with torch's summaries."""

    def __init__(self, *args, profile_memory=False, with_flops=False, **kwargs):
        kwargs.pop("use_device", None)
        super().__init__(*args, **kwargs)
        self._profile_memory = profile_memory
        self._with_flops = with_flops

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes=False, group_by_stack_n=0, group_by_overload_name=False):
        stats = OrderedDict()
        for e in self:
            key = (e.key, str(e.input_shapes)) if group_by_input_shapes else (e.key,)
            if group_by_stack_n > 0:
                key += tuple(e.stack[:group_by_stack_n])
            stats.setdefault(key, FunctionEventAvg()).add(e)
        out = EventList(stats.values(), profile_memory=self._profile_memory, with_flops=self._with_flops)
        for avg in out:
            avg.stack = (avg.stack or [])[:group_by_stack_n]
            if not group_by_input_shapes:
                avg.input_shapes = ""  # torch blanks them when not grouping by them
        return out

    def total_average(self):
        total = FunctionEventAvg()
        for e in self:
            total.count += e.count
            total.cpu_time_total += e.cpu_time_total
            total.self_cpu_time_total += e.self_cpu_time_total
            total.cpu_memory_usage += e.cpu_memory_usage
            total.self_cpu_memory_usage += e.self_cpu_memory_usage
        total.key = "Total"
        return total

    def table(self, sort_by=None, row_limit=100, max_src_column_width=75, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False, time_unit=None):
        from ._table import build_table
        return build_table(self, sort_by=sort_by, header=header, row_limit=row_limit,
                           max_name_column_width=max_name_column_width,
                           max_shapes_column_width=max_shapes_column_width, with_flops=self._with_flops,
                           profile_memory=self._profile_memory, top_level_events_only=top_level_events_only,
                           time_unit=time_unit)

    def __str__(self):
        return self.table()

    def export_chrome_trace(self, path):
        """Writes the events as Chrome trace JSON (chrome://tracing, Perfetto): one complete
        ("X") event per range, ts and dur in microseconds."""
        pid = os.getpid()
        events = []
        for e in self:
            if not isinstance(e, FunctionEvent):
                raise TypeError("export_chrome_trace: needs the raw events, not key_averages()")
            args = {"External id": e.id}
            if e.input_shapes:
                args["Input Dims"] = e.input_shapes
            if e.sequence_nr >= 0:
                args["Sequence number"] = e.sequence_nr
            if e.flops:
                args["flops"] = e.flops
            events.append({"ph": "X", "cat": e.category, "name": e.name, "pid": pid, "tid": e.thread,
                           "ts": e.time_range.start, "dur": e.cpu_time_total, "args": args})
        trace = {"schemaVersion": 1, "deviceProperties": [], "traceEvents": events, "displayTimeUnit": "ms",
                 "traceName": str(path)}
        opener = open
        if str(path).endswith(".gz"):
            import gzip
            opener = gzip.open
        with opener(path, "wt") as f:
            json.dump(trace, f)
        return path
