// The DLPack ABI (https://github.com/dmlc/dlpack, include/dlpack/dlpack.h), the
// unversioned structs exchanged in "dltensor" capsules: only the part fastdl uses.
// These layouts are fixed by the standard; do not reorder fields.
#pragma once
#include <cstdint>

namespace fastdl {
namespace dlpack {

enum DLDeviceType : int32_t { kDLCPU = 1, kDLCUDA = 2 };
enum TypeCode : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBfloat = 4, kDLComplex = 5, kDLBool = 6 };

struct DLDevice {
  int32_t device_type;
  int32_t device_id;
};

struct DLDataType {
  uint8_t code;
  uint8_t bits;
  uint16_t lanes;
};

struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;  // in elements; null means compact row-major
  uint64_t byte_offset;
};

struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor* self);
};

}  // namespace dlpack
}  // namespace fastdl
