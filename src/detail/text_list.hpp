#pragma once
// text_list: a few texts (levels, the literals of an `in` list) to look strings up in. A
// string is compared only with the texts of its own length.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "detail/hash.hpp"

namespace tierkit::detail {

class text_list {
 public:
  // Keeps a reference to `texts`: they must outlive the list.
  explicit text_list(const std::vector<std::string>& texts) : texts_(texts) {
    for (std::size_t k = 0; k < texts.size(); ++k) {
      by_length_[std::min(texts[k].size(), by_length_.size() - 1)].push_back(k);
    }
  }
  // The index of the first text equal to x, or -1.
  std::int64_t find(std::string_view x) const noexcept {
    for (const std::size_t k : by_length_[std::min(x.size(), by_length_.size() - 1)]) {
      const std::string& t = texts_[k];
      if (t.size() == x.size() && same_bytes(x.data(), t.data(), t.size())) return static_cast<std::int64_t>(k);
    }
    return -1;
  }

 private:
  const std::vector<std::string>& texts_;
  std::array<std::vector<std::size_t>, 65> by_length_;  // the last: 64 bytes and more
};

}  // namespace tierkit::detail
