#pragma once
// Helpers for the serialize() members of tierkit's types. They include no Boost header: the
// archive type is a template parameter, instantiated only in src/serialization.cpp.
//
// Doubles travel as their IEEE-754 bit patterns: exact, and NaN and infinities survive
// (Boost's text archives write "nan" but cannot read it back).
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <type_traits>
#include <utility>
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

// Whether a loading archive can check a declared length against the bytes it has left
// (tierkit's own archive in src/serialization.cpp can).
template <class Archive, class = void>
struct checks_lengths : std::false_type {};
template <class Archive>
struct checks_lengths<Archive, std::void_t<decltype(std::declval<Archive&>().check_length(
                                   std::uint64_t{}, std::uint64_t{}, ""))>> : std::true_type {};

template <class Archive>
void archive_doubles(Archive& ar, std::vector<double>& v) {
  std::uint64_t n = v.size();
  ar & n;
  if constexpr (!Archive::is_saving::value) {
    // A declared count is checked before the vector is allocated: against the payload
    // (each double is a separator and at least one digit) when the archive knows its size,
    // else against what any tierkit object holds.
    if constexpr (checks_lengths<Archive>::value) {
      ar.check_length(n, 2, "a vector of doubles");
    } else if (n > (std::uint64_t{1} << 32)) {
      throw std::length_error("tierkit: implausible vector length");
    }
    v.resize(static_cast<std::size_t>(n));
  }
  for (double& x : v) archive_double(ar, x);
}

}  // namespace tierkit::detail
