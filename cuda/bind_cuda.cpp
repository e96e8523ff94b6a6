// fastdl._C.cuda: the CUDA backend's Python surface (compiled by g++ against the
// plain declarations of cuda_api.h). Importing the module installs the caching
// allocator, so _C.Buffer(n, device=1) allocates through it.
#include "bind/registry.h"
#include "conv_implicit.h"
#include "cuda_api.h"

using namespace fastdl;

FASTDL_BIND(CUDA, cuda_backend) {
  cuda::install_allocator();
  using release_gil = py::call_guard<py::gil_scoped_release>;

  m.def("device_count", &cuda::device_count, "visible CUDA devices; 0 without a driver or GPU");
  m.def("current_device", &cuda::current_device);
  m.def("set_device", &cuda::set_device, py::arg("device"));
  m.def("device_name", &cuda::device_name, py::arg("device") = -1);
  m.def("capability", &cuda::capability, py::arg("device") = -1, "(major, minor)");
  m.def("mem_get_info", &cuda::mem_get_info, py::arg("device") = -1, "(free, total) bytes");
  m.def("synchronize", &cuda::synchronize, release_gil());
  m.def("runtime_version", &cuda::runtime_version, "the CUDA toolkit version fastdl was compiled with");
  m.def("event_create", &cuda::event_create, py::arg("timing"));
  m.def("event_destroy", &cuda::event_destroy, py::arg("event"));
  m.def("event_record", &cuda::event_record, py::arg("event"));
  m.def("event_synchronize", &cuda::event_synchronize, py::arg("event"), release_gil());
  m.def("event_query", &cuda::event_query, py::arg("event"));
  m.def("event_elapsed_ms", &cuda::event_elapsed_ms, py::arg("start"), py::arg("end"));
  m.def("device_properties", [](int device) {
    const cuda::DeviceProperties p = cuda::device_properties(device);
    py::dict d;
    d["name"] = p.name;
    d["major"] = p.major;
    d["minor"] = p.minor;
    d["total_memory"] = p.total_memory;
    d["multi_processor_count"] = p.multi_processor_count;
    d["L2_cache_size"] = p.l2_cache_size;
    d["warp_size"] = p.warp_size;
    return d;
  }, py::arg("device") = -1);

  m.def("memory_allocated", &cuda::memory_allocated, py::arg("device") = -1);
  m.def("max_memory_allocated", &cuda::max_memory_allocated, py::arg("device") = -1);
  m.def("memory_reserved", &cuda::memory_reserved, py::arg("device") = -1);
  m.def("reset_peak_memory_stats", &cuda::reset_peak_memory_stats, py::arg("device") = -1);
  m.def("empty_cache", &cuda::empty_cache);

  // fastdl.backends.cuda.matmul.allow_tf32 (python/fastdl/backends.py) sets this.
  m.def("set_allow_tf32", &cuda::set_allow_tf32, py::arg("allow"),
        "float32 matmul may round operands to TF32 and run on tensor cores (sm_80+)");
  m.def("allow_tf32", &cuda::allow_tf32);
  // fastdl.backends.cuda.matmul.allow_wgmma sets this. EXPERIMENTAL, UNVERIFIED on a GPU.
  m.def("set_wgmma", &cuda::set_wgmma, py::arg("enable"),
        "fp16 / bf16 (and, with allow_tf32, float32) matmul may use the sm_90a wgmma + TMA kernel on "
        "compute 9.0 devices "
        "(experimental, unverified; also FASTDL_CUDA_WGMMA=1 at import)");
  m.def("wgmma_enabled", &cuda::wgmma_enabled);
  m.def("wgmma_launches", &cuda::wgmma_launches, "launches of the wgmma kernel so far (tests check the path)");
  // fastdl.backends.cuda.conv.algorithm sets this.
  m.def("set_conv_algo", &cuda::set_conv_algo, py::arg("algo"),
        "conv2d forward: 'auto', 'im2col' or 'implicit_gemm'");
  m.def("conv_algo", &cuda::conv_algo);

  m.def("unary", &cuda::unary, py::arg("op"), py::arg("x"), py::arg("out"), py::arg("p0") = 0.0,
        py::arg("p1") = 0.0);
  m.def("binary", &cuda::binary, py::arg("op"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("where", &cuda::where, py::arg("cond"), py::arg("a"), py::arg("b"), py::arg("out"));
  m.def("copy", &cuda::copy, py::arg("src"), py::arg("dst"), release_gil());
  m.def("fill", &cuda::fill, py::arg("dst"), py::arg("value"));
  m.def("lerp_scalar", &cuda::lerp_scalar, py::arg("a"), py::arg("b"), py::arg("out"), py::arg("scale"),
        py::arg("small"));
}
