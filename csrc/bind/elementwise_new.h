// The common case of an elementwise op or a reduction in one C++ call
// (bind_elementwise_new.cpp, bind_reduce_new.cpp), for the bindings that run an op's
// forward themselves (bind_autograd_apply.cpp).
#pragma once
#include <Python.h>

namespace fastdl {

// `op` (a str) on a and b: two float32 or two float64 CPU tensors of one dtype, or one of
// them and a Python float or int, broadcast. Returns the new tensor, None (a new
// reference) where the Python path must decide, or null with a Python error set.
PyObject* cpu_binary_new(PyObject* op, PyObject* a, PyObject* b);

// `op` (a str) on a float32 or float64 CPU tensor x with parameters p0, p1 (float()-able):
// the new tensor, None where the Python path must decide, or null with an error set.
PyObject* cpu_unary_new(PyObject* op, PyObject* x, PyObject* p0, PyObject* p1);

// Reduction `op` (a str: sum, prod, max, min) of a float32 or float64 CPU tensor x over
// `dims` (a list or tuple of sorted unique dims) with `keepdim` (a bool), in x's dtype
// (bind_reduce_new.cpp): the new tensor, None where the Python path must decide, or null
// with an error set.
PyObject* cpu_reduce_new(PyObject* op, PyObject* x, PyObject* dims, PyObject* keepdim);

}  // namespace fastdl
