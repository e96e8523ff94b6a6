// The extension module fastdl._C: Buffer, runtime facts, and the submodules `cpu` and
// `cuda`, filled by the FASTDL_BIND registrations of every binding file.
#include "registry.h"

#include "buffer_object.h"
#include "grad_mode.h"

#include "../core/buffer.h"
#include "../core/cpu_features.h"
#include "../core/errors.h"
#include "../core/parallel.h"

namespace fastdl {

std::vector<BindEntry>& bind_registry() {
  static std::vector<BindEntry> r;
  return r;
}

}  // namespace fastdl

using namespace fastdl;

PYBIND11_MODULE(_C, m) {
  m.doc() = "fastdl compiled core: buffers and CPU/CUDA kernels";

  py::register_exception<fastdl::TypeError>(m, "KernelTypeError", PyExc_TypeError);
  py::register_exception<fastdl::IndexError>(m, "KernelIndexError", PyExc_IndexError);
  py::register_exception<fastdl::OutOfMemoryError>(m, "OutOfMemoryError", PyExc_RuntimeError);

  add_buffer_type(m);  // buffer_object.cpp
  m.add_object("grad_mode", grad_mode_object());  // autograd._state
  // Buffer(nbytes) on the CPU without the constructor's argument parsing (Tensor.__deepcopy__).
  m.def("cpu_buffer", [](int64_t nbytes) {
    if (nbytes < 0) throw std::invalid_argument("Buffer: negative size");
    PyObject* b = wrap_buffer(std::make_shared<Buffer>(static_cast<size_t>(nbytes), DeviceType::CPU, 0));
    if (!b) throw py::error_already_set();
    return py::reinterpret_steal<py::object>(b);
  });
  m.def("live_buffers", &Buffer::live_count, "number of Buffers alive (all devices)");
  m.def("live_bytes", &Buffer::live_bytes, "bytes held by live Buffers (all devices)");
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads);
  m.def("cpu_has_avx2_fma", &cpu_has_avx2_fma);
  m.def("use_avx2", &use_avx2);
  m.def("set_use_avx2", &set_use_avx2);
  m.def("cpu_has_avx512f", &cpu_has_avx512f);
  m.def("use_avx512", &use_avx512);
  m.def("set_use_avx512", &set_use_avx512);
#ifdef FASTDL_WITH_CUDA
  m.attr("cuda_built") = true;
#else
  m.attr("cuda_built") = false;
#endif

  py::module_ cpu = m.def_submodule("cpu", "CPU kernels");
  py::module_ cuda = m.def_submodule("cuda", "CUDA kernels (empty when built without CUDA)");
  for (auto& e : bind_registry()) {
    py::module_& target = e.target == Target::CPU ? cpu : (e.target == Target::CUDA ? cuda : m);
    e.fn(target);
  }
}
