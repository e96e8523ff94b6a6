"""torch's dtype rules of the functional losses where they differ from plain promotion:
mse / l1 / smooth_l1 broadcast first (a 0-d operand promotes as a dim'd one), huber and
soft_margin write into an output of input's dtype, binary_cross_entropy* insist on or
follow the target's dtype, kl_div refuses integers."""
from ... import dtypes as _dt


def _promoted(a, b):
    # both as if dim'd: after torch's broadcast_tensors a 0-d tensor is no longer "0-d"
    return _dt.result_type(a if a.ndim else a.reshape(1), b if b.ndim else b.reshape(1))


def broadcast_promote(input, target):
    """(input, target) cast to their promoted dtype when one is 0-d and the dtypes differ."""
    if input.dtype is target.dtype or (input.ndim == 0) == (target.ndim == 0):
        return input, target
    dt = _promoted(input, target)
    return (input if input.dtype is dt else input.to(dt)), (target if target.dtype is dt else target.to(dt))


def no_bool_sub(op, *ts):
    """torch computes these losses with `-` of the operands, which refuses bool."""
    if any(t.dtype is _dt.bool_ for t in ts):
        raise RuntimeError(f"{op}: subtraction, the `-` operator, with a bool tensor is not supported "
                           f"(got {', '.join(t.dtype.name for t in ts)})")


def need_float(op, dt):
    if not dt.is_floating_point:
        raise NotImplementedError(f"{op}: not implemented for {dt.name} inputs")


def output_dtype(op, out_dt, dt):
    """The promoted dtype dt must cast to the output's out_dt (torch: no float into an int output)."""
    if dt.is_floating_point and not out_dt.is_floating_point:
        raise RuntimeError(f"{op}: result type {dt.name} can't be cast to the desired output type {out_dt.name}")
    return out_dt


def as_dtype(t, dt):
    return t if t.dtype is dt else t.to(dt)


def no_integral(op, *ts):
    if any(not t.dtype.is_floating_point for t in ts):
        raise RuntimeError(f"{op}: integral inputs not supported (got {', '.join(t.dtype.name for t in ts)})")
