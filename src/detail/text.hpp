#pragma once
// Small text helpers for error messages.
#include <cstdint>
#include <cstdio>
#include <string>

namespace tierkit::detail {

// 1234567 -> "1,234,567".
inline std::string format_count(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  const int len = static_cast<int>(digits.size());
  for (int i = 0; i < len; ++i) {
    if (i > 0 && (len - i) % 3 == 0) out += ',';
    out += digits[static_cast<std::size_t>(i)];
  }
  return n < 0 ? "-" + out : out;
}

// A number as short text: 50000, 0.3, 2e+06.
inline std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

// "1 row" / "3 rows".
inline std::string rows_text(std::int64_t n) {
  return format_count(n) + (n == 1 ? " row" : " rows");
}

}  // namespace tierkit::detail

#include <algorithm>
#include <vector>

namespace tierkit::detail {

// Levenshtein distance (insert, delete, substitute), for "did you mean" suggestions.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// " (did you mean 'x' or 'y'?)" for candidates within a third of the name's length, or
// " (available: a, b, c)" when none is close.
inline std::string suggest_names(const std::string& name, const std::vector<std::string>& names) {
  std::vector<std::pair<std::size_t, std::string>> close;
  const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
  for (const std::string& c : names) {
    const std::size_t d = edit_distance(name, c);
    if (d <= limit) close.emplace_back(d, c);
  }
  std::sort(close.begin(), close.end());
  std::string out;
  if (!close.empty()) {
    out = " (did you mean ";
    for (std::size_t i = 0; i < close.size() && i < 3; ++i) {
      if (i > 0) out += " or ";
      out += "'" + close[i].second + "'";
    }
    return out + "?)";
  }
  out = " (available: ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
  return out + ")";
}

}  // namespace tierkit::detail
