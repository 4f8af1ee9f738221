#pragma once
// The transition engine: how a customer's held tier follows the raw tiers of successive
// assessments. A pure function of (customer state, what happened, rules): everything the
// ledger does over time is these functions applied in date order, so any split of the
// history into steps gives the same result.
//
// Tiers are ranked: rank 0 is the highest, the last rank the lowest (a policy's default
// tier). Per tier (policy for the tier the customer would move to or holds):
//   upgrade_after N    move up to tier T only once the raw tier has been T or higher at N
//                      consecutive assessments (1: at once, the default; at most 16). When
//                      several higher tiers qualify, the highest wins.
//   downgrade_after N  leave the held tier only once the raw tier has been below it at N
//                      consecutive assessments (1: at once, the default). While fewer, the
//                      customer is on watch (关注): `below` counts them; an assessment at or
//                      above the held tier ends the watch.
//   downgrade_to       to the latest raw tier (default) or one step down; after one step,
//                      the new tier's own count starts afresh.
// protect_new_days D: while as_of - first purchase < D, an assessment below the held tier
// neither downgrades nor counts toward the watch (upgrades still apply).
// Overrides (manual tiers): a fixed override holds the customer at its tier whatever the
// raw tier (counts stay at zero); a floor override ("at least Gold") lets the rules run
// and lifts their result to the floor (no watch below the floor). When an override ends,
// the rules take over with fresh counts: the expiry is judged as an assessment on the
// latest raw tier (with downgrade_after 1 a customer whose raw tier is lower drops at
// once; with more, the watch starts at 1).
// A new policy version re-tiers every customer at its first assessment: the held tier
// becomes the new raw tier, counts start afresh, overrides in force still apply.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tierkit {

inline constexpr std::int32_t no_tier = -1;
// Rule index of a raw tier: 0.. the policy's rules, -1 its default tier, and these:
inline constexpr std::int32_t rule_default = -1;
inline constexpr std::int32_t rule_none = -2;  // not assessed (absent, manual, no raw tier yet)
inline constexpr std::int32_t max_upgrade_after = 16;

enum class downgrade_target : std::uint8_t { raw, one_step };
const char* downgrade_target_name(downgrade_target t) noexcept;
// Parses "raw" or "one_step"; throws tierkit::invalid_input otherwise.
downgrade_target parse_downgrade_target(const std::string& name);

struct tier_transition {
  std::int32_t upgrade_after = 1;
  std::int32_t downgrade_after = 1;
  downgrade_target downgrade_to = downgrade_target::raw;

  bool operator==(const tier_transition& o) const noexcept {
    return upgrade_after == o.upgrade_after && downgrade_after == o.downgrade_after &&
           downgrade_to == o.downgrade_to;
  }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & upgrade_after & downgrade_after & downgrade_to;
  }
};

struct transition_rules {
  std::vector<std::string> tiers;            // ranked: highest first, lowest (default) last
  std::vector<tier_transition> transitions;  // one per tier, or empty: defaults for all
  std::int32_t protect_new_days = 0;         // 0: no protection

  // Throws tierkit::invalid_input naming `function`: no tiers, a repeated or empty tier
  // name, transitions of another length than tiers, counts outside [1, 16] (upgrade) or
  // [1, 10,000] (downgrade), negative protection.
  void validate(const char* function) const;
  const tier_transition& of(std::int32_t rank) const noexcept {
    static const tier_transition defaults{};
    return transitions.empty() ? defaults : transitions[static_cast<std::size_t>(rank)];
  }
  std::int32_t lowest() const noexcept { return static_cast<std::int32_t>(tiers.size()) - 1; }
  // Rank of a tier name, or no_tier.
  std::int32_t rank_of(std::string_view tier) const noexcept;
  // Previous raw tiers the upgrade rule must remember: the largest upgrade_after - 1.
  std::int32_t memory() const noexcept;

  bool operator==(const transition_rules& o) const noexcept {
    return tiers == o.tiers && transitions == o.transitions && protect_new_days == o.protect_new_days;
  }

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & tiers & transitions & protect_new_days;
  }
};

enum class override_kind : std::uint8_t { none, fixed, floor };
const char* override_kind_name(override_kind k) noexcept;
// Parses "fixed" or "floor"; throws tierkit::invalid_input otherwise.
override_kind parse_override_kind(const std::string& name);

// Why a held tier changed (a spell began).
enum class change_reason : std::uint8_t {
  none,              // no change
  initial,           // first assessment of the customer
  upgrade,
  downgrade,         // after the watch (grace) ran out, or at once with downgrade_after 1
  manual,            // an override began
  override_expired,  // an override ended and the rules took over
  policy_changed,    // a new policy version re-tiered the customer
};
const char* change_reason_name(change_reason r) noexcept;

// What the engine remembers of one customer between steps.
struct customer_state {
  std::int32_t held = no_tier;         // rank of the held tier
  std::int32_t since = 0;              // day the held tier's spell began (valid once held)
  std::int32_t below = 0;              // consecutive counted assessments below held (watch)
  std::int32_t raw = no_tier;          // latest raw tier
  std::int32_t rule = rule_none;       // rule that named the latest raw tier
  std::int32_t first_purchase = INT32_MIN;  // for protection; INT32_MIN: unknown
  override_kind active = override_kind::none;
  std::int32_t override_rank = no_tier;
  std::int32_t recent_count = 0;       // valid entries of `recent`
  // Raw tiers of earlier assessments, most recent first (for upgrade_after > 1).
  std::array<std::int16_t, max_upgrade_after - 1> recent{};

  bool operator==(const customer_state& o) const noexcept;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar & held & since & below & raw & rule & first_purchase & active & override_rank &
        recent_count;
    for (auto& r : recent) ar & r;
  }
};

// One assessment of one customer.
struct observation {
  std::int32_t date = 0;
  std::int32_t raw = no_tier;               // rank of the raw tier (must be valid)
  std::int32_t rule = rule_none;
  std::int32_t first_purchase = INT32_MIN;  // INT32_MIN: unknown (keeps the state's)
};

struct transition_step {
  customer_state state;
  change_reason reason = change_reason::none;  // none: the held tier did not change
  bool protected_new = false;                  // the assessment fell in the protection
};

// An assessment.
transition_step assess(const customer_state& s, const observation& o, const transition_rules& r);
// The same on the state in place (for loops over many customers): `memory` is
// r.memory(), computed once; returns the reason and sets *protected_new.
change_reason assess_in_place(customer_state& s, const observation& o, const transition_rules& r,
                              std::int32_t memory, bool* protected_new);
// The first assessment under a new policy version (ranks of `o` are the new version's).
transition_step change_policy(const customer_state& s, const observation& o,
                              const transition_rules& new_rules);
// An override begins on `date` (rank in the rules in force).
transition_step begin_override(const customer_state& s, override_kind kind, std::int32_t rank,
                               std::int32_t date);
// The override ends on `date` (exclusive end): the rules take over with fresh counts.
transition_step end_override(const customer_state& s, std::int32_t date, const transition_rules& r);

// Assessments still needed, if the raw tier stays below, before the watched customer is
// downgraded (0 when not on watch).
std::int32_t assessments_to_downgrade(const customer_state& s, const transition_rules& r) noexcept;

}  // namespace tierkit
