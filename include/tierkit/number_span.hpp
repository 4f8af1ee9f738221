#pragma once
// number_span: a read-only view of contiguous doubles (a metric column, a numpy array, a
// std::vector), so that strategies read columns in place whoever owns them. Converts
// implicitly from std::vector<double> (not from a braced list: its array would not outlive
// a stored span).
#include <cstddef>
#include <vector>

namespace tierkit {

class number_span {
 public:
  number_span() = default;
  number_span(const double* data, std::size_t size) noexcept : data_(data), size_(size) {}
  number_span(const std::vector<double>& v) noexcept : data_(v.data()), size_(v.size()) {}  // NOLINT: implicit by design

  const double* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  double operator[](std::size_t i) const noexcept { return data_[i]; }
  const double* begin() const noexcept { return data_; }
  const double* end() const noexcept { return data_ + size_; }

 private:
  const double* data_ = nullptr;
  std::size_t size_ = 0;
};

}  // namespace tierkit
