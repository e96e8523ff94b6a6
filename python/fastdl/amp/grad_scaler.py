"""torch.amp.GradScaler: loss scaling for float16 training.

scale(loss) multiplies by the scale; unscale_(optimizer) divides the optimizer's grads by
it in place and records whether any is inf/NaN; step(optimizer) unscales if not done and
skips optimizer.step() when one was; update() backs the scale off after an overflow and
grows it after `growth_interval` clean steps in a row (torch's _amp_update_scale_)."""
import warnings
from enum import Enum


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _refresh():
    return {"stage": OptState.READY, "found_inf": None}


class GradScaler:
    def __init__(self, device="cuda", init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._device = str(device)
        self._enabled = bool(enabled)
        if self._enabled and self._device.split(":")[0] == "cuda":
            from .. import cuda
            if not cuda.is_available():
                warnings.warn("torch.cuda.amp.GradScaler is enabled, but CUDA is not available.  Disabling.")
                self._enabled = False
        if self._enabled:
            if not growth_factor > 1.0:
                raise ValueError(f"GradScaler: the growth factor must be > 1.0, got {growth_factor}")
            if not backoff_factor < 1.0:
                raise ValueError(f"GradScaler: the backoff factor must be < 1.0, got {backoff_factor}")
            if isinstance(growth_interval, bool) or not isinstance(growth_interval, int) or growth_interval < 1:
                raise ValueError(f"GradScaler: growth_interval must be a positive int, got {growth_interval!r}")
        self._init_scale = float(init_scale)
        self._scale = None  # a float32 0-dim tensor on the device, made on first use (as torch)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker = None
        self._per_optimizer_states = {}

    # ---- scaling ----
    def _lazy_init(self, device):
        from .. import full
        self._scale = full((), self._init_scale, dtype=_float32(), device=device)
        self._growth_tracker = self._init_growth_tracker

    def scale(self, outputs):
        """outputs * scale: a tensor, or tensors nested in lists / tuples."""
        if not self._enabled:
            return outputs
        from ..tensor import Tensor
        if isinstance(outputs, Tensor):
            if self._scale is None:
                self._lazy_init(outputs.device)
            return outputs * self._scale.to(outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def _unscale_grads_(self, optimizer, inv_scale, allow_fp16):
        from .. import dtypes as _dt, no_grad, zeros
        found = None
        with no_grad():
            for group in optimizer.param_groups:
                for p in group["params"]:
                    g = p.grad
                    if g is None:
                        continue
                    if not allow_fp16 and g.dtype is _dt.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    if found is None:
                        found = zeros((), dtype=_float32(), device=g.device)
                    # inf / NaN anywhere: the step is skipped (torch's _amp_foreach_non_finite_check_and_unscale_)
                    found = found.maximum((~g.isfinite()).any().to(_float32()))
                    g.mul_(inv_scale.to(g.dtype) if g.dtype is not _float32() else inv_scale)
        if found is None:
            found = zeros((), dtype=_float32(), device=inv_scale.device)
        return found

    def unscale_(self, optimizer):
        """Divides the optimizer's gradients by the scale in place (once per step)."""
        if not self._enabled:
            return
        self._check_scale("unscale_")
        state = self._per_optimizer_states.setdefault(id(optimizer), _refresh())
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = self._scale.double().reciprocal().float()
        state["found_inf"] = self._unscale_grads_(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(*args, **kwargs) unless the unscaled gradients hold inf / NaN."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale("step")
        state = self._per_optimizer_states.setdefault(id(optimizer), _refresh())
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        retval = None
        if not float(state["found_inf"].item()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None):
        """Backs the scale off after an inf / NaN step, grows it after growth_interval clean ones."""
        if not self._enabled:
            return
        self._check_scale("update")
        from ..tensor import Tensor
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or new_scale.dtype is not _float32() or new_scale.requires_grad:
                    raise ValueError("new_scale should be a float or a 1-element float32 tensor with "
                                     "requires_grad=False.")
                self._scale = new_scale.detach().reshape(()).clone()
            else:
                self._scale = _full_like(self._scale, float(new_scale))
        else:
            found = [s["found_inf"] for s in self._per_optimizer_states.values() if s["found_inf"] is not None]
            if not found:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(float(f.item()) for f in found):
                self._scale = self._scale * self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    grown = self._scale * self._growth_factor
                    if bool(grown.isfinite().item()):  # torch keeps the scale where growing overflows
                        self._scale = grown
                    self._growth_tracker = 0
        self._per_optimizer_states = {}

    def _check_scale(self, fn):
        if self._scale is None:
            raise RuntimeError(f"Attempted {fn} but _scale is None.  This may indicate your script did not use "
                               f"scaler.scale(loss or outputs) earlier in the iteration.")

    # ---- accessors ----
    def get_scale(self):
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else float(self._scale.item())

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def _get_growth_tracker(self):
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self):
        return self._enabled

    def state_dict(self):
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict):
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved from a disabled "
                               "instance of GradScaler.")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = _full_like(self._scale, self._init_scale)
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = state_dict["growth_interval"]
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = self._init_growth_tracker


def _float32():
    from .. import dtypes
    return dtypes.float32


def _full_like(t, value):
    from .. import full
    return full((), value, dtype=_float32(), device=t.device)
