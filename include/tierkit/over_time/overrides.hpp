#pragma once
// Manual tier overrides (人工调整): a table of (customer, tier, from, to, kind, reason,
// operator). An override is in force on the days [from, to); `to` may be open (no_day).
// A fixed override holds the customer at its tier; a floor override keeps the customer at
// least at its tier and lets the rules lift it higher (see over_time/transitions.hpp).
// Overrides take effect on their own dates, between assessments too: the ledger records a
// spell from `from` (reason manual) and, when the override ends, whatever the rules then
// decide (reason override expired).
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/over_time/transitions.hpp"
#include "tierkit/profile.hpp"

namespace tierkit {

struct tier_overrides {
  customer_keys customer;                  // one row per override
  std::vector<std::string> tier;           // a tier of the policy in force
  std::vector<std::int32_t> from;          // first day in force
  std::vector<std::int32_t> to;            // first day no longer in force; no_day: open
  std::vector<override_kind> kind;         // fixed or floor
  std::vector<std::string> reason;         // free text for the audit (may be empty)
  std::vector<std::string> operator_name;  // who entered it (may be empty)

  std::size_t size() const noexcept { return tier.size(); }
  // Appends one override (the key's kind must match the table's: integer or string).
  void add(std::int64_t customer_key, std::string tier_name, std::int32_t from_day,
           std::int32_t to_day = no_day, override_kind k = override_kind::fixed,
           std::string why = {}, std::string by = {});
  void add(std::string_view customer_key, std::string tier_name, std::int32_t from_day,
           std::int32_t to_day = no_day, override_kind k = override_kind::fixed,
           std::string why = {}, std::string by = {});

  // Throws tierkit::invalid_input naming `function` and the row numbers (1-based), never
  // the customer: columns of different lengths, an empty tier, to <= from, kind none, and
  // two overrides of one customer whose days overlap.
  void validate(const char* function) const;
};

}  // namespace tierkit
