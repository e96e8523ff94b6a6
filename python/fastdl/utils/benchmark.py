"""torch.utils.benchmark for fastdl: Timer (timeit with warmup, thread count and
replicates), Measurement (median / IQR of the replicates) and Compare (tables of many
measurements), following torch.utils.benchmark.utils's algorithms and text layout."""
import collections
import contextlib
import dataclasses
import math
import textwrap
import timeit as _timeit

__all__ = ["Timer", "Measurement", "TaskSpec", "Compare", "timer", "select_unit"]

_MAX_SIGNIFICANT_FIGURES = 4
_MIN_CONFIDENCE_INTERVAL = 25e-9  # 25 ns
_IQR_WARN_THRESHOLD = 0.1
_IQR_GROSS_WARN_THRESHOLD = 0.25


def timer():
    """The clock: timeit's, after waiting for the GPU where there is one (as torch's)."""
    from .. import cuda
    if cuda.is_available():
        cuda.synchronize()
    return _timeit.default_timer()


def _quantile(sorted_values, q):
    """Linear interpolation between the closest ranks (torch.quantile's default)."""
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def select_unit(t):
    """(unit, scale) that gives t (seconds) an O(1) magnitude."""
    exp = math.floor(math.log10(t) / 3) if t > 0 else -3
    unit = {-3: "ns", -2: "us", -1: "ms"}.get(exp, "s") if exp < 0 else "s"
    if exp < -3:
        unit = "ns"
    return unit, {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1}[unit]


def unit_to_english(u):
    return {"ns": "nanosecond", "us": "microsecond", "ms": "millisecond", "s": "second"}[u]


def trim_sigfig(x, n):
    magnitude = int(math.ceil(math.log10(abs(x)))) if x else 0
    scale = 10 ** (magnitude - n)
    return float(round(x / scale) * scale)


def _ordered_unique(elements):
    return list(dict.fromkeys(elements))


@contextlib.contextmanager
def set_torch_threads(n):
    """fastdl's thread count set to n for the block, the old count restored after."""
    import fastdl
    prior = fastdl.get_num_threads()
    try:
        fastdl.set_num_threads(n)
        yield
    finally:
        fastdl.set_num_threads(prior)


@dataclasses.dataclass(init=True, repr=False, eq=True, frozen=True)
class TaskSpec:
    """What a Timer measures (everything but its globals)."""
    stmt: str
    setup: str
    global_setup: str = ""
    label: str = None
    sub_label: str = None
    description: str = None
    env: str = None
    num_threads: int = 1

    @property
    def title(self):
        if self.label is not None:
            return self.label + (f": {self.sub_label}" if self.sub_label else "")
        if "\n" not in self.stmt:
            return self.stmt + (f": {self.sub_label}" if self.sub_label else "")
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    def setup_str(self):
        if self.setup == "pass" or not self.setup:
            return ""
        return f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup else f"setup: {self.setup}"

    def summarize(self):
        sections = [self.title, self.description or "", self.setup_str()]
        return "\n".join(f"{i}\n" if "\n" in i else i for i in sections if i)


_TASKSPEC_FIELDS = tuple(f.name for f in dataclasses.fields(TaskSpec))


