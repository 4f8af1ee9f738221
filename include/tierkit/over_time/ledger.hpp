#pragma once
// The tier ledger (客户分级台账): every customer's tier over time as append-only spells
// [effective_from, effective_to), with the reason each began, the rule that named the raw
// tier and the policy version in force; and, per assessment, each customer's state (raw
// tier, held tier, watch count, projected downgrade date).
//
//   tier_ledger ledger(first_version, overrides, config);
//   ledger.advance(assessment);      // one assessment date after another
//   ledger.at(day)                   // tiers of all customers on a day: a lookup
//   ledger.spells(), ledger.records(), ledger.migration(d1, d2), ledger.flows()
//
// advance() is the transition engine (over_time/transitions.hpp) applied to every known
// customer: first the override boundaries that fall after the previous assessment and on
// or before this one, in date order, then the assessment itself. A ledger saved and loaded
// between two advance() calls gives exactly the ledger of one uninterrupted run.
//
// Invariants: a customer's spells follow one another without gap or overlap from its first
// spell on; exactly one spell per known customer is open (effective_to = no_day); spells
// and records are only appended (closing an open spell sets its end).
//
// Customers: every customer an assessment names; a known customer an assessment does not
// name is assessed at the lowest tier (rule_none), as a customer who qualifies for nothing.
// Customers are numbered in order of first appearance; tables name them by that index
// (keys() holds the keys).
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/over_time/overrides.hpp"
#include "tierkit/over_time/schedule.hpp"
#include "tierkit/over_time/transitions.hpp"
#include "tierkit/profile.hpp"

namespace tierkit {

// A version of the tier policy: its ranked tiers and transitions, from a date on.
struct policy_version {
  std::string label;                    // for reports ("2024 policy")
  std::int32_t effective_from = 0;      // assessments on or after this day use it
  std::string fingerprint;              // identifies the policy's content (policy_fingerprint)
  transition_rules rules;
  std::vector<std::string> rule_names;  // the policy's rules by index, for reports

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & label & effective_from & fingerprint & rules & rule_names;
  }
};

// 16 hex digits identifying a policy by the canonical text of its content (FNV-1a, 64 bits).
std::string policy_fingerprint(std::string_view canonical_text);

struct ledger_config {
  // With a frequency, a watched customer's projected downgrade date is the assessment date
  // of that frequency at which the watch would run out; without, it is no_day.
  std::optional<assessment_frequency> frequency;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    bool has = frequency.has_value();
    auto f = frequency.value_or(assessment_frequency::month);
    ar & has & f;
    if constexpr (!Archive::is_saving::value) frequency = has ? std::optional(f) : std::nullopt;
  }
};

// One assessment: the raw tier of each assessed customer.
struct assessment_input {
  std::int32_t date = 0;                     // the assessment's as_of
  const customer_keys* customers = nullptr;  // borrowed; unique keys, of the ledger's kind
  std::vector<std::int32_t> raw;             // rank in the version in force, per customer
  std::vector<std::int32_t> rule;            // rule that named it; empty: rule_none for all
  std::vector<std::int32_t> first_purchase;  // day; no_day or empty: unknown (no protection)
};

// Spells: one row per (customer, held tier, period).
struct spell_table {
  std::vector<std::uint32_t> customer;      // index into keys()
  std::vector<std::int32_t> tier;           // index into tier_names()
  std::vector<std::int32_t> from;           // effective from (inclusive)
  std::vector<std::int32_t> to;             // effective to (exclusive); no_day while open
  std::vector<change_reason> reason;
  std::vector<std::int32_t> rule;           // rule of the raw tier behind it; rule_none if manual
  std::vector<std::int32_t> version;        // index into versions()
  std::vector<std::int32_t> previous_tier;  // the tier before (no_tier for the first spell)

  std::size_t size() const noexcept { return customer.size(); }
};

// Per assessment and known customer: the state after the assessment. Assessment k covers
// every customer known then, in index order: rows [record_offsets()[k],
// record_offsets()[k + 1]), the customer of row r being r - record_offsets()[k]; its date
// is assessment_dates()[k] and its policy version assessment_versions()[k].
struct assessment_records {
  std::vector<std::int16_t> raw;            // tier id (tier_names) of the raw tier
  std::vector<std::int32_t> rule;           // rule that named it (rule_none: not assessed)
  std::vector<std::int16_t> held;           // tier id held after the assessment
  std::vector<std::int16_t> below;          // watch count (0: not on watch)
  std::vector<std::int16_t> left;           // assessments left before the projected
                                            // downgrade while on watch (0: none)
  std::vector<override_kind> override_active;
  std::vector<std::uint8_t> protected_new;  // below the held tier but protected as new

  std::size_t size() const noexcept { return held.size(); }
};

