"""torch.profiler for fastdl (host time only; see profiler.profile). Nothing of it runs while
no profile records: the op wrappers are swapped in at start and out at stop (_hooks)."""
from ._events import DeviceType, EventList, FunctionEvent, FunctionEventAvg
from ._record import record_function
from .profiler import (ProfilerAction, ProfilerActivity, _KinetoProfile, profile, schedule, supported_activities,
                       tensorboard_trace_handler)

__all__ = ["profile", "record_function", "schedule", "supported_activities", "tensorboard_trace_handler",
           "ProfilerAction", "ProfilerActivity", "DeviceType", "EventList", "FunctionEvent", "FunctionEventAvg"]
