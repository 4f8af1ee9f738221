#pragma once
// The tiers the service reads: every customer's tier over time as spells [from, to), made
// from a tier assignment (one open spell per customer, from the day the assignment applies)
// or from the tier ledger (its spells). Service never changes tiers; it reads them at dates.
//
//   auto t = tierkit::service_tiers::fixed(keys, {"Gold", "Silver"}, tier, since);
//   auto t = tierkit::service_tiers::from_ledger(ledger);
//   t.at(customer, day)     // spell row holding on that day, or -1
//
// Tier names are ranked, highest first: the due list, owner assignment and reports order by
// this rank, and a move to a tier of a higher rank is an upgrade.
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/profile.hpp"

namespace tierkit {

class tier_ledger;
struct column_view;

// Owned keys of a key column: integers (any width) or text (utf8, large_utf8, utf8_view,
// string views, dictionaries of these). Throws schema_error for other types and
// invalid_input naming `function` and the count for null keys.
customer_keys keys_of_column(const column_view& column, const char* function);

// The row of each of `wanted` among `table` (a keyed table's keys), or -1; *repeated
// counts the rows of `table` that repeat an earlier key. Aligns a keyed table (branches,
// choices, owners) to the tiers' customers without hashing compact integer keys.
std::vector<std::int64_t> rows_of(const customer_keys& wanted, const customer_keys& table, std::int64_t* repeated);

struct service_tiers {
  customer_keys customers;              // unique keys
  std::vector<std::string> tier_names;  // ranked, highest first
  // Spells of customer i are rows [offsets[i], offsets[i + 1]), in time order, not
  // overlapping; to = no_day while open.
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> tier;   // index into tier_names
  std::vector<std::int32_t> from;   // first day
  std::vector<std::int32_t> to;     // first day after; no_day: open
  // Per customer: orders the due list within a tier and days overdue (higher first) and
  // says who gets an owner first when owners are short; empty or NaN: none (last).
  std::vector<double> value;

  std::size_t size() const noexcept { return customers.size(); }

  // One open spell per customer with a tier (tier[i] >= 0) from since[i]; tier[i] = -1:
  // no tier. Validates (invalid_input naming `function`: lengths, tier indices, since
  // outside the supported days, repeated keys with their count).
  static service_tiers fixed(customer_keys keys, std::vector<std::string> tier_names,
                             std::vector<std::int32_t> tier, std::vector<std::int32_t> since,
                             const char* function = "tierkit.service_tiers");
  // The ledger's spells, its customers in its order; tiers ranked as the latest policy
  // version ranks them (then any other tier of earlier versions, in order of first use).
  static service_tiers from_ledger(const tier_ledger& ledger);

  // The row of the spell of customer i holding on `day`, or -1.
  std::int64_t at(std::size_t i, std::int32_t day) const noexcept {
    for (std::int64_t s = offsets[i]; s < offsets[i + 1]; ++s) {
      if (from[s] <= day && (to[s] == no_day || day < to[s])) return s;
      if (from[s] > day) break;
    }
    return -1;
  }
  // The first spell of customer i that overlaps [a, b), or -1.
  std::int64_t first_in(std::size_t i, std::int32_t a, std::int32_t b) const noexcept {
    for (std::int64_t s = offsets[i]; s < offsets[i + 1]; ++s) {
      if (from[s] >= b) break;
      if (to[s] == no_day || to[s] > a) return s;
    }
    return -1;
  }

  // Throws invalid_input naming `function`: lengths, offsets, tier indices, spells out of
  // order or overlapping, days outside the supported range, repeated keys (counted).
  void validate(const char* function) const;
  // The same checks without the keys' (for callers that index the keys themselves).
  void validate_spells(const char* function) const;
};

}  // namespace tierkit
