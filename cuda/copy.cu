// copy(src, dst) between any two devices. cuda->cuda on one device runs a strided
// conversion kernel (an async device-to-device memcpy when nothing needs converting);
// every other combination moves the bytes of contiguous same-dtype tensors.
// cudaMemcpy host<->device is ordered after earlier kernels on the default stream and
// returns once the host side is done, so the host buffer may be reused immediately.
#include "cpu/elementwise.h"
#include "elementwise.cuh"

namespace fastdl {
namespace cuda {

namespace {

template <typename D, typename S>
struct ConvertElem {
  __device__ void operator()(char* const* p, const int64_t* off) const {
    reinterpret_cast<D*>(p[0])[off[0]] = convert_value<D>(reinterpret_cast<const S*>(p[1])[off[1]]);
  }
};

void convert_on_device(const TensorArg& src, const TensorArg& dst) {
  FASTDL_DISPATCH_STORAGE(dst.dtype, "copy", [&] {
    using D = scalar_t;
    FASTDL_DISPATCH_STORAGE(src.dtype, "copy", [&] {
      launch_elementwise<2>("copy", {&dst, &src}, ConvertElem<D, scalar_t>{});
    })
  })
}

bool is_cuda(const TensorArg& t) { return t.buf && t.buf->device() == DeviceType::CUDA; }

// Bytes of a contiguous same-dtype pair, after checking that a raw copy is valid.
size_t raw_copy_bytes(const TensorArg& src, const TensorArg& dst) {
  if (!src.is_contiguous() || !dst.is_contiguous() || src.dtype != dst.dtype)
    fail_value("copy: copying between " + describe(src) + " and " + describe(dst) +
               " needs contiguous tensors of the same dtype (make the source contiguous and "
               "convert the dtype on one device first)");
  return static_cast<size_t>(dst.numel()) * itemsize(dst.dtype);
}

}  // namespace

void copy(const TensorArg& src, const TensorArg& dst) {
  if (!is_cuda(src) && !is_cuda(dst)) {
    cpu::copy(src, dst);
    return;
  }
  require_device("copy");
  check_same_shape("copy", src, dst);
  if (dst.numel() == 0) return;  // NumPy gives empty arrays arbitrary strides
  if (is_cuda(src) && is_cuda(dst)) {
    const int sd = src.buf->device_index(), dd = dst.buf->device_index();
    check_cuda_operand("copy", src, sd);
    check_cuda_operand("copy", dst, dd);
    if (sd == dd && !(src.dtype == dst.dtype && src.is_contiguous() && dst.is_contiguous())) {
      convert_on_device(src, dst);
      return;
    }
    const size_t n = raw_copy_bytes(src, dst);
    DeviceGuard guard(dd);
    if (sd == dd)
      FASTDL_CUDA_CHECK(cudaMemcpyAsync(dst.bytes(), src.bytes(), n, cudaMemcpyDeviceToDevice, 0));
    else  // serialised with pending work on both devices
      FASTDL_CUDA_CHECK(cudaMemcpyPeer(dst.bytes(), dd, src.bytes(), sd, n));
    return;
  }
  const TensorArg& dev = is_cuda(src) ? src : dst;
  const int d = dev.buf->device_index();
  check_cuda_operand("copy", dev, d);
  check_view_in_buffer("copy", is_cuda(src) ? dst : src);
  const size_t n = raw_copy_bytes(src, dst);
  DeviceGuard guard(d);
  FASTDL_CUDA_CHECK(cudaMemcpy(dst.bytes(), src.bytes(), n,
                               is_cuda(src) ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice));
}

}  // namespace cuda
}  // namespace fastdl
