#include "tierkit/over_time/transitions.hpp"

#include <algorithm>
#include <set>

#include "tierkit/error.hpp"

namespace tierkit {

const char* downgrade_target_name(downgrade_target t) noexcept {
  return t == downgrade_target::raw ? "raw" : "one_step";
}

downgrade_target parse_downgrade_target(const std::string& name) {
  if (name == "raw") return downgrade_target::raw;
  if (name == "one_step") return downgrade_target::one_step;
  throw invalid_input("tierkit: downgrade_to must be 'raw' or 'one_step'; got '" + name + "'");
}

const char* override_kind_name(override_kind k) noexcept {
  switch (k) {
    case override_kind::none: return "none";
    case override_kind::fixed: return "fixed";
    case override_kind::floor: return "floor";
  }
  return "unknown";
}

override_kind parse_override_kind(const std::string& name) {
  if (name == "fixed") return override_kind::fixed;
  if (name == "floor") return override_kind::floor;
  throw invalid_input("tierkit: an override's kind must be 'fixed' or 'floor'; got '" + name + "'");
}

const char* change_reason_name(change_reason r) noexcept {
  switch (r) {
    case change_reason::none: return "none";
    case change_reason::initial: return "initial";
    case change_reason::upgrade: return "upgrade";
    case change_reason::downgrade: return "downgrade";
    case change_reason::manual: return "manual";
    case change_reason::override_expired: return "override expired";
    case change_reason::policy_changed: return "policy changed";
  }
  return "unknown";
}

void transition_rules::validate(const char* function) const {
  const std::string fn = function;
  if (tiers.empty()) throw invalid_input(fn + ": the tier ranking is empty");
  if (tiers.size() > 32767) throw invalid_input(fn + ": more than 32,767 tiers");
  std::set<std::string> seen;
  for (const std::string& t : tiers) {
    if (t.empty()) throw invalid_input(fn + ": a tier name is empty");
    if (!seen.insert(t).second) throw invalid_input(fn + ": tier '" + t + "' is ranked twice");
  }
  if (!transitions.empty() && transitions.size() != tiers.size()) {
    throw invalid_input(fn + ": " + std::to_string(transitions.size()) + " transition settings for " +
                        std::to_string(tiers.size()) + " tiers; give one per tier");
  }
  for (std::size_t i = 0; i < transitions.size(); ++i) {
    const tier_transition& t = transitions[i];
    if (t.upgrade_after < 1 || t.upgrade_after > max_upgrade_after) {
      throw invalid_input(fn + ": tier '" + tiers[i] + "': upgrade_after must be between 1 and " +
                          std::to_string(max_upgrade_after) + "; got " + std::to_string(t.upgrade_after));
    }
    if (t.downgrade_after < 1 || t.downgrade_after > 10000) {
      throw invalid_input(fn + ": tier '" + tiers[i] + "': downgrade_after must be between 1 and "
                          "10,000; got " + std::to_string(t.downgrade_after));
    }
  }
  if (protect_new_days < 0) {
    throw invalid_input(fn + ": protect_new_days must be 0 or more; got " +
                        std::to_string(protect_new_days));
  }
}

std::int32_t transition_rules::rank_of(std::string_view tier) const noexcept {
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    if (tiers[i] == tier) return static_cast<std::int32_t>(i);
  }
  return no_tier;
}

std::int32_t transition_rules::memory() const noexcept {
  std::int32_t m = 0;
  for (const tier_transition& t : transitions) m = std::max(m, t.upgrade_after - 1);
  return m;
}

bool customer_state::operator==(const customer_state& o) const noexcept {
  return held == o.held && since == o.since && below == o.below && raw == o.raw &&
         rule == o.rule && first_purchase == o.first_purchase && active == o.active &&
         override_rank == o.override_rank && recent_count == o.recent_count &&
         std::equal(recent.begin(), recent.begin() + recent_count, o.recent.begin());
}

