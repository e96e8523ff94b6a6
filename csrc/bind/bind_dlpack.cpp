// DLPack both ways, zero-copy (fastdl.from_dlpack and Tensor.__dlpack__ call these):
//   dlpack_export(tensor) -> a "dltensor" capsule whose DLManagedTensor holds a
//     reference to the tensor's Buffer, so the memory lives until the consumer calls
//     the deleter (or the capsule is dropped unconsumed);
//   dlpack_import(capsule) -> (Buffer, dtype code, shape, strides, offset, device,
//     device index): the Buffer spans exactly the elements the view addresses and
//     calls the producer's deleter when fastdl no longer needs the memory.
#include <Python.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../core/dlpack.h"
#include "registry.h"

using namespace fastdl;
using namespace fastdl::dlpack;

namespace {

constexpr const char* kCapsule = "dltensor";
constexpr const char* kUsedCapsule = "used_dltensor";

// What an exported DLManagedTensor owns: the Buffer and the shape / strides arrays.
struct ExportCtx {
  BufferPtr buf;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed{};
};

void delete_export(DLManagedTensor* self) { delete static_cast<ExportCtx*>(self->manager_ctx); }

// A capsule that no consumer took still owns its tensor.
void capsule_destructor(PyObject* cap) {
  if (!PyCapsule_IsValid(cap, kCapsule)) return;  // renamed "used_dltensor": consumed
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kCapsule));
  if (m && m->deleter) m->deleter(m);
}

DLDataType to_dl(DType d) {
  switch (d) {
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::Float16: return {kDLFloat, 16, 1};
    case DType::BFloat16: return {kDLBfloat, 16, 1};
    case DType::Int32: return {kDLInt, 32, 1};
    case DType::Int16: return {kDLInt, 16, 1};
    case DType::Int8: return {kDLInt, 8, 1};
    case DType::UInt8: return {kDLUInt, 8, 1};
    case DType::Complex64: return {kDLComplex, 64, 1};
    case DType::Complex128: return {kDLComplex, 128, 1};
  }
  fail_type("__dlpack__: unsupported dtype");
}

DType from_dl(DLDataType t) {
  if (t.lanes == 1) {
    if (t.code == kDLFloat && t.bits == 32) return DType::Float32;
    if (t.code == kDLFloat && t.bits == 64) return DType::Float64;
    if (t.code == kDLInt && t.bits == 64) return DType::Int64;
    if (t.code == kDLBool && t.bits == 8) return DType::Bool;
    if (t.code == kDLFloat && t.bits == 16) return DType::Float16;
    if (t.code == kDLBfloat && t.bits == 16) return DType::BFloat16;
    if (t.code == kDLInt && t.bits == 32) return DType::Int32;
    if (t.code == kDLInt && t.bits == 16) return DType::Int16;
    if (t.code == kDLInt && t.bits == 8) return DType::Int8;
    if (t.code == kDLUInt && t.bits == 8) return DType::UInt8;
    if (t.code == kDLComplex && t.bits == 64) return DType::Complex64;
    if (t.code == kDLComplex && t.bits == 128) return DType::Complex128;
  }
  fail_type("from_dlpack: unsupported dtype (DLPack type code " + std::to_string(t.code) + ", " +
            std::to_string(t.bits) + " bits, " + std::to_string(t.lanes) +
            " lanes); fastdl supports float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool, complex64 and complex128");
}

py::capsule dlpack_export(const TensorArg& t) {
  auto* ctx = new ExportCtx{t.buf, t.shape, t.strides, {}};
  DLTensor& dl = ctx->managed.dl_tensor;
  dl.data = t.bytes();
  const bool cuda = t.buf->device() == fastdl::DeviceType::CUDA;
  dl.device = {cuda ? kDLCUDA : kDLCPU, cuda ? t.buf->device_index() : 0};
  dl.ndim = t.ndim();
  dl.dtype = to_dl(t.dtype);
  dl.shape = ctx->shape.data();
  dl.strides = ctx->strides.data();
  dl.byte_offset = 0;
  ctx->managed.manager_ctx = ctx;
  ctx->managed.deleter = delete_export;
  PyObject* cap = PyCapsule_New(&ctx->managed, kCapsule, capsule_destructor);
  if (!cap) {
    delete ctx;
    throw py::error_already_set();
  }
  return py::reinterpret_steal<py::capsule>(cap);
}

py::tuple dlpack_import(py::object capsule) {
  PyObject* cap = capsule.ptr();
  if (!PyCapsule_IsValid(cap, kCapsule))
    fail_value("from_dlpack: expected an unconsumed \"dltensor\" capsule (a capsule can be used only once)");
  auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, kCapsule));
  const DLTensor& dl = m->dl_tensor;
  const DType dtype = from_dl(dl.dtype);
  fastdl::DeviceType device;
  if (dl.device.device_type == kDLCPU) device = fastdl::DeviceType::CPU;
  else if (dl.device.device_type == kDLCUDA) device = fastdl::DeviceType::CUDA;
  else
    fail_value("from_dlpack: unsupported device (DLPack device type " + std::to_string(dl.device.device_type) +
               "); fastdl supports CPU (1) and CUDA (2)");
  if (dl.ndim < 0) fail_value("from_dlpack: negative ndim");
  std::vector<int64_t> shape(dl.shape, dl.shape + dl.ndim), strides(dl.ndim);
  int64_t compact = 1;
  for (int d = dl.ndim - 1; d >= 0; --d) {
    strides[d] = dl.strides ? dl.strides[d] : compact;
    compact *= shape[d];
  }
  // The element span [lo, hi] the view addresses, relative to its first element.
  int64_t lo = 0, hi = 0, numel = 1;
  for (int d = 0; d < dl.ndim; ++d) {
    numel *= shape[d];
    const int64_t ext = (shape[d] - 1) * strides[d];
    (ext < 0 ? lo : hi) += shape[d] > 0 ? ext : 0;
  }
  const int64_t isz = static_cast<int64_t>(itemsize(dtype));
  char* first = static_cast<char*>(dl.data) + dl.byte_offset;
  const size_t nbytes = numel == 0 ? 0 : static_cast<size_t>((hi - lo + 1) * isz);
  // From here the Buffer owns the tensor: the capsule must not free it again.
  PyCapsule_SetName(cap, kUsedCapsule);
  auto buf = std::make_shared<Buffer>(first + lo * isz, nbytes, device, dl.device.device_id, [m] {
    if (m->deleter) m->deleter(m);
  });
  py::object buf_obj = py::reinterpret_steal<py::object>(wrap_buffer(std::move(buf)));
  if (!buf_obj) throw py::error_already_set();
  return py::make_tuple(buf_obj, static_cast<int>(dtype), py::tuple(py::cast(shape)), py::tuple(py::cast(strides)),
                        -lo, static_cast<int>(device), dl.device.device_id);
}

}  // namespace

FASTDL_BIND(Top, dlpack) {
  m.def("dlpack_export", &dlpack_export, py::arg("tensor"),
        "a \"dltensor\" capsule sharing the tensor's memory (keeps its Buffer alive)");
  m.def("dlpack_import", &dlpack_import, py::arg("capsule"),
        "(buffer, dtype_code, shape, strides, offset, device, device_index) of a \"dltensor\" capsule");
}
