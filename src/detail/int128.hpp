#pragma once
// 128-bit integers, a GCC and Clang extension (tierkit needs one of those compilers). Named
// once here behind __extension__, so that the code using them compiles clean under
// -Wpedantic.
namespace tierkit::detail {

__extension__ using int128 = __int128;
__extension__ using uint128 = unsigned __int128;

}  // namespace tierkit::detail
