"""The recording session: while one is open (`current` is not None) the hooks of _hooks
call begin()/end() around each op; otherwise nothing of the profiler runs at all (the
hooks are not installed) and record_function checks `current` and returns.

Each thread keeps its own stack of open ranges, so a range's parent is the innermost
range open on its thread when it began and self time is total minus children."""
import threading
import time

from ._events import FunctionEvent

current = None  # the Session recording now (one at a time, as torch's profiler)
_lock = threading.Lock()


def _shape_of(a, Tensor):
    return list(a._shape) if isinstance(a, Tensor) else []


def _new_outputs(out, seen, Tensor):
    """{id(buffer): bytes} of the tensors an op returned in memory that is not in `seen`
    (its inputs' and its children's outputs: a view allocates nothing, and a child's
    allocation is counted once, in the child)."""
    outs = out if isinstance(out, (tuple, list)) else (out,)
    new = {}
    for o in outs:
        if isinstance(o, Tensor) and id(o._buf) not in seen:
            new[id(o._buf)] = o._dtype.itemsize * _numel(o._shape)
    return new


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


class Session:
    """One recording: the events, the options that say what each one keeps, the clock origin."""

    def __init__(self, record_shapes=False, profile_memory=False, with_stack=False, with_flops=False,
                 with_modules=False, sync_cuda=False):
        from ..tensor import Tensor
        self.Tensor = Tensor
        self.record_shapes, self.profile_memory = record_shapes, profile_memory
        self.with_stack, self.with_flops, self.with_modules = with_stack, with_flops, with_modules
        self.sync_cuda = sync_cuda
        self.events = []
        self.origin_ns = time.perf_counter_ns()
        self.tls = threading.local()
        self.module_ids = {}  # id(module) -> "nn.Module: Linear_0"
        self._next_id = 0
        self.stop_us = None

    def now_us(self):
        return (time.perf_counter_ns() - self.origin_ns) / 1000.0

    def _stack(self):
        s = getattr(self.tls, "stack", None)
        if s is None:
            s = self.tls.stack = []
        return s

    def begin(self, name, args=(), kwargs=None, category="cpu_op", user=False):
        stack = self._stack()
        shapes = None
        if self.record_shapes and args:
            T = self.Tensor
            shapes = [_shape_of(a, T) for a in args]
            if kwargs:
                shapes += [_shape_of(v, T) for v in kwargs.values()]
        with _lock:
            eid = self._next_id
            self._next_id += 1
        ev = FunctionEvent(eid, name, threading.get_ident(), self.now_us(), input_shapes=shapes,
                           stack=_python_stack() if self.with_stack else None, is_user_annotation=user,
                           category=category)
        if stack:
            ev.cpu_parent = stack[-1]
            stack[-1].cpu_children.append(ev)
        stack.append(ev)
        self.events.append(ev)  # list.append is atomic under the GIL
        return ev

    def end(self, ev, args=(), out=None):
        if self.sync_cuda:
            from .. import cuda
            cuda.synchronize()
        ev.time_range.end = self.now_us()
        stack = self._stack()
        # pop ev and anything left open inside it (an exception skipped their end)
        while stack:
            top = stack.pop()
            if top is ev:
                break
            if top.time_range.end is None:
                top.time_range.end = ev.time_range.end
        if self.profile_memory:
            ev.cpu_memory_usage = sum(c.cpu_memory_usage for c in ev.cpu_children)
            if out is not None:
                T = self.Tensor
                seen = {id(a._buf) for a in args if isinstance(a, T)}
                for c in ev.cpu_children:
                    seen.update(c.new_bufs)
                ev.new_bufs = _new_outputs(out, seen, T)
                ev.cpu_memory_usage += sum(ev.new_bufs.values())
        if self.with_flops and out is not None:
            from ._flops import flops
            ev.flops = flops(ev.name, args, out, self.Tensor)

    def finish(self):
        """Closes the ranges still open (their end is the stop) and returns the events."""
        self.stop_us = self.now_us()
        for ev in self.events:
            if ev.time_range.end is None:
                ev.time_range.end = self.stop_us
        return self.events


def _python_stack():
    """The user's frames (outside fastdl), innermost first, as torch's 'file(line): func'."""
    import sys
    out = []
    f = sys._getframe(2)
    while f is not None and len(out) < 16:
        fn = f.f_code.co_filename
        if "/fastdl/" not in fn.replace("\\", "/"):
            out.append(f"{fn}({f.f_lineno}): {f.f_code.co_name}")
        f = f.f_back
    return out


class record_function:
    """torch.profiler.record_function(name, args=None): a user range in the profile, as a
    context manager or a decorator; a no-op (one global read) when nothing records."""

    def __init__(self, name, args=None):
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        self.name, self.args = name, args
        self._ev = None
        self._session = None

    def __enter__(self):
        s = current
        if s is not None:
            self._session = s
            self._ev = s.begin(self.name, category="user_annotation", user=True)
        return self

    def __exit__(self, *exc):
        s, ev = self._session, self._ev
        self._session = self._ev = None
        if ev is not None and s is current:  # a session stopped meanwhile closed it
            s.end(ev)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper


def start(session):
    """Makes `session` the one recording and installs the hooks."""
    global current
    from . import _hooks
    with _lock:
        if current is not None:
            raise RuntimeError("Profiler is already enabled: fastdl records one profile at a time")
        current = session
    _hooks.install(session)


def stop(session):
    global current
    from . import _hooks
    with _lock:
        if current is not session:
            return None
        current = None
    _hooks.uninstall()
    return session.finish()
