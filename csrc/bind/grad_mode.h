// The autograd grad mode: a per-thread flag that C++ reads directly and Python reads and
// sets as autograd._state.enabled (_state is _C.grad_mode, grad_mode.cpp).
#pragma once
#include <pybind11/pybind11.h>

namespace fastdl {

// Whether ops record the graph on this thread (true until no_grad / set_grad_enabled
// turns it off). A C++ thread_local: Python threads are OS threads, as threading.local's.
bool grad_enabled();
void set_grad_enabled(bool on);

// The object exposed as _C.grad_mode (module.cpp).
pybind11::object grad_mode_object();

}  // namespace fastdl
