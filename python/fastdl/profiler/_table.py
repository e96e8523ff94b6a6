"""key_averages().table(): torch's column layout (profiler_util._build_table), host columns only."""
import math

from ._events import _format_memory, _format_time, _format_time_share

_SPACING = 2
_WIDTH = 12


def _time(us, default, unit):
    if unit == "s":
        return f"{us / 1e6:.3f}s"
    if unit == "ms":
        return f"{us / 1e3:.3f}ms"
    if unit == "us":
        return f"{us:.3f}us"
    return default


def _flops_scale(flops):
    names = ["FLOPs", "KFLOPs", "MFLOPs", "GFLOPs", "TFLOPs", "PFLOPs"]
    log = max(0, min(math.log10(flops) / 3, float(len(names) - 1)))
    return 10 ** (math.floor(log) * -3.0), names[int(log)]


def build_table(events, sort_by=None, header=None, row_limit=100, max_name_column_width=55,
                max_shapes_column_width=80, with_flops=False, profile_memory=False, top_level_events_only=False,
                time_unit=None):
    if len(events) == 0:
        return ""
    if sort_by is not None:
        attr = sort_by.replace("cuda", "device").replace("xpu", "device")
        if not hasattr(events[0], attr):
            raise AttributeError(f"table: unknown sort_by {sort_by!r}")
        events = sorted(events, key=lambda e: getattr(e, attr), reverse=True)
    has_shapes = any(e.input_shapes for e in events)
    name_width = max(len(e.key) for e in events) + 4
    if max_name_column_width is not None:
        name_width = min(name_width, max_name_column_width)
    shapes_width = max(len(str(e.input_shapes)) for e in events) + 4
    if max_shapes_column_width is not None:
        shapes_width = min(shapes_width, max_shapes_column_width)

    headers = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
    if profile_memory:
        headers += ["CPU Mem", "Self CPU Mem"]
    headers.append("# of Calls")
    widths = [name_width] + [_WIDTH] * (len(headers) - 1)
    if has_shapes:
        headers.append("Input Shapes")
        widths.append(shapes_width)
    raw_flops = [e.flops for e in events if e.flops > 0] if with_flops else []
    if raw_flops:
        scale, flops_header = _flops_scale(min(raw_flops))
        headers.append(f"Total {flops_header}")
        widths.append(_WIDTH)
    row_format = "".join("{: >" + str(w) + "}" + " " * _SPACING for w in widths)
    sep = "".join("-" * w + " " * _SPACING for w in widths)
    line_length = sum(w + _SPACING for w in widths) - _SPACING

    total_self = sum(e.self_cpu_time_total for e in events)
    out = []
    if header is not None:
        out += ["=" * line_length, header]
    if top_level_events_only:
        out += ["=" * line_length, "This report only display top-level ops statistics"]
    out += [sep, row_format.format(*headers), sep]
    shown = 0
    for e in events:
        if shown == row_limit:
            break
        if top_level_events_only and e.cpu_parent is not None:
            continue
        shown += 1
        name = e.key
        if max_name_column_width is not None and len(name) >= max_name_column_width - 3:
            name = name[:max_name_column_width - 3] + "..."
        row = [name, _format_time_share(e.self_cpu_time_total, total_self),
               _time(e.self_cpu_time_total, e.self_cpu_time_total_str, time_unit),
               _format_time_share(e.cpu_time_total, total_self),
               _time(e.cpu_time_total, e.cpu_time_total_str, time_unit),
               _time(e.cpu_time, e.cpu_time_str, time_unit)]
        if profile_memory:
            row += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)]
        row.append(e.count)
        if has_shapes:
            row.append(str(e.input_shapes)[:shapes_width])
        if raw_flops:
            row.append("--" if e.flops <= 0 else f"{e.flops * scale:8.3f}")
        out.append(row_format.format(*row))
    out += [sep, f"Self CPU time total: {_time(total_self, _format_time(total_self), time_unit)}"]
    return "".join(line + "\n" for line in out)
