"""fastdl.utils.benchmark: Timer statistics on a known sleep (loose bounds: never a speed
claim), thread count set and restored, Measurement's repr / statistics, Compare's table."""
import re
import time

import pytest

import fastdl
from fastdl.utils import benchmark
from fastdl.utils.benchmark import Compare, Measurement, TaskSpec, Timer


def test_timeit_on_a_sleep():
    m = Timer("time.sleep(0.002)", globals={"time": time}).timeit(5)
    assert isinstance(m, Measurement) and m.number_per_run == 5 and len(m.raw_times) == 1
    assert m.times == [m.raw_times[0] / 5]
    assert 0.002 <= m.median < 0.1 and m.mean == m.median and m.iqr == 0


def test_blocked_autorange_on_a_sleep():
    m = Timer("time.sleep(0.001)", setup="import time", label="sleep").blocked_autorange(min_run_time=0.05)
    assert sum(m.raw_times) >= 0.05
    assert all(t >= 0.001 for t in m.times) and m.median >= 0.001 and m.mean >= 0.001
    assert m.number_per_run >= 1 and len(m.times) == len(m.raw_times)
    assert m.iqr >= 0 and m.label == "sleep" and m.stmt == "time.sleep(0.001)"


def test_adaptive_autorange_stops():
    m = Timer("time.sleep(0.001)", globals={"time": time}).adaptive_autorange(min_run_time=0.01, max_run_time=0.3)
    assert len(m.times) >= 1 and m.median >= 0.001
    assert sum(m.raw_times) < 2.0  # max_run_time ends it (one block may run past)


def test_statistics_on_known_times():
    spec = TaskSpec(stmt="x", setup="pass")
    m = Measurement(number_per_run=2, raw_times=[2.0, 4.0, 6.0, 8.0, 10.0], task_spec=spec)
    assert m.times == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert m.median == 3.0 and m.mean == 3.0 and m.iqr == pytest.approx(2.0)  # quantiles 2 and 4
    assert m.has_warnings and not m.meets_confidence(0.1)


def test_statistics_match_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.benchmark.utils.common import Measurement as TM, TaskSpec as TS
    raw = [1.3e-5, 1.1e-5, 1.7e-5, 1.2e-5, 1.25e-5, 3.0e-5]
    ours = Measurement(10, raw, TaskSpec("a * b", "pass", label="L", description="d"))
    theirs = TM(10, raw, TS("a * b", "pass", label="L", description="d"))
    for attr in ("median", "mean", "iqr", "significant_figures", "has_warnings"):
        assert getattr(ours, attr) == pytest.approx(getattr(theirs, attr)), attr
    strip = lambda r: r.split("\n", 1)[1]  # noqa: E731  (the first line names the class and address)
    assert strip(repr(ours)) == strip(repr(theirs))


def test_num_threads_set_for_the_run_and_restored():
    before = fastdl.get_num_threads()
    seen = []
    m = Timer("seen.append(fastdl.get_num_threads())", globals={"seen": seen}, num_threads=1).timeit(3)
    assert set(seen) == {1} and fastdl.get_num_threads() == before
    assert "1 thread" in repr(m)
    with pytest.raises(ValueError, match="num_threads"):
        Timer("pass", num_threads=0)
    with pytest.raises(ValueError, match="str"):
        Timer(lambda: None)


def test_timer_globals_have_fastdl_as_torch():
    m = Timer("torch.ones(2) * b", setup="b = torch.ones(2)").timeit(10)
    assert m.median > 0


def test_repr_layout():
    m = Measurement(100, [1e-4] * 8, TaskSpec("a + b", "a = 1", label="add", sub_label="ints", num_threads=2))
    lines = repr(m).splitlines()
    assert re.match(r"<fastdl\.utils\.benchmark\.Measurement object at 0x[0-9a-f]+>", lines[0])
    assert lines[1:] == ["add: ints", "setup: a = 1", "  Median: 1.00 us", "  IQR:    0.00 us (1.00 to 1.00)",
                         "  8 measurements, 100 runs per measurement, 2 threads"]


def test_compare_table_matches_torch():
    torch = pytest.importorskip("torch")
    from torch.utils.benchmark import Compare as TC
    from torch.utils.benchmark.utils.common import Measurement as TM, TaskSpec as TS
    rows = []
    for sub, base in (("small", 1e-6), ("large", 4e-6)):
        for desc, k in (("mul", 1.0), ("add", 1.5)):
            rows.append(dict(stmt=f"a.{desc}(a)", setup="pass", label="ops", sub_label=sub, description=desc,
                             raw=[base * k * f for f in (1.0, 1.01, 0.99, 1.02)]))
    ours = Compare([Measurement(1, r["raw"], TaskSpec(r["stmt"], r["setup"], label=r["label"],
                                                      sub_label=r["sub_label"], description=r["description"]))
                    for r in rows])
    theirs = TC([TM(1, r["raw"], TS(r["stmt"], r["setup"], label=r["label"], sub_label=r["sub_label"],
                                   description=r["description"])) for r in rows])
    assert str(ours) == str(theirs)
    ours.trim_significant_figures()
    theirs.trim_significant_figures()
    assert str(ours) == str(theirs)
    assert "[" in str(ours) and "Times are in microseconds (us)." in str(ours)
    with pytest.raises(ValueError, match="Measurement"):
        Compare([1.0])


def test_select_unit():
    assert benchmark.select_unit(2e-9) == ("ns", 1e-9)
    assert benchmark.select_unit(5e-6) == ("us", 1e-6)
    assert benchmark.select_unit(0.02) == ("ms", 1e-3)
    assert benchmark.select_unit(3.0) == ("s", 1)