@dataclasses.dataclass(init=True, repr=False)
class Measurement:
    """The replicates of one Timer run: raw_times are seconds per block of number_per_run
    executions; times, median, mean and iqr are per execution."""
    number_per_run: int
    raw_times: list
    task_spec: TaskSpec
    metadata: dict = None

    def __post_init__(self):
        self._sorted_times = ()
        self._warnings = ()
        self._median = self._mean = self._p25 = self._p75 = -1.0

    def __getattr__(self, name):
        if name in _TASKSPEC_FIELDS:
            return getattr(self.task_spec, name)
        return super().__getattribute__(name)

    @property
    def times(self):
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def median(self):
        self._lazy_init()
        return self._median

    @property
    def mean(self):
        self._lazy_init()
        return self._mean

    @property
    def iqr(self):
        self._lazy_init()
        return self._p75 - self._p25

    @property
    def significant_figures(self):
        self._lazy_init()
        n = len(self._sorted_times)
        pts = self._sorted_times[n // 4:int(math.ceil(3 * n / 4))]
        mean = sum(pts) / len(pts)
        std = math.sqrt(sum((p - mean) ** 2 for p in pts) / len(pts))
        ci = max(1.645 * std / math.sqrt(len(pts)), _MIN_CONFIDENCE_INTERVAL)
        return min(max(int(math.floor(math.log10(self._median / ci))), 1), _MAX_SIGNIFICANT_FIGURES)

    @property
    def has_warnings(self):
        self._lazy_init()
        return bool(self._warnings)

    def _lazy_init(self):
        if self.raw_times and not self._sorted_times:
            s = self._sorted_times = tuple(sorted(self.times))
            self._median, self._mean = _quantile(s, 0.5), sum(s) / len(s)
            self._p25, self._p75 = _quantile(s, 0.25), _quantile(s, 0.75)

            def add_warning(msg):
                rel_iqr = self.iqr / self.median * 100
                self._warnings += (f"  WARNING: Interquartile range is {rel_iqr:.1f}% "
                                   f"of the median measurement.\n           {msg}",)

            if not self.meets_confidence(_IQR_GROSS_WARN_THRESHOLD):
                add_warning("This suggests significant environmental influence.")
            elif not self.meets_confidence(_IQR_WARN_THRESHOLD):
                add_warning("This could indicate system fluctuation.")

    def meets_confidence(self, threshold=_IQR_WARN_THRESHOLD):
        return self.iqr / self.median < threshold

    @property
    def title(self):
        return self.task_spec.title

    @property
    def env(self):
        return "Unspecified env" if self.task_spec.env is None else self.task_spec.env

    @property
    def as_row_name(self):
        return self.sub_label or self.stmt or "[Unknown]"

    def __repr__(self):
        self._lazy_init()
        skip = "MEASUREMENT_REPR_SKIP_LINE"
        n = len(self._sorted_times)
        unit, scale = select_unit(self._median)
        iqr_filter = "" if n >= 4 else skip
        head = f"<{type(self).__module__}.{type(self).__name__} object at {hex(id(self))}>"
        text = f"""
{head}
{self.task_spec.summarize()}
  {'Median: ' if n > 1 else ''}{self._median / scale:.2f} {unit}
  {iqr_filter}IQR:    {self.iqr / scale:.2f} {unit} ({self._p25 / scale:.2f} to {self._p75 / scale:.2f})
  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs {'per measurement,' if n > 1 else ','} \
{self.num_threads} thread{'s' if self.num_threads > 1 else ''}
{chr(10).join(self._warnings)}""".strip()
        return "\n".join(line for line in text.splitlines() if skip not in line)

    @staticmethod
    def merge(measurements):
        """Replicates of one TaskSpec pooled into one Measurement (number_per_run=1)."""
        grouped = collections.defaultdict(list)
        for m in measurements:
            grouped[m.task_spec].append(m)
        return [Measurement(1, [t for m in g for t in m.times], spec) for spec, g in grouped.items()]


class Timer:
    """torch.utils.benchmark.Timer(stmt, setup, globals, label, sub_label, description, env,
    num_threads): times a Python statement with fastdl set to num_threads threads (restored
    after); `fastdl` and `torch` (both fastdl) are in the statement's globals."""

    def __init__(self, stmt="pass", setup="pass", global_setup="", timer=timer, globals=None, label=None,
                 sub_label=None, description=None, env=None, num_threads=1, language="python"):
        if not isinstance(stmt, str):
            raise ValueError("Currently only a `str` stmt is supported.")
        if language not in ("python", "py"):
            raise ValueError(f"Timer: fastdl times Python statements only, got language={language!r}")
        if global_setup:
            raise ValueError(f"global_setup is C++ only, got `{global_setup}`. Most likely this code can simply "
                             "be moved to `setup`.")
        if not isinstance(num_threads, int) or isinstance(num_threads, bool) or num_threads < 1:
            raise ValueError(f"Timer: num_threads must be a positive int, got {num_threads!r}")
        import fastdl
        self._globals = dict(globals or {})
        self._globals.setdefault("torch", fastdl)
        self._globals.setdefault("fastdl", fastdl)
        stmt = textwrap.dedent(stmt)
        stmt = (stmt[1:] if stmt and stmt[0] == "\n" else stmt).rstrip()
        setup = textwrap.dedent(setup)
        setup = (setup[1:] if setup and setup[0] == "\n" else setup).rstrip()
        self._timer = _timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=self._globals)
        self._task_spec = TaskSpec(stmt=stmt, setup=setup, global_setup=global_setup, label=label,
                                   sub_label=sub_label, description=description, env=env, num_threads=num_threads)

    def _timeit(self, number):
        return max(self._timer.timeit(number), 1e-9)

    def timeit(self, number=1000000):
        """One block of `number` executions after a warmup of number // 100 (at least 2)."""
        with set_torch_threads(self._task_spec.num_threads):
            self._timeit(number=max(int(number // 100), 2))
            return Measurement(number_per_run=number, raw_times=[self._timeit(number=number)],
                               task_spec=self._task_spec)

    def repeat(self, repeat=-1, number=-1):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def autorange(self, callback=None):
        raise NotImplementedError("See `Timer.blocked_autorange.`")

    def _threaded_measurement_loop(self, number, time_hook, stop_hook, min_run_time, max_run_time=None,
                                   callback=None):
        total_time, can_stop, times = 0.0, False, []
        with set_torch_threads(self._task_spec.num_threads):
            while total_time < min_run_time or not can_stop:
                spent = time_hook()
                times.append(spent)
                total_time += spent
                if callback:
                    callback(number, spent)
                can_stop = stop_hook(times)
                if max_run_time and total_time > max_run_time:
                    break
        return times

    def _estimate_block_size(self, min_run_time):
        """Grows the block tenfold until the timer's own overhead is <= 0.01% of it and it
        takes min_run_time / 1000, or it alone exceeds min_run_time."""
        with set_torch_threads(self._task_spec.num_threads):
            overhead = sorted(self._timeit(0) for _ in range(5))[2]
            number = 1
            while True:
                taken = self._timeit(number)
                if overhead / taken <= 1e-4 and taken >= min_run_time / 1000:
                    break
                if taken > min_run_time or number * 10 > 2147483647:
                    break
                number *= 10
        return number

    def blocked_autorange(self, callback=None, min_run_time=0.2):
        """Blocks of a fixed size (chosen by a warmup) until min_run_time seconds are spent."""
        number = self._estimate_block_size(min_run_time)
        times = self._threaded_measurement_loop(number, lambda: self._timeit(number), lambda times: True,
                                                min_run_time=min_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)

    def adaptive_autorange(self, threshold=0.1, *, min_run_time=0.01, max_run_time=10.0, callback=None):
        """Blocks until iqr / median < threshold (with more than 3 blocks and min_run_time
        spent) or max_run_time is spent."""
        number = self._estimate_block_size(min_run_time=0.05)

        def stop_hook(times):
            return len(times) > 3 and Measurement(number, times, self._task_spec).meets_confidence(threshold)

        times = self._threaded_measurement_loop(number, lambda: self._timeit(number), stop_hook, min_run_time,
                                                max_run_time, callback=callback)
        return Measurement(number_per_run=number, raw_times=times, task_spec=self._task_spec)


# ---- Compare: torch's table of measurements (rows: sub_label or stmt, columns: description) ----

_BEST, _GOOD, _BAD, _VERY_BAD, _BOLD, _END = "\033[92m", "\033[34m", "\033[2m\033[91m", "\033[31m", "\033[1m", "\033[0m"


class _Column:
    def __init__(self, grouped_results, time_scale, trim, highlight):
        flat = [r for g in grouped_results for r in g]
        self._grouped_results, self._time_scale, self._trim = grouped_results, time_scale, trim
        self._highlight = highlight and any(r.has_warnings for r in flat if r)
        leading = [int(math.ceil(math.log10(r.median / time_scale))) if r else None for r in flat]
        unit_digits = max(d for d in leading if d is not None)
        decimal_digits = min(max(m.significant_figures - d, 0) for d, m in zip(leading, flat)
                             if m is not None and d is not None) if trim else 1
        length = unit_digits + decimal_digits + (1 if decimal_digits else 0)
        self._template = f"{{:>{length}.{decimal_digits}f}}{{:>{7 if self._highlight else 0}}}"

    def get_results_for(self, group):
        return self._grouped_results[group]

    def num_to_str(self, value, sigfigs, spread):
        if value is None:
            return " " * len(self.num_to_str(1, sigfigs, None))
        if self._trim:
            value = trim_sigfig(value, sigfigs)
        return self._template.format(value, f" (! {spread * 100:.0f}%)" if self._highlight and spread is not None
                                     else "")


class _Row:
    def __init__(self, results, row_group, render_env, env_str_len, time_scale, colorize, num_threads=None):
        self._results, self._row_group, self._render_env = results, row_group, render_env
        self._env_str_len, self._time_scale, self._colorize = env_str_len, time_scale, colorize
        self._num_threads = num_threads
        self._columns = ()

    def as_column_strings(self):
        concrete = [r for r in self._results if r is not None]
        env = (f"({concrete[0].env})" if self._render_env else "").ljust(self._env_str_len + 4)
        out = ["  " + env + concrete[0].as_row_name]
        for m, col in zip(self._results, self._columns):
            out.append(col.num_to_str(None, 1, None) if m is None else
                       col.num_to_str(m.median / self._time_scale, m.significant_figures,
                                      m.iqr / m.median if m.has_warnings else None))
        return out

    @staticmethod
    def color_segment(segment, value, best):
        if value <= best * 1.01 or value <= best + 100e-9:
            return _BEST + _BOLD + segment + _END * 2
        if value <= best * 1.1:
            return _GOOD + _BOLD + segment + _END * 2
        if value >= best * 5:
            return _VERY_BAD + _BOLD + segment + _END * 2
        if value >= best * 2:
            return _BAD + segment + _END * 2
        return segment

    def row_separator(self, width):
        return [f"{self._num_threads} threads: ".ljust(width, "-")] if self._num_threads is not None else []

    def finalize_column_strings(self, strings, widths):
        best = [None] * len(strings)
        if self._colorize == "rowwise":
            row_min = min(r.median for r in self._results if r is not None)
            best = [row_min] * len(strings)
        elif self._colorize == "columnwise":
            best = [min((r.median for r in c.get_results_for(self._row_group) if r is not None), default=None)
                    for c in self._columns]
        out = [strings[0].ljust(widths[0])]
        for s, w, r, b in zip(strings[1:], widths[1:], self._results, best):
            s = s.center(w)
            if self._colorize and r is not None and b is not None:
                s = self.color_segment(s, r.median, b)
            out.append(s)
        return out


def _render_table(results, colorize, trim, highlight):
    unit, scale = select_unit(min(r.median for r in results))
    row_fn = lambda m: (m.num_threads, m.env, m.as_row_name)  # noqa: E731
    row_keys = _ordered_unique(row_fn(r) for r in results)
    row_keys.sort(key=lambda k: k[:2])  # stable: statements keep their order
    col_keys = _ordered_unique(r.description for r in results)
    grid = [[None] * len(col_keys) for _ in row_keys]
    rpos, cpos = {k: i for i, k in enumerate(row_keys)}, {k: i for i, k in enumerate(col_keys)}
    for r in results:
        grid[rpos[row_fn(r)]][cpos[r.description]] = r
    envs = {r.env for r in results}
    render_env = len(envs) > 1
    env_len = max(len(e) for e in envs) if render_env else 0
    rows, by_group, prior_threads, prior_env, group = [], [], -1, "", -1
    for (threads, env, _), row in zip(row_keys, grid):
        transition = threads != prior_threads
        if transition:
            prior_threads, prior_env, group = threads, "", group + 1
            by_group.append([])
        rows.append(_Row(row, group, render_env and env != prior_env, env_len, scale, colorize,
                         threads if transition else None))
        by_group[-1].append(row)
        prior_env = env
    columns = tuple(_Column([tuple(row[i] for row in g) for g in by_group], scale, trim, highlight)
                    for i in range(len(col_keys)))
    for r in rows:
        r._columns = columns
    string_rows = [[""] + [k if k is not None else "" for k in col_keys]]
    string_rows += [r.as_column_strings() for r in rows]
    n = max(len(s) for s in string_rows)
    for s in string_rows:
        s.extend([""] * (n - len(s)))
    widths = [max(len(j) for j in col) for col in zip(*string_rows)]
    lines = ["  |  ".join(s.center(w) for s, w in zip(string_rows[0], widths))]
    width = len(lines[0])
    for s, r in zip(string_rows[1:], rows):
        lines.extend(r.row_separator(width))
        lines.append("  |  ".join(r.finalize_column_strings(s, widths)))
    label = results[0].label
    warn = highlight and any(r.has_warnings for r in results)
    return (f"[{(' ' + (label or '') + ' ').center(width - 2, '-')}]\n" + "\n".join(lines)
            + f"\n\nTimes are in {unit_to_english(unit)}s ({unit}).\n"
            + ("(! XX%) Measurement has high variance, where XX is the IQR / median * 100.\n" if warn else ""))


class Compare:
    """torch.utils.benchmark.Compare(results): one table per label; a row per sub_label (or
    stmt) and thread count, a column per description; medians in one unit."""

    def __init__(self, results):
        self._results = []
        self.extend_results(results)
        self._trim_significant_figures = False
        self._colorize = None
        self._highlight_warnings = False

    def __str__(self):
        return "\n".join(self._render())

    def extend_results(self, results):
        for r in results:
            if not isinstance(r, Measurement):
                raise ValueError(f"Expected an instance of `Measurement`, got {type(r)} instead.")
        self._results.extend(results)

    def trim_significant_figures(self):
        self._trim_significant_figures = True

    def colorize(self, rowwise=False):
        self._colorize = "rowwise" if rowwise else "columnwise"

    def highlight_warnings(self):
        self._highlight_warnings = True

    def print(self):
        print(str(self))

    def _render(self):
        grouped = collections.defaultdict(list)
        for r in Measurement.merge(self._results):
            grouped[r.label].append(r)
        return [_render_table(g, self._colorize, self._trim_significant_figures, self._highlight_warnings)
                for g in grouped.values()]
