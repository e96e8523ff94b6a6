"""torch.stft / torch.istft, composed from fastdl.fft and index ops (differentiable).

stft frames the (optionally padded) signal with one index_select of a (frames, n_fft)
index, windows and transforms the frames; istft inverts each frame, windows it again and
overlap-adds with index_add, dividing by the summed squared window (torch's NOLA check:
an envelope that vanishes inside the signal is an error).
"""
from .. import dtypes as _dt
from ..tensor import Tensor, arange, ones
from ..ops._util import check_tensor, desc

__all__ = ["stft", "istft"]

_PAD_MODES = ("reflect", "constant", "replicate", "circular")


def _window(op, window, win_length, n_fft, dtype, device):
    """The window padded on both sides to n_fft (torch centres a shorter one)."""
    if window is None:
        w = ones(win_length, dtype=dtype, device=device)
    else:
        check_tensor(op, window, "window")
        if window.ndim != 1 or window.shape[0] != win_length:
            raise RuntimeError(f"{op}: expected a 1D window tensor of size equal to win_length={win_length}, "
                               f"but got window with size {list(window.shape)}")
        w = window
    if win_length < n_fft:
        from ..ops.shape import cat
        from ..tensor import zeros
        left = (n_fft - win_length) // 2
        w = cat([zeros(left, dtype=w.dtype, device=w.device), w,
                 zeros(n_fft - win_length - left, dtype=w.dtype, device=w.device)])
    return w


def _lengths(op, n_fft, hop_length, win_length):
    if isinstance(n_fft, bool) or not isinstance(n_fft, int) or n_fft <= 0:
        raise RuntimeError(f"{op}: expected 0 < n_fft, but got n_fft={n_fft!r}")
    hop = n_fft // 4 if hop_length is None else hop_length
    win = n_fft if win_length is None else win_length
    if hop <= 0:
        raise RuntimeError(f"{op}: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"{op}: expected 0 < win_length <= n_fft, but got win_length={win}")
    return max(hop, 1), win


def _pad(x, p, mode):
    """x padded by p on both sides of its last dim."""
    n = x.shape[-1]
    if mode == "constant":
        from ..ops.shape import cat
        from ..tensor import zeros
        z = zeros(tuple(x.shape[:-1]) + (p,), dtype=x.dtype, device=x.device)
        return cat([z, x, z], -1)
    if mode == "reflect" and p >= n:
        raise RuntimeError(f"stft: reflect padding of {p} needs a signal longer than it, got length {n}")
    i = arange(-p, n + p)
    if mode == "reflect":
        i = i.abs()
        i = (n - 1) - ((n - 1) - i).abs()
    elif mode == "replicate":
        i = i.clamp(0, n - 1)
    else:  # circular
        i = i.remainder(n)
    return x.index_select(-1, i.to(x.device))


def stft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, pad_mode="reflect",
         normalized=False, onesided=None, return_complex=None):
    """The short-time Fourier transform: (freq, frames), with a leading batch dim for 2-D input."""
    from . import fft as _fft, rfft as _rfft
    check_tensor("stft", input)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, got {desc(input)}")
    is_complex = input.dtype.category == 3 or (window is not None and window.dtype.category == 3)
    if return_complex is None and not is_complex:
        raise RuntimeError("stft requires the return_complex parameter be given for real inputs, and will further "
                           "require that return_complex=True in a future PyTorch release.")
    if pad_mode not in _PAD_MODES:
        raise ValueError(f"stft: pad_mode must be one of {_PAD_MODES}, got {pad_mode!r}")
    hop, win = _lengths("stft", n_fft, hop_length, win_length)
    x = input if input.ndim == 2 else input.unsqueeze(0)
    if x.dtype.category < 2:
        x = x.to(_dt.get_default_dtype())
    if center:
        x = _pad(x, n_fft // 2, pad_mode)
    length = x.shape[-1]
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    frames = 1 + (length - n_fft) // hop
    idx = (arange(frames).reshape(frames, 1) * hop + arange(n_fft).reshape(1, n_fft)).reshape(-1)
    seg = x.index_select(-1, idx.to(x.device)).reshape(x.shape[0], frames, n_fft)
    w = _window("stft", window, win, n_fft, _dt.to_real(x.dtype), x.device)
    seg = seg * w
    onesided = (not is_complex) if onesided is None else onesided
    if onesided and is_complex:
        raise RuntimeError("stft: Cannot have onesided output if window or input is complex")
    spec = _rfft(seg, dim=-1) if onesided else _fft(seg, dim=-1)
    if normalized:
        spec = spec * (n_fft ** -0.5)
    spec = spec.transpose(1, 2)
    if input.ndim == 1:
        spec = spec.squeeze(0)
    if return_complex is False:
        from ..ops.complex_views import view_as_real
        return view_as_real(spec.contiguous())
    return spec


def istft(input, n_fft, hop_length=None, win_length=None, window=None, center=True, normalized=False,
          onesided=None, length=None, return_complex=False):
    """The inverse of stft by windowed overlap-add (torch.istft)."""
    from . import ifft as _ifft, irfft as _irfft
    check_tensor("istft", input)
    if input.dtype.category != 3:
        raise RuntimeError(f"istft requires a complex-valued input tensor, got {desc(input)}")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, got {desc(input)}")
    hop, win = _lengths("istft", n_fft, hop_length, win_length)
    spec = input if input.ndim == 3 else input.unsqueeze(0)
    fft_size, frames = spec.shape[1], spec.shape[2]
    onesided = (fft_size != n_fft) if onesided is None else onesided
    want = n_fft // 2 + 1 if onesided else n_fft
    if fft_size != want:
        raise RuntimeError(f"istft: expected the frequency dim to be {want} (n_fft={n_fft}, onesided={onesided}), "
                           f"got {desc(input)}")
    if return_complex and onesided:
        raise RuntimeError("istft: cannot have onesided output if return_complex=True")
    spec = spec.transpose(1, 2)
    if normalized:
        spec = spec * (n_fft ** 0.5)
    seg = _irfft(spec, n=n_fft, dim=-1) if onesided else _ifft(spec, dim=-1)
    if not onesided and not return_complex:
        seg = seg.real
    rd = _dt.to_real(input.dtype)
    w = _window("istft", window, win, n_fft, rd, input.device)
    seg = seg * w
    total = n_fft + hop * (frames - 1)
    idx = (arange(frames).reshape(frames, 1) * hop + arange(n_fft).reshape(1, n_fft)).reshape(-1).to(input.device)
    from ..tensor import zeros
    from ..ops.scatter_more import index_add
    y = index_add(zeros(seg.shape[0], total, dtype=seg.dtype, device=seg.device), 1, idx,
                  seg.reshape(seg.shape[0], -1))
    env = index_add(zeros(total, dtype=rd, device=input.device), 0, idx, (w * w).expand(frames, n_fft).reshape(-1))
    start = n_fft // 2 if center else 0
    end = total - (n_fft // 2 if center else 0) if length is None else start + length
    end = min(end, total)
    y, env = y[:, start:end], env[start:end]
    if bool((env.abs() < 1e-11).any()):
        raise RuntimeError("istft: window overlap add min: the window envelope is (near) zero inside the signal "
                           "(the NOLA condition fails)")
    y = y / env
    if length is not None and y.shape[1] < length:
        from ..ops.shape import cat
        y = cat([y, zeros(y.shape[0], length - y.shape[1], dtype=y.dtype, device=y.device)], 1)
    return y.squeeze(0) if input.ndim == 2 else y


Tensor.stft, Tensor.istft = stft, istft
