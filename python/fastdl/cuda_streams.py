"""fastdl.cuda's streams and events.

Every fastdl kernel runs on its device's default stream, in the order Python issues it.
A `Stream` is therefore that default stream under another name: work "on" a side stream
still runs, in issue order, on the default one. That is always a correct schedule (a
stream only permits overlap, it never requires it), so code written for several streams
gets its results; it does not get the overlap. Waits between streams are satisfied by
construction and return at once. `Event`s are real CUDA events recorded on the default
stream: `elapsed_time` measures the GPU time between two of them.
"""
import contextlib

from . import _C

__all__ = ["Stream", "Event", "StreamContext", "stream", "current_stream", "default_stream", "set_stream"]


def _cuda():
    from . import cuda
    return cuda


class Stream:
    """torch.cuda.Stream: here, the device's default stream (see the module docstring)."""

    def __init__(self, device=None, priority=0, **kwargs):
        cuda = _cuda()
        cuda._require("fastdl.cuda.Stream")
        index = cuda._index(device, "Stream")
        self.device_index = index if index >= 0 else cuda.current_device()
        self.priority = priority
        self.cuda_stream = 0  # the legacy default stream's handle

    @property
    def device(self):
        from .device import device
        return device(f"cuda:{self.device_index}")

    def synchronize(self):
        _cuda().synchronize(self.device_index)

    def query(self):
        """True when all work queued on the stream has finished."""
        e = Event()
        e.record(self)
        return e.query()

    def wait_event(self, event):
        pass  # the event was recorded on this same stream, earlier in issue order

    def wait_stream(self, stream):
        pass  # one stream: everything queued before is already ahead of what follows

    def record_event(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and other.device_index == self.device_index

    def __hash__(self):
        return hash(("cuda-stream", self.device_index))

    def __repr__(self):
        return f"<fastdl.cuda.Stream device=cuda:{self.device_index} cuda_stream=0x0 (default stream)>"


class Event:
    """torch.cuda.Event: a CUDA event on the default stream. `enable_timing=True` makes
    elapsed_time available; blocking / interprocess are accepted (synchronize waits
    the same way either way; fastdl shares no events across processes)."""

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if interprocess:
            raise NotImplementedError("fastdl.cuda.Event: interprocess events are not supported")
        self.enable_timing = bool(enable_timing)
        self._handle = None  # created on first record, on the current device (as torch's)

    def record(self, stream=None):
        if self._handle is None:
            _cuda()._require("fastdl.cuda.Event.record")
            self._handle = _C.cuda.event_create(self.enable_timing)
        _C.cuda.event_record(self._handle)

    def wait(self, stream=None):
        pass  # see Stream.wait_event

    def query(self):
        return True if self._handle is None else bool(_C.cuda.event_query(self._handle))

    def synchronize(self):
        if self._handle is not None:
            _C.cuda.event_synchronize(self._handle)

    def elapsed_time(self, end_event):
        """Milliseconds of GPU time between this event's record and end_event's."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Event.elapsed_time: both events must be created with enable_timing=True")
        if self._handle is None or end_event._handle is None:
            raise RuntimeError("Event.elapsed_time: both events must be recorded first")
        return float(_C.cuda.event_elapsed_ms(self._handle, end_event._handle))

    def __del__(self):
        handle, self._handle = getattr(self, "_handle", None), None
        if handle is not None and _C is not None:
            _C.cuda.event_destroy(handle)

    def __repr__(self):
        return f"<fastdl.cuda.Event enable_timing={self.enable_timing} recorded={self._handle is not None}>"


_current = {}  # device index -> the Stream set by set_stream / stream()


def current_stream(device=None):
    cuda = _cuda()
    index = cuda._index(device, "current_stream")
    index = index if index >= 0 else cuda.current_device()
    return _current.get(index) or Stream(index)


def default_stream(device=None):
    cuda = _cuda()
    index = cuda._index(device, "default_stream")
    return Stream(index if index >= 0 else cuda.current_device())


def set_stream(stream):
    if stream is not None:
        _current[stream.device_index] = stream


class StreamContext(contextlib.AbstractContextManager):
    """Makes `stream` the current stream in the block (None: a no-op)."""

    def __init__(self, stream):
        self.stream, self.prev = stream, None

    def __enter__(self):
        if self.stream is not None:
            self.prev = _current.get(self.stream.device_index)
            set_stream(self.stream)
        return self.stream

    def __exit__(self, *exc):
        if self.stream is not None:
            if self.prev is None:
                _current.pop(self.stream.device_index, None)
            else:
                _current[self.stream.device_index] = self.prev
        return False


def stream(stream):
    return StreamContext(stream)
