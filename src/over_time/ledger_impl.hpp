#pragma once
// The tier ledger's state (private: shared by ledger.cpp and serialization.cpp).
#include <cstdint>
#include <vector>

#include "detail/key_dictionary.hpp"
#include "tierkit/over_time/ledger.hpp"

namespace tierkit {

// An override boundary: row `row` of the table begins (end = false) or ends on `date`.
struct override_event {
  std::int32_t date;
  bool end;
  std::uint32_t row;

  bool operator<(const override_event& o) const noexcept {
    if (date != o.date) return date < o.date;
    if (end != o.end) return end;  // an override ending the day another begins goes first
    return row < o.row;
  }
  bool operator==(const override_event& o) const noexcept {
    return date == o.date && end == o.end && row == o.row;
  }
};

struct tier_ledger::impl {
  std::vector<policy_version> versions;
  std::vector<std::vector<std::int32_t>> version_tiers;  // per version: rank -> tier id
  std::vector<std::string> tier_names;
  ledger_config config;
  tier_overrides overrides;
  std::vector<override_event> events;  // every boundary of the override table, sorted
  std::size_t next_event = 0;          // first event after the last assessment

  detail::key_dictionary dict;
  customer_keys keys;
  std::vector<customer_state> states;
  std::vector<std::int64_t> open_spell;       // per customer: row of its open spell, -1 none
  std::vector<std::int64_t> override_row;     // per customer: row of the override in force, -1

  spell_table spells;
  assessment_records records;
  std::vector<std::int32_t> dates;
  std::vector<std::int32_t> date_versions;  // per assessment: the policy version
  std::vector<std::int64_t> record_offsets{0};
  std::int32_t current_version = -1;  // version of the last assessment

  // Customer indices in key order (derived: not saved; extended as customers come): a
  // sorted assessment maps to indices by one merge walk instead of a hash lookup per key.
  std::vector<std::uint32_t> sorted;
  int compare_keys(std::uint32_t a, std::uint32_t b) const;
  void extend_sorted();

  // Rows of spells per customer in time order (CSR), rebuilt when spells were added.
  mutable std::vector<std::int64_t> by_customer_offsets;
  mutable std::vector<std::int64_t> by_customer_rows;
  mutable std::size_t indexed_spells = static_cast<std::size_t>(-1);

  void register_version(const policy_version& v);
  void build_index() const;
  void rebuild_events();
};

}  // namespace tierkit
