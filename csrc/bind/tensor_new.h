// New fastdl.Tensor objects from C++ (bind_tensor_new.cpp), for bindings that return a
// tensor they allocated themselves.
#pragma once
#include <Python.h>

namespace fastdl {

// An uninitialised contiguous CPU tensor: `shape` a tuple of ints, `dtype` a fastdl
// DType and `device` the CPU device object (borrowed references). Returns a new
// reference, or null with a Python error set (negative or overflowing shape, no memory).
PyObject* empty_from_tuple(PyObject* shape, PyObject* dtype, PyObject* device);

}  // namespace fastdl
