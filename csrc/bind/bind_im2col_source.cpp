// _C.cpu.im2col_sources(): where every entry of the column matrix reads x, from
// common/im2col.h's im2col_source, the function the CUDA im2col and implicit-GEMM
// convolution kernels call. tests/test_conv_pool_kernels.py gathers x through these
// offsets and compares with the CPU im2col, so machines without a GPU check the index
// math those kernels run.
#include "common/im2col.h"
#include "core/errors.h"
#include "registry.h"

using namespace fastdl;

FASTDL_BIND(CPU, im2col_sources) {
  m.def(
      "im2col_sources",
      [](std::vector<int64_t> x_shape, std::vector<int64_t> x_strides, int64_t kh, int64_t kw, int64_t sh,
         int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
        if (x_shape.size() != 4 || x_strides.size() != 4)
          fail_value("im2col_sources: x_shape and x_strides must have 4 entries (N, C, H, W)");
        for (int64_t v : {kh, kw, sh, sw, dh, dw})
          if (v < 1) fail_value("im2col_sources: kernel, stride and dilation must be >= 1");
        if (ph < 0 || pw < 0) fail_value("im2col_sources: padding must be >= 0");
        const int64_t OH = conv_out_size(x_shape[2], kh, sh, ph, dh), OW = conv_out_size(x_shape[3], kw, sw, pw, dw);
        if (OH < 1 || OW < 1) fail_value("im2col_sources: the kernel does not fit the padded input");
        const ConvGeom g{x_shape[0], x_shape[1], x_shape[2], x_shape[3], OH, OW, kh, kw, sh, sw, ph, pw, dh, dw};
        const ImageStrides s{x_strides[0], x_strides[1], x_strides[2], x_strides[3]};
        const int64_t K = g.C * kh * kw, L = OH * OW;
        py::array_t<int64_t> offsets({g.N, K, L});
        py::array_t<bool> inside({g.N, K, L});
        auto o = offsets.mutable_unchecked<3>();
        auto in = inside.mutable_unchecked<3>();
        for (int64_t n = 0; n < g.N; ++n)
          for (int64_t r = 0; r < K; ++r)
            for (int64_t l = 0; l < L; ++l) {
              int64_t off = 0;
              in(n, r, l) = im2col_source(g, s, n, r, l, &off);
              o(n, r, l) = off;
            }
        return py::make_tuple(offsets, inside);
      },
      py::arg("x_shape"), py::arg("x_strides"), py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"),
      py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
      "(offsets, inside), both (N, C*kh*kw, OH*OW): the element offset into x each column entry reads, and "
      "whether it reads x at all (False: the tap is in the padding, the entry is zero)");
}
