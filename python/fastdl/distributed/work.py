"""The handle an async_op=True collective returns. With one process every collective
has finished when it returns, so Work is complete from the start and wait() returns
at once; get_future() gives a completed Future over the same result."""

__all__ = ["Work", "Future"]


class Future:
    """A completed torch.futures.Future: value() / wait() give the result, then(fn) runs
    fn(self) now and wraps its return value (or exception) in a new Future."""

    def __init__(self, value=None, exception=None):
        self._value, self._exception = value, exception

    def done(self):
        return True

    def value(self):
        if self._exception is not None:
            raise self._exception
        return self._value

    def wait(self):
        return self.value()

    def then(self, callback):
        try:
            return Future(callback(self))
        except Exception as e:  # torch stores the callback's error in the returned future
            return Future(exception=e)

    def add_done_callback(self, callback):
        callback(self)

    def set_result(self, result):
        self._value = result

    def set_exception(self, result):
        self._exception = result


class Work:
    """torch.distributed.Work of a finished collective over `tensors` (its result())."""

    def __init__(self, tensors=(), source_rank=0):
        self._tensors, self._source_rank = list(tensors), source_rank

    def wait(self, timeout=None):
        return True

    def is_completed(self):
        return True

    def is_success(self):
        return True

    def exception(self):
        return None

    def result(self):
        return list(self._tensors)

    def source_rank(self):
        return self._source_rank

    def synchronize(self):
        return None

    def get_future(self):
        return Future(list(self._tensors))

    def __repr__(self):
        return "Work(completed=True)"
