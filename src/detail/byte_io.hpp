#pragma once
// Raw little-endian byte streams for states that travel as bytes (partial profile states):
// plain values and columns of plain values, each column prefixed by its length. The reader
// checks every declared length against the bytes left before it allocates, so damaged or
// crafted bytes give tierkit::format_error, never a huge allocation or a read past the end.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tierkit/error.hpp"

namespace tierkit::detail {

inline bool host_is_little_endian() noexcept {
  const std::uint16_t x = 1;
  unsigned char b;
  std::memcpy(&b, &x, 1);
  return b == 1;
}

class byte_writer {
 public:
  template <class T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <class T>
  void put_column(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    put<std::uint64_t>(v.size());
    if (!v.empty()) out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void put_text(std::string_view s) {
    put<std::uint64_t>(s.size());
    out_.append(s.data(), s.size());
  }
  std::string& bytes() noexcept { return out_; }

 private:
  std::string out_;
};

class byte_reader {
 public:
  byte_reader(std::string_view in, const char* what) : in_(in), what_(what) {}

  template <class T>
  T get() {
    static_assert(std::is_trivially_copyable<T>::value, "plain values only");
    need(sizeof(T));
    T v;
    std::memcpy(&v, in_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  // `room`: capacity for this many more values (a column about to grow: appending to a
  // column loaded at its exact size would move it whole on the first append).
  template <class T>
  std::vector<T> get_column(std::size_t room = 0) {
    const auto n = get<std::uint64_t>();
    if (n > (in_.size() - pos_) / sizeof(T)) fail("a column longer than the bytes left");
    std::vector<T> v;
    v.reserve(static_cast<std::size_t>(n) + room);
    v.resize(static_cast<std::size_t>(n));
    if (n) std::memcpy(v.data(), in_.data() + pos_, static_cast<std::size_t>(n) * sizeof(T));
    pos_ += static_cast<std::size_t>(n) * sizeof(T);
    return v;
  }
  std::string get_text() {
    const auto n = get<std::uint64_t>();
    if (n > in_.size() - pos_) fail("a text longer than the bytes left");
    std::string s(in_.data() + pos_, static_cast<std::size_t>(n));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }
  bool done() const noexcept { return pos_ == in_.size(); }
  [[noreturn]] void fail(const std::string& why) const {
    throw format_error(std::string(what_) + ": damaged bytes (" + why + ")");
  }

 private:
  void need(std::size_t n) const {
    if (n > in_.size() - pos_) fail("truncated");
  }
  std::string_view in_;
  const char* what_;
  std::size_t pos_ = 0;
};

}  // namespace tierkit::detail