namespace {

void forget_counts(customer_state& s) noexcept {
  s.below = 0;
  s.recent_count = 0;
  s.recent.fill(0);
}

// The highest tier T in [raw, held) whose upgrade_after is met: the current raw tier and
// the upgrade_after - 1 raw tiers before it are all T or higher (rank <= T).
std::int32_t upgrade_target(const customer_state& s, const transition_rules& r) noexcept {
  for (std::int32_t t = s.raw; t < s.held; ++t) {
    const std::int32_t need = r.of(t).upgrade_after - 1;  // earlier assessments needed
    if (need > s.recent_count) continue;
    bool ok = true;
    for (std::int32_t k = 0; k < need && ok; ++k) ok = s.recent[static_cast<std::size_t>(k)] <= t;
    if (ok) return t;
  }
  return no_tier;
}

// The rules on the state's latest raw tier (already recorded in s.raw): upgrade, watch or
// downgrade, then a floor override's lift. Returns the reason of a change (or none).
change_reason apply_rules(customer_state& s, std::int32_t date, const transition_rules& r,
                          bool protect, bool* protected_new) {
  change_reason why = change_reason::none;
  const std::int32_t before = s.held;
  if (s.raw < s.held) {  // qualifies for a higher tier
    s.below = 0;
    const std::int32_t t = upgrade_target(s, r);
    if (t != no_tier) {
      s.held = t;
      why = change_reason::upgrade;
    }
  } else if (s.raw == s.held) {
    s.below = 0;
  } else if (protect) {  // below, but a new customer is protected
    *protected_new = true;
  } else {
    ++s.below;
    const tier_transition& t = r.of(s.held);
    if (s.below >= t.downgrade_after) {
      s.held = t.downgrade_to == downgrade_target::raw ? s.raw : s.held + 1;
      s.below = 0;
      why = change_reason::downgrade;
    }
  }
  if (s.active == override_kind::floor && s.held > s.override_rank) {
    s.held = s.override_rank;  // the rules went below the floor: lifted back, no watch
    s.below = 0;
  }
  if (s.held != before && why == change_reason::none) why = change_reason::manual;
  if (s.held != before) s.since = date;
  return s.held != before ? why : change_reason::none;
}

void remember_raw(customer_state& s, std::int32_t memory) noexcept {
  if (memory <= 0 || s.raw == no_tier) return;
  const std::int32_t keep = std::min(memory, max_upgrade_after - 1);
  for (std::int32_t k = std::min(s.recent_count, keep - 1); k > 0; --k) {
    s.recent[static_cast<std::size_t>(k)] = s.recent[static_cast<std::size_t>(k - 1)];
  }
  s.recent[0] = static_cast<std::int16_t>(s.raw);
  s.recent_count = std::min(s.recent_count + 1, keep);
}

void record(customer_state& s, const observation& o) noexcept {
  s.raw = o.raw;
  s.rule = o.rule;
  if (o.first_purchase != INT32_MIN) s.first_purchase = o.first_purchase;
}

bool is_protected(const customer_state& s, std::int32_t date, const transition_rules& r) noexcept {
  return r.protect_new_days > 0 && s.first_purchase != INT32_MIN &&
         static_cast<std::int64_t>(date) - s.first_purchase < r.protect_new_days;
}

}  // namespace

change_reason assess_in_place(customer_state& s, const observation& o, const transition_rules& r,
                              std::int32_t memory, bool* protected_new) {
  remember_raw(s, memory);
  record(s, o);
  if (s.held == no_tier) {  // first assessment: the raw tier at once
    s.held = s.raw;
    s.since = o.date;
    forget_counts(s);
    return change_reason::initial;
  }
  if (s.active == override_kind::fixed) {
    if (s.below != 0 || s.recent_count != 0) forget_counts(s);
    return change_reason::none;
  }
  return apply_rules(s, o.date, r, is_protected(s, o.date, r), protected_new);
}

transition_step assess(const customer_state& in, const observation& o, const transition_rules& r) {
  transition_step out{in, change_reason::none, false};
  out.reason = assess_in_place(out.state, o, r, r.memory(), &out.protected_new);
  return out;
}

transition_step change_policy(const customer_state& in, const observation& o,
                              const transition_rules& new_rules) {
  (void)new_rules;
  transition_step out{in, change_reason::policy_changed, false};
  customer_state& s = out.state;
  forget_counts(s);
  record(s, o);
  s.held = s.raw;
  s.since = o.date;
  if (s.active == override_kind::fixed || (s.active == override_kind::floor && s.held > s.override_rank)) {
    s.held = s.override_rank;
  }
  return out;
}

transition_step begin_override(const customer_state& in, override_kind kind, std::int32_t rank,
                               std::int32_t date) {
  transition_step out{in, change_reason::none, false};
  customer_state& s = out.state;
  s.active = kind;
  s.override_rank = rank;
  const std::int32_t before = s.held;
  if (kind == override_kind::fixed) {
    forget_counts(s);
    s.held = rank;
  } else if (s.held == no_tier || s.held > rank) {
    s.held = rank;
    s.below = 0;
  }
  if (s.held != before) {
    s.since = date;
    out.reason = change_reason::manual;
  }
  return out;
}

transition_step end_override(const customer_state& in, std::int32_t date, const transition_rules& r) {
  transition_step out{in, change_reason::none, false};
  customer_state& s = out.state;
  s.active = override_kind::none;
  s.override_rank = no_tier;
  forget_counts(s);
  if (s.raw == no_tier) {  // never assessed: the lowest tier stands in for a raw tier
    s.raw = r.lowest();
    s.rule = rule_none;
  }
  if (s.held == no_tier) {
    s.held = s.raw;
    s.since = date;
    out.reason = change_reason::override_expired;
    return out;
  }
  const change_reason why = apply_rules(s, date, r, is_protected(s, date, r), &out.protected_new);
  out.reason = why == change_reason::none ? why : change_reason::override_expired;
  return out;
}

std::int32_t assessments_to_downgrade(const customer_state& s, const transition_rules& r) noexcept {
  if (s.below <= 0 || s.held == no_tier) return 0;
  return std::max(1, r.of(s.held).downgrade_after - s.below);
}

}  // namespace tierkit
