// Errors raised by kernels. pybind11 translates std::invalid_argument to ValueError,
// our TypeError / IndexError types below to the Python exceptions of the same name,
// and std::runtime_error to RuntimeError. Python validates first; these checks are the
// last line of defence so that no input can crash the interpreter.
#pragma once
#include <stdexcept>
#include <string>

namespace fastdl {

struct TypeError : std::runtime_error { using std::runtime_error::runtime_error; };
struct IndexError : std::runtime_error { using std::runtime_error::runtime_error; };
// An allocation the host or the device cannot satisfy (after the caching allocator gave
// its cache back): fastdl.OutOfMemoryError, a RuntimeError as torch's.
struct OutOfMemoryError : std::runtime_error { using std::runtime_error::runtime_error; };

[[noreturn]] inline void fail_value(const std::string& msg) { throw std::invalid_argument(msg); }
[[noreturn]] inline void fail_type(const std::string& msg) { throw TypeError(msg); }
[[noreturn]] inline void fail_index(const std::string& msg) { throw IndexError(msg); }

#define FASTDL_CHECK(cond, msg) \
  do { if (!(cond)) ::fastdl::fail_value(msg); } while (0)

}  // namespace fastdl
