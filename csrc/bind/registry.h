// Each binding file registers itself; module.cpp runs every registration into the
// `_C.cpu` (or `_C.cuda`) submodule. Adding a kernel family therefore never touches a
// central file: write csrc/cpu/foo.cpp and csrc/bind/bind_foo.cpp, and CMake globs them.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <vector>

#include "tensor_caster.h"

namespace py = pybind11;

namespace fastdl {

enum class Target { CPU, CUDA, Top };
using BindFn = void (*)(py::module_&);

struct BindEntry { Target target; const char* name; BindFn fn; };
std::vector<BindEntry>& bind_registry();

struct Registrar {
  Registrar(Target t, const char* name, BindFn fn) { bind_registry().push_back({t, name, fn}); }
};

}  // namespace fastdl

// FASTDL_BIND(CPU, gemm) { m.def(...); }   -- m is the target submodule
#define FASTDL_BIND(TARGET, NAME)                                                     \
  static void fastdl_bind_##NAME(py::module_& m);                                     \
  static ::fastdl::Registrar fastdl_registrar_##NAME(::fastdl::Target::TARGET, #NAME, \
                                                     fastdl_bind_##NAME);             \
  static void fastdl_bind_##NAME(py::module_& m)
