// The autograd grad mode (autograd._state.enabled) as the C++ bindings read it.
#pragma once

namespace fastdl {

// 1 when grad mode is on, 0 when off (no_grad), -1 with a Python error set (autograd
// not bound yet). Defined in bind_autograd_apply.cpp, which holds the state object.
int grad_mode_enabled();

}  // namespace fastdl