// Tiers of the customers with a spell covering a day.
struct tier_snapshot {
  std::int32_t date = 0;
  std::vector<std::uint32_t> customer;  // ascending index
  std::vector<std::int32_t> tier;       // tier id
  std::vector<std::int32_t> since;      // the spell's start
  std::vector<std::int64_t> spell;      // row in spells()
};

// Customers by tier on two days. Rows: tiers on `from_date` (tier ids) and, last, no_tier
// for customers without a tier then (new since); columns: tiers on `to_date`.
struct migration_matrix {
  std::int32_t from_date = 0;
  std::int32_t to_date = 0;
  std::vector<std::int32_t> from_tiers;
  std::vector<std::int32_t> to_tiers;
  std::vector<std::int64_t> counts;  // rows x columns, row-major
  std::vector<double> value;         // the same cells summing a per-customer value (if given)
};

// Held tier from one assessment to the next: (date, from tier, to tier, customers).
// from = no_tier: customers first assessed at `date`.
struct tier_flows {
  std::vector<std::int32_t> date;
  std::vector<std::int32_t> from;
  std::vector<std::int32_t> to;
  std::vector<std::int64_t> customers;
};

class tier_ledger;
// Persistence (include tierkit/serialization.hpp): to_bytes(ledger), and back.
tier_ledger tier_ledger_from_bytes(const std::string& bytes);
std::string to_bytes(const tier_ledger& l);

class tier_ledger {
 public:
  tier_ledger();
  // Validates the version and the overrides (tierkit::invalid_input).
  explicit tier_ledger(policy_version first, tier_overrides overrides = {}, ledger_config config = {});
  ~tier_ledger();
  tier_ledger(tier_ledger&&) noexcept;
  tier_ledger& operator=(tier_ledger&&) noexcept;
  tier_ledger(const tier_ledger&);
  tier_ledger& operator=(const tier_ledger&);

  // A new policy version from its effective date, which must come after the last
  // assessment (and after every version before it).
  void add_version(policy_version v);
  // Replaces the override table. What already took effect (boundaries on or before the
  // last assessment) must stay as it was: invalid_input otherwise.
  void set_overrides(tier_overrides overrides);
  // One assessment, after the last one. All or nothing: on invalid input (a date not after
  // the last, ranks outside the version's tiers, duplicate keys, keys of the other kind,
  // an override naming a tier the version lacks) nothing changes.
  void advance(const assessment_input& a);

  // --- what it holds ------------------------------------------------------------------
  const customer_keys& keys() const noexcept;
  std::size_t customers() const noexcept;
  const std::vector<std::string>& tier_names() const noexcept;  // tier ids, in order of first use
  const std::vector<policy_version>& versions() const noexcept;
  const tier_overrides& overrides() const noexcept;
  const ledger_config& config() const noexcept;
  const std::vector<std::int32_t>& assessment_dates() const noexcept;
  const std::vector<std::int32_t>& assessment_versions() const noexcept;
  // Records of assessment k are rows [record_offsets()[k], record_offsets()[k + 1]).
  const std::vector<std::int64_t>& record_offsets() const noexcept;
  const spell_table& spells() const noexcept;
  const assessment_records& records() const noexcept;
  // The projected downgrade date of record row `row` of assessment k (no_day when not on
  // watch, or without a frequency to project with).
  std::int32_t downgrade_on(std::size_t k, std::size_t row) const noexcept;
  // The engine's state of every customer after the last step (for audit and tests).
  const std::vector<customer_state>& states() const noexcept;
  // Index of each key in keys(), or -1 for keys the ledger does not know.
  std::vector<std::int64_t> find(const customer_keys& keys) const;

  // --- queries ------------------------------------------------------------------------
  tier_snapshot at(std::int32_t day) const;
  // Customers by tier on two days; `value` (per customer index, NaN for none) sums into
  // the cells. invalid_input when from_date > to_date or value has the wrong length.
  migration_matrix migration(std::int32_t from_date, std::int32_t to_date,
                             const std::vector<double>* value = nullptr) const;
  tier_flows flows() const;
  // Spells that began on days [from_date, to_date), in the order they were appended.
  std::vector<std::int64_t> changes(std::int32_t from_date, std::int32_t to_date) const;
  // Rows of spells() of one customer (index), in time order.
  std::vector<std::int64_t> history(std::uint32_t customer) const;
  // Checks the invariants above; throws std::logic_error naming the first violation.
  void check_invariants() const;

  bool operator==(const tier_ledger& o) const;

  struct impl;  // internal (src/over_time/ledger_impl.hpp)

 private:
  friend tier_ledger tier_ledger_from_bytes(const std::string& bytes);
  friend std::string to_bytes(const tier_ledger& l);
  std::unique_ptr<impl> impl_;
};

}  // namespace tierkit
