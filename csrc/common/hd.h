// __host__ __device__ when compiled by nvcc, nothing otherwise: headers in common/
// are included by both csrc/ (g++) and cuda/ (nvcc), so the CPU tests exercise the
// same index arithmetic the CUDA kernels run.
#pragma once
#if defined(__CUDACC__)
#define FASTDL_HD __host__ __device__ __forceinline__
#else
#define FASTDL_HD inline
#endif
