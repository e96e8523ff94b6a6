"""torch.random: the global generator's seed and state, and fork_rng. fastdl has one
default generator (a counter-based Philox stream) for the CPU and one for CUDA devices,
so fork_rng saves and restores both whatever the devices named."""
import contextlib

from .ops.random import (_all_states, _set_all_states, default_generator, get_rng_state, initial_seed,
                         manual_seed, seed, set_rng_state)

__all__ = ["manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng", "default_generator"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Inside the block random draws may change the generator; on exit (even by an
    exception) its state is what it was on entry. enabled=False: a no-op."""
    if devices is not None and not isinstance(devices, (list, tuple, set, range)):
        raise TypeError(f"{_caller}: {_devices_kw} must be an iterable of devices or None, got "
                        f"{type(devices).__name__}")
    if not enabled:
        yield
        return
    states = _all_states()
    try:
        yield
    finally:
        _set_all_states(states)
