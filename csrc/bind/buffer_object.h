// fastdl._C.Buffer: the Python object of a Buffer (the `_buf` of every tensor), a type
// written against the CPython API (buffer_object.cpp).
//
// Why not a pybind11 class: every op output makes one and every kernel call reads
// tensors' ones. pybind11's instance bookkeeping (type lookups by typeid, the
// registered-instance map on creation and destruction, holder casts on every read) cost
// 0.3-0.4 us per small op; here making one is an allocation and reading one a type check.
#pragma once
#include <pybind11/pybind11.h>

#include "../core/buffer.h"

namespace fastdl {

// A new _C.Buffer object holding `buf`; null with a Python error set on failure.
PyObject* wrap_buffer(BufferPtr buf);

// The Buffer held by o when o is a _C.Buffer, else null (no error set).
const BufferPtr* buffer_of(PyObject* o);

// Adds the type to the module as `Buffer` (module.cpp).
void add_buffer_type(pybind11::module_& m);

}  // namespace fastdl
