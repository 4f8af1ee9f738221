#pragma once
// Helpers for the serialize() members of tierkit's types. They include no Boost header: the
// archive type is a template parameter, instantiated only in src/serialization.cpp.
//
// Doubles travel as their IEEE-754 bit patterns: exact, and NaN and infinities survive
// (Boost's text archives write "nan" but cannot read it back).
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace tierkit::detail {

template <class Archive>
void archive_double(Archive& ar, double& v) {
  std::uint64_t bits = 0;
  if constexpr (Archive::is_saving::value) {
    std::memcpy(&bits, &v, sizeof bits);
    ar & bits;
  } else {
    ar & bits;
    std::memcpy(&v, &bits, sizeof bits);
  }
}

template <class Archive>
void archive_doubles(Archive& ar, std::vector<double>& v) {
  std::uint64_t n = v.size();
  ar & n;
  if constexpr (!Archive::is_saving::value) {
    // A count beyond what any tierkit object holds means a damaged archive.
    if (n > (std::uint64_t{1} << 32)) throw std::length_error("tierkit: implausible vector length");
    v.resize(static_cast<std::size_t>(n));
  }
  for (double& x : v) archive_double(ar, x);
}

}  // namespace tierkit::detail
