// New fastdl.Tensor objects from C++ (bind_tensor_new.cpp), for bindings that return a
// tensor they allocated themselves.
#pragma once
#include <Python.h>

#include <cstdint>
#include <vector>

#include "../core/buffer.h"

namespace fastdl {

// An uninitialised contiguous CPU tensor: `shape` a tuple of ints, `dtype` a fastdl
// DType and `device` the CPU device object (borrowed references). Returns a new
// reference, or null with a Python error set (negative or overflowing shape, no memory).
// `buffer`, when given, receives the new Buffer (for a kernel view of the output).
PyObject* empty_from_tuple(PyObject* shape, PyObject* dtype, PyObject* device, BufferPtr* buffer = nullptr);

// empty_from_tuple with the dtype and device of the tensor `like` (read from its slots).
PyObject* empty_like_from_tuple(PyObject* like, PyObject* shape, BufferPtr* buffer = nullptr);

// Gives t, a dense tensor just made by empty_from_tuple, the strides `strides` (a
// permutation of its dims' row-major order: the same buffer, laid out in another order).
// False with a Python error set when the strides cannot be built.
bool restride_new_tensor(PyObject* t, const std::vector<int64_t>& strides);

// Whether o is a fastdl.Tensor (or a subclass); false before tensor.py has bound the class.
bool is_tensor(PyObject* o);

// t.detach(): a tensor of t's class over the same buffer and view, with no autograd
// fields (grad_fn None, requires_grad False); Tensor.detach is this. New reference, or
// null with an error set.
PyObject* detached_alias(PyObject* t);

// t._buf.version (the in-place write counter autograd checks) into *version; false with
// a Python error set when t is not a tensor over a Buffer.
bool buffer_version(PyObject* t, int64_t* version);

}  // namespace fastdl
