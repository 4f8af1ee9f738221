#include "tierkit/over_time/overrides.hpp"

#include <algorithm>
#include <numeric>

#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
void add_row(tier_overrides& t, std::string tier_name, std::int32_t from_day, std::int32_t to_day,
             override_kind k, std::string why, std::string by) {
  t.tier.push_back(std::move(tier_name));
  t.from.push_back(from_day);
  t.to.push_back(to_day);
  t.kind.push_back(k);
  t.reason.push_back(std::move(why));
  t.operator_name.push_back(std::move(by));
}
}  // namespace

void tier_overrides::add(std::int64_t customer_key, std::string tier_name, std::int32_t from_day,
                         std::int32_t to_day, override_kind k, std::string why, std::string by) {
  if (customer.is_string && customer.size() > 0) {
    throw invalid_input("tierkit.tier_overrides.add: the table has text customer keys; got an integer");
  }
  customer.is_string = false;
  customer.ints.push_back(customer_key);
  add_row(*this, std::move(tier_name), from_day, to_day, k, std::move(why), std::move(by));
}

void tier_overrides::add(std::string_view customer_key, std::string tier_name, std::int32_t from_day,
                         std::int32_t to_day, override_kind k, std::string why, std::string by) {
  if (!customer.is_string && customer.size() > 0) {
    throw invalid_input("tierkit.tier_overrides.add: the table has integer customer keys; got text");
  }
  customer.is_string = true;
  if (customer.offsets.empty()) customer.offsets.push_back(0);
  customer.chars.append(customer_key);
  customer.offsets.push_back(static_cast<std::int64_t>(customer.chars.size()));
  add_row(*this, std::move(tier_name), from_day, to_day, k, std::move(why), std::move(by));
}

void tier_overrides::validate(const char* function) const {
  const std::string fn = function;
  const std::size_t n = size();
  if (customer.size() != n || from.size() != n || to.size() != n || kind.size() != n ||
      reason.size() != n || operator_name.size() != n) {
    throw invalid_input(fn + ": the override table's columns have different lengths");
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::string row = "override row " + std::to_string(i + 1);
    if (tier[i].empty()) throw invalid_input(fn + ": " + row + " names no tier");
    if (kind[i] == override_kind::none) throw invalid_input(fn + ": " + row + " has no kind (fixed or floor)");
    if (to[i] != no_day && to[i] <= from[i]) {
      throw invalid_input(fn + ": " + row + " ends (" + format_day(to[i]) + ") on or before it begins (" +
                          format_day(from[i]) + ")");
    }
  }
  // Overlaps: rows of one customer ordered by start; each must end before the next begins.
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto key_less = [&](std::size_t a, std::size_t b) {
    if (customer.is_string) return customer.string_at(a) < customer.string_at(b);
    return customer.ints[a] < customer.ints[b];
  };
  auto same_key = [&](std::size_t a, std::size_t b) { return !key_less(a, b) && !key_less(b, a); };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (key_less(a, b)) return true;
    if (key_less(b, a)) return false;
    return from[a] != from[b] ? from[a] < from[b] : a < b;
  });
  for (std::size_t k = 1; k < n; ++k) {
    const std::size_t a = order[k - 1], b = order[k];
    if (same_key(a, b) && (to[a] == no_day || to[a] > from[b])) {
      throw invalid_input(fn + ": override rows " + std::to_string(std::min(a, b) + 1) + " and " +
                          std::to_string(std::max(a, b) + 1) + " are for the same customer and overlap "
                          "(from " + format_day(from[a]) + " and " + format_day(from[b]) +
                          "); end one before the other begins");
    }
  }
}

}  // namespace tierkit
