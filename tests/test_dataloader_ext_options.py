"""DataLoader's multiprocessing_context / in_order / pin_memory_device options and
check_worker_number_rationality (data/loader_options.py), against torch's messages."""
import multiprocessing
import os
import threading
import warnings

import pytest

import fastdl
from fastdl.utils.data import DataLoader


def _ncpu():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def option_errors(lib):
    DL = lib.utils.data.DataLoader
    out = []
    for kwargs in [dict(num_workers=0, multiprocessing_context="spawn"), dict(num_workers=1, multiprocessing_context="x"),
                   dict(num_workers=1, multiprocessing_context=3)]:
        try:
            DL(list(range(4)), **kwargs)
        except (ValueError, TypeError) as e:
            out.append((type(e).__name__, str(e)))
    dl = DL(list(range(4)), num_workers=1, multiprocessing_context="spawn")
    out.append(isinstance(dl.multiprocessing_context, multiprocessing.context.BaseContext))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        DL(list(range(4)), num_workers=_ncpu() + 1)
    out.append([str(x.message) for x in w])
    return out


def test_option_errors_and_warning_match_torch():
    torch = pytest.importorskip("torch")
    assert option_errors(fastdl) == option_errors(torch)


def test_option_errors_exact():
    out = option_errors(fastdl)
    assert out[0] == ("ValueError", "multiprocessing_context can only be used with multi-process loading "
                                    "(num_workers > 0), but got num_workers=0")
    assert out[1][0] == "ValueError" and "should specify a valid start method" in out[1][1]
    assert out[2] == ("TypeError", "multiprocessing_context option should be a valid context object or a string "
                                   "specifying the start method, but got multiprocessing_context=3")
    assert out[3] is True
    assert len(out[4]) == 1 and out[4][0].startswith(f"This DataLoader will create {_ncpu() + 1} worker processes")


def test_pin_memory_device_warns_and_is_ignored():
    dl = DataLoader(list(range(4)), batch_size=2, pin_memory=True, pin_memory_device="cuda")
    with pytest.warns(UserWarning, match="pin_memory_device is deprecated"):
        batches = [b.tolist() for b in dl]
    assert batches == [[0, 1], [2, 3]] and dl.pin_memory_device == "cuda"


class _Gated:
    """Item 0 waits until item 2 is fetched; with two workers and prefetch_factor=1 item
    2 is requested only once a batch was handed out, so only out-of-order delivery (item
    1 first) gets there."""

    def __init__(self):
        self.two_started = threading.Event()

    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 0:
            assert self.two_started.wait(5)
        if i == 2:
            self.two_started.set()
        return i


def test_in_order_false_yields_ready_batches_first():
    ds = _Gated()
    got = [int(b) for b in DataLoader(ds, batch_size=None, num_workers=2, prefetch_factor=1, in_order=False)]
    assert sorted(got) == [0, 1, 2, 3] and got[0] == 1
    assert [int(b) for b in DataLoader(list(range(6)), batch_size=None, num_workers=2)] == list(range(6))
    assert DataLoader(list(range(3))).in_order is True
