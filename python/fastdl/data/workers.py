"""DataLoader workers (num_workers > 0): threads that load batches ahead of the training
loop, in order.

Threads, not processes as in torch: datasets and their samples need no pickling, and a
worker shares the model's process. They overlap loading with training where loading
waits or leaves the GIL (file reads, decoding, most NumPy array work); pure-Python
sample code, and fastdl's CPU kernels (which keep the GIL), run one thread at a time. Inside a worker, get_worker_info() tells the dataset which
worker it runs in (id, num_workers, seed, dataset), as torch's does.
"""
import collections
import concurrent.futures
import itertools
import queue
import threading

__all__ = ["WorkerInfo", "get_worker_info"]

WorkerInfo = collections.namedtuple("WorkerInfo", "id num_workers seed dataset")
_local = threading.local()


def get_worker_info():
    """The WorkerInfo of the DataLoader worker this runs in, or None outside workers."""
    return getattr(_local, "info", None)


def _start_worker(info, worker_init_fn):
    _local.info = info
    if worker_init_fn is not None:
        worker_init_fn(info.id)


def _result(future, timeout):
    try:
        return future.result(timeout=timeout or None)
    except concurrent.futures.TimeoutError:
        raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None


class MapWorkers:
    """A pool loading index batches with `fetch`; batches come back in their order, at
    most num_workers * prefetch_factor in flight."""

    def __init__(self, num_workers, dataset, base_seed, worker_init_fn):
        ids = itertools.count()

        def start():
            i = next(ids)
            _start_worker(WorkerInfo(i, num_workers, base_seed + i, dataset), worker_init_fn)
        self._pool = concurrent.futures.ThreadPoolExecutor(num_workers, thread_name_prefix="fastdl-data",
                                                           initializer=start)
        self._window = num_workers

    def run(self, fetch, index_batches, prefetch_factor, timeout, in_order=True):
        pending = collections.deque()
        batches = iter(index_batches)
        try:
            for indices in itertools.islice(batches, self._window * prefetch_factor):
                pending.append(self._pool.submit(fetch, indices))
            while pending:
                if in_order:
                    batch = _result(pending.popleft(), timeout)
                else:  # the first batch any worker finishes (torch's in_order=False)
                    done, _ = concurrent.futures.wait(pending, timeout=timeout or None,
                                                      return_when=concurrent.futures.FIRST_COMPLETED)
                    if not done:
                        raise RuntimeError(f"DataLoader timed out after {timeout} seconds")
                    first = next(f for f in pending if f in done)
                    pending.remove(first)
                    batch = first.result()
                for indices in itertools.islice(batches, 1):
                    pending.append(self._pool.submit(fetch, indices))
                yield batch
        finally:
            for f in pending:
                f.cancel()

    def close(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


_DONE = object()


def iterable_batches(num_workers, dataset, base_seed, worker_init_fn, make_batches, prefetch_factor, timeout):
    """Batches of an IterableDataset from num_workers threads, each running its own
    make_batches() (one iterator over the dataset), taken from the workers in turn as
    torch does; a worker whose stream ends drops out."""
    stop = threading.Event()
    queues = [queue.Queue(prefetch_factor) for _ in range(num_workers)]

    def put(q, item):
        while not stop.is_set():
            try:
                return q.put(item, timeout=0.05)
            except queue.Full:
                continue

    def work(i):
        try:
            _start_worker(WorkerInfo(i, num_workers, base_seed + i, dataset), worker_init_fn)
            for batch in make_batches():
                if stop.is_set():
                    return
                put(queues[i], (True, batch))
            put(queues[i], (True, _DONE))
        except BaseException as e:  # handed to the consumer, raised there
            put(queues[i], (False, e))

    threads = [threading.Thread(target=work, args=(i,), name=f"fastdl-data-{i}", daemon=True)
               for i in range(num_workers)]
    for t in threads:
        t.start()
    try:
        live = list(range(num_workers))
        while live:
            for i in list(live):
                try:
                    ok, item = queues[i].get(timeout=timeout or None)
                except queue.Empty:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds") from None
                if not ok:
                    raise item
                if item is _DONE:
                    live.remove(i)
                    continue
                yield item
    finally:
        stop.set()
