// The extension module fastdl._C: Buffer, runtime facts, and the submodules `cpu` and
// `cuda`, filled by the FASTDL_BIND registrations of every binding file.
#include "registry.h"

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

  py::class_<Buffer, BufferPtr>(m, "Buffer", py::buffer_protocol())
      .def(py::init([](int64_t nbytes, int device, int index) {
             if (nbytes < 0) throw std::invalid_argument("Buffer: negative size");
             return std::make_shared<Buffer>(static_cast<size_t>(nbytes),
                                             static_cast<DeviceType>(device), index);
           }),
           py::arg("nbytes"), py::arg("device") = 0, py::arg("index") = 0)
      .def_static("wrap_numpy",
                  [](py::array arr) {
                    // Shares the array's memory (torch.from_numpy semantics); the
                    // Buffer keeps the array alive.
                    if (!(arr.flags() & py::array::c_style))
                      throw std::invalid_argument("wrap_numpy needs a C-contiguous array");
                    auto* holder = new py::object(arr);
                    void* ptr = const_cast<void*>(arr.data());
                    return std::make_shared<Buffer>(ptr, static_cast<size_t>(arr.nbytes()), [holder] {
                      py::gil_scoped_acquire g;
                      delete holder;
                    });
                  })
      .def_property_readonly("nbytes", &Buffer::nbytes)
      .def_property_readonly("device", [](const Buffer& b) { return static_cast<int>(b.device()); })
      .def_property_readonly("device_index", &Buffer::device_index)
      .def_property_readonly("ptr", [](const Buffer& b) { return reinterpret_cast<uintptr_t>(b.data()); })
      .def_readwrite("version", &Buffer::version)
      .def_buffer([](Buffer& b) -> py::buffer_info {
        if (b.device() != DeviceType::CPU)
          throw std::runtime_error("a CUDA buffer has no host memory view; copy it to the CPU first");
        return py::buffer_info(b.data(), 1, py::format_descriptor<uint8_t>::format(), 1,
                               {static_cast<py::ssize_t>(b.nbytes())}, {1});
      });

  // Buffer(nbytes) on the CPU without the constructor's overload and keyword handling:
  // every op's output is allocated here (ops/_util.empty).
  m.def("cpu_buffer", [](int64_t nbytes) {
    if (nbytes < 0) throw std::invalid_argument("Buffer: negative size");
    return std::make_shared<Buffer>(static_cast<size_t>(nbytes), DeviceType::CPU, 0);
  });
  m.def("live_buffers", &Buffer::live_count, "number of Buffers alive (all devices)");
  m.def("live_bytes", &Buffer::live_bytes, "bytes held by live Buffers (all devices)");
  m.def("get_num_threads", &get_num_threads);
  m.def("set_num_threads", &set_num_threads);
  m.def("cpu_has_avx2_fma", &cpu_has_avx2_fma);
  m.def("use_avx2", &use_avx2);
  m.def("set_use_avx2", &set_use_avx2);
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
