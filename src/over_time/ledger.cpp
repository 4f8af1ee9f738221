#include "tierkit/over_time/ledger.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <stdexcept>
#include <tuple>

#include "over_time/ledger_impl.hpp"
#include "tierkit/calendar.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr const char* fn = "tierkit.tier_ledger";
using detail::key_dictionary;

std::string key_kind_text(bool is_string) { return is_string ? "text" : "integer"; }

// The version in force on `day`: the last whose effective_from is on or before it; the
// first version applies from the beginning.
std::int32_t version_at(const std::vector<policy_version>& versions, std::int32_t day) {
  std::int32_t v = 0;
  for (std::size_t i = 1; i < versions.size(); ++i) {
    if (versions[i].effective_from <= day) v = static_cast<std::int32_t>(i);
  }
  return v;
}

void append_key(customer_keys& keys, const customer_keys& from, std::size_t row) {
  if (from.is_string) {
    if (keys.offsets.empty()) keys.offsets.push_back(0);
    keys.chars.append(from.string_at(row));
    keys.offsets.push_back(static_cast<std::int64_t>(keys.chars.size()));
  } else {
    keys.ints.push_back(from.ints[row]);
  }
}

std::uint32_t find_key(const key_dictionary& d, const customer_keys& k, std::size_t row) {
  return k.is_string ? d.find(k.string_at(row)) : d.find(k.ints[row]);
}

std::uint32_t insert_key(key_dictionary& d, const customer_keys& k, std::size_t row) {
  return k.is_string ? d.insert(k.string_at(row)) : d.insert(k.ints[row]);
}

}  // namespace

std::string policy_fingerprint(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void tier_ledger::impl::register_version(const policy_version& v) {
  std::vector<std::int32_t> ids;
  for (const std::string& t : v.rules.tiers) {
    auto it = std::find(tier_names.begin(), tier_names.end(), t);
    if (it == tier_names.end()) {
      tier_names.push_back(t);
      it = tier_names.end() - 1;
    }
    ids.push_back(static_cast<std::int32_t>(it - tier_names.begin()));
  }
  if (tier_names.size() > 32767) {
    throw invalid_input("tierkit.tier_ledger: more than 32,767 tier names over all policy versions");
  }
  versions.push_back(v);
  version_tiers.push_back(std::move(ids));
}

int tier_ledger::impl::compare_keys(std::uint32_t a, std::uint32_t b) const {
  if (keys.is_string) {
    const int c = keys.string_at(a).compare(keys.string_at(b));
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return keys.ints[a] < keys.ints[b] ? -1 : (keys.ints[a] > keys.ints[b] ? 1 : 0);
}

void tier_ledger::impl::extend_sorted() {
  const std::size_t have = sorted.size(), n = states.size();
  if (have == n) return;
  std::vector<std::uint32_t> fresh(n - have);
  for (std::size_t i = 0; i < fresh.size(); ++i) fresh[i] = static_cast<std::uint32_t>(have + i);
  auto less = [&](std::uint32_t a, std::uint32_t b) { return compare_keys(a, b) < 0; };
  if (!std::is_sorted(fresh.begin(), fresh.end(), less)) std::sort(fresh.begin(), fresh.end(), less);
  std::vector<std::uint32_t> merged;
  merged.reserve(n);
  std::merge(sorted.begin(), sorted.end(), fresh.begin(), fresh.end(), std::back_inserter(merged), less);
  sorted.swap(merged);
}

void tier_ledger::impl::rebuild_events() {
  events.clear();
  for (std::size_t r = 0; r < overrides.size(); ++r) {
    events.push_back({overrides.from[r], false, static_cast<std::uint32_t>(r)});
    if (overrides.to[r] != no_day) events.push_back({overrides.to[r], true, static_cast<std::uint32_t>(r)});
  }
  std::sort(events.begin(), events.end());
  const std::int32_t last = dates.empty() ? std::numeric_limits<std::int32_t>::min() : dates.back();
  next_event = static_cast<std::size_t>(
      std::upper_bound(events.begin(), events.end(), last,
                       [](std::int32_t d, const override_event& e) { return d < e.date; }) -
      events.begin());
  if (dates.empty()) next_event = 0;
}

tier_ledger::tier_ledger() : impl_(std::make_unique<impl>()) {}

tier_ledger::tier_ledger(policy_version first, tier_overrides overrides, ledger_config config)
    : impl_(std::make_unique<impl>()) {
  first.rules.validate(fn);
  overrides.validate(fn);
  impl_->config = config;
  impl_->register_version(first);
  impl_->overrides = std::move(overrides);
  impl_->keys.is_string = impl_->overrides.customer.is_string;
  if (impl_->overrides.size() > 0) {
    impl_->dict.require_kind(impl_->keys.is_string ? key_dictionary::kind::string
                                                   : key_dictionary::kind::integer, "override");
  }
  impl_->rebuild_events();
}

tier_ledger::~tier_ledger() = default;
tier_ledger::tier_ledger(tier_ledger&&) noexcept = default;
tier_ledger& tier_ledger::operator=(tier_ledger&&) noexcept = default;
tier_ledger::tier_ledger(const tier_ledger& o) : impl_(std::make_unique<impl>(*o.impl_)) {}
tier_ledger& tier_ledger::operator=(const tier_ledger& o) {
  if (this != &o) impl_ = std::make_unique<impl>(*o.impl_);
  return *this;
}

void tier_ledger::add_version(policy_version v) {
  impl& s = *impl_;
  if (s.versions.empty()) throw invalid_input(std::string(fn) + ": construct the ledger with a first version");
  v.rules.validate(fn);
  if (!s.dates.empty() && v.effective_from <= s.dates.back()) {
    throw invalid_input(std::string(fn) + ": policy version '" + v.label + "' takes effect on " +
                        format_day(v.effective_from) + ", not after the last assessment (" +
                        format_day(s.dates.back()) + "); a new version cannot change the past");
  }
  if (s.versions.size() > 1 && v.effective_from <= s.versions.back().effective_from) {
    throw invalid_input(std::string(fn) + ": policy version '" + v.label + "' takes effect on " +
                        format_day(v.effective_from) + ", not after the previous version's " +
                        format_day(s.versions.back().effective_from));
  }
  s.register_version(v);
}

void tier_ledger::set_overrides(tier_overrides o) {
  impl& s = *impl_;
  o.validate(fn);
  if (o.size() > 0 && (s.keys.size() > 0 || s.overrides.size() > 0) &&
      o.customer.is_string != s.keys.is_string) {
    throw invalid_input(std::string(fn) + ": the overrides have " + key_kind_text(o.customer.is_string) +
                        " customer keys; the ledger has " + key_kind_text(s.keys.is_string) + " keys");
  }
  // What took effect must not change: the boundaries on or before the last assessment,
  // compared by (date, begin/end, customer, tier, kind).
  if (!s.dates.empty()) {
    using boundary = std::tuple<std::int32_t, bool, std::string, std::string, int>;
    auto past = [&](const tier_overrides& t) {
      std::vector<boundary> out;
      for (std::size_t r = 0; r < t.size(); ++r) {
        const std::string key = t.customer.to_string(r);
        if (t.from[r] <= s.dates.back()) out.emplace_back(t.from[r], false, key, t.tier[r], int(t.kind[r]));
        if (t.to[r] != no_day && t.to[r] <= s.dates.back()) {
          out.emplace_back(t.to[r], true, key, t.tier[r], int(t.kind[r]));
        }
      }
      std::sort(out.begin(), out.end());
      return out;
    };
    if (past(o) != past(s.overrides)) {
      throw invalid_input(std::string(fn) + ": the new override table changes overrides that began or "
                          "ended on or before the last assessment (" + format_day(s.dates.back()) +
                          "); only later days can change");
    }
  }
  // Rows in force now are remembered by row number: map them to the new table's rows.
  std::vector<std::int64_t> remap(s.overrides.size(), -1);
  for (std::size_t r = 0; r < s.overrides.size(); ++r) {
    for (std::size_t q = 0; q < o.size(); ++q) {
      if (o.from[q] == s.overrides.from[r] && o.tier[q] == s.overrides.tier[r] &&
          o.kind[q] == s.overrides.kind[r] &&
          o.customer.to_string(q) == s.overrides.customer.to_string(r)) {
        remap[r] = static_cast<std::int64_t>(q);
        break;
      }
    }
  }
  for (std::int64_t& row : s.override_row) {
    if (row >= 0) row = remap[static_cast<std::size_t>(row)];
  }
  if (o.size() > 0 && s.keys.size() == 0) s.keys.is_string = o.customer.is_string;
  s.overrides = std::move(o);
  s.rebuild_events();
}

void tier_ledger::advance(const assessment_input& a) {
  impl& s = *impl_;
  const std::string f = fn + std::string(".advance");
  if (s.versions.empty()) throw invalid_input(f + ": the ledger has no policy version");
  // --- validation: nothing changes before every check has passed ----------------------
  if (!s.dates.empty() && a.date <= s.dates.back()) {
    throw invalid_input(f + ": assessment dates must ascend; " + format_day(a.date) +
                        " is not after the last assessment, " + format_day(s.dates.back()));
  }
  if (s.dates.size() >= max_assessment_dates) {
    throw invalid_input(f + ": the ledger holds 100,000 assessments, the most one ledger may "
                        "hold; continue in a new ledger");
  }
  if (a.customers == nullptr) throw invalid_input(f + ": no customer keys");
  const customer_keys& keys = *a.customers;
  const std::size_t n = keys.size();
  if (a.raw.size() != n || (!a.rule.empty() && a.rule.size() != n) ||
      (!a.first_purchase.empty() && a.first_purchase.size() != n)) {
    throw invalid_input(f + ": " + std::to_string(n) + " customers but " + std::to_string(a.raw.size()) +
                        " raw tiers, " + std::to_string(a.rule.size()) + " rules and " +
                        std::to_string(a.first_purchase.size()) + " first purchases");
  }
  const bool kind_known = s.keys.size() > 0 || s.overrides.size() > 0;
  if (n > 0 && kind_known && keys.is_string != s.keys.is_string) {
    throw invalid_input(f + ": the assessment has " + key_kind_text(keys.is_string) +
                        " customer keys; the ledger has " + key_kind_text(s.keys.is_string) + " keys");
  }
  const std::int32_t v = version_at(s.versions, a.date);
  const transition_rules& rules = s.versions[static_cast<std::size_t>(v)].rules;
  const auto tiers = static_cast<std::int32_t>(rules.tiers.size());
  std::int64_t bad_raw = 0, bad_rule = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bad_raw += a.raw[i] < 0 || a.raw[i] >= tiers;
    if (!a.rule.empty()) bad_rule += a.rule[i] < rule_none;
  }
  if (bad_raw > 0) {
    throw invalid_input(f + ": " + std::to_string(bad_raw) + " raw tiers are not ranks of the " +
                        std::to_string(tiers) + " tiers of policy version '" +
                        s.versions[static_cast<std::size_t>(v)].label + "'");
  }
  if (bad_rule > 0) throw invalid_input(f + ": " + std::to_string(bad_rule) + " rule indices below -2");
  // Repeated keys: none when the keys ascend strictly (a profile's always do); otherwise
  // counted with a dictionary of the keys.
  bool ascending = true;
  for (std::size_t i = 1; i < n && ascending; ++i) {
    ascending = keys.is_string ? keys.string_at(i - 1) < keys.string_at(i) : keys.ints[i - 1] < keys.ints[i];
  }
  if (!ascending) {
    key_dictionary seen;
    for (std::size_t i = 0; i < n; ++i) insert_key(seen, keys, i);
    if (seen.size() != n) {
      throw invalid_input(f + ": " + std::to_string(n - seen.size()) +
                          " customer keys are repeated in the assessment; each customer is assessed once");
    }
  }
  // Overrides applied now: their tiers must exist in the version they are applied under
  // (events: the version of the last assessment, or the first; in force at this
  // assessment: its version).
  const std::int32_t event_version = std::max(s.current_version, 0);
  std::size_t event_end = s.next_event;
  while (event_end < s.events.size() && s.events[event_end].date <= a.date) ++event_end;
  for (std::size_t e = s.next_event; e < event_end; ++e) {
    const std::uint32_t r = s.events[e].row;
    if (s.versions[static_cast<std::size_t>(event_version)].rules.rank_of(s.overrides.tier[r]) == no_tier) {
      throw invalid_input(f + ": override row " + std::to_string(r + 1) + " names tier '" +
                          s.overrides.tier[r] + "', which policy version '" +
                          s.versions[static_cast<std::size_t>(event_version)].label + "' does not have");
    }
  }
  for (std::size_t r = 0; r < s.overrides.size(); ++r) {
    const bool in_force = s.overrides.from[r] <= a.date && (s.overrides.to[r] == no_day || s.overrides.to[r] > a.date);
    if (in_force && rules.rank_of(s.overrides.tier[r]) == no_tier) {
      throw invalid_input(f + ": override row " + std::to_string(r + 1) + " names tier '" +
                          s.overrides.tier[r] + "', which policy version '" +
                          s.versions[static_cast<std::size_t>(v)].label + "' does not have");
    }
  }

  // --- from here on nothing throws on input --------------------------------------------
  if (n > 0 && !kind_known) s.keys.is_string = keys.is_string;
  auto add_customer = [&](const customer_keys& from, std::size_t row) -> std::uint32_t {
    const std::uint32_t before = static_cast<std::uint32_t>(s.dict.size());
    const std::uint32_t c = insert_key(s.dict, from, row);
    if (c == before) {
      append_key(s.keys, from, row);
      s.states.emplace_back();
      s.open_spell.push_back(-1);
      s.override_row.push_back(-1);
    }
    return c;
  };
  auto to_id = [&](std::int32_t version, std::int32_t rank) {
    return rank == no_tier ? no_tier : s.version_tiers[static_cast<std::size_t>(version)][static_cast<std::size_t>(rank)];
  };
  // A new spell for customer c, whose state already holds the new tier.
  auto record_spell = [&](std::uint32_t c, change_reason why, std::int32_t date, std::int32_t version) {
    const customer_state& st = s.states[c];
    const std::int32_t tier = to_id(version, st.held);
    const std::int32_t rule = why == change_reason::manual ? rule_none : st.rule;
    std::int64_t& open = s.open_spell[c];
    if (open >= 0 && s.spells.from[static_cast<std::size_t>(open)] == date) {
      // A second change on the spell's first day: the day's last change stands.
      const auto o = static_cast<std::size_t>(open);
      s.spells.tier[o] = tier;
      s.spells.reason[o] = why;
      s.spells.rule[o] = rule;
      s.spells.version[o] = version;
      return;
    }
    std::int32_t previous = no_tier;
    if (open >= 0) {
      s.spells.to[static_cast<std::size_t>(open)] = date;
      previous = s.spells.tier[static_cast<std::size_t>(open)];
    }
    open = static_cast<std::int64_t>(s.spells.size());
    s.spells.customer.push_back(c);
    s.spells.tier.push_back(tier);
    s.spells.from.push_back(date);
    s.spells.to.push_back(no_day);
    s.spells.reason.push_back(why);
    s.spells.rule.push_back(rule);
    s.spells.version.push_back(version);
    s.spells.previous_tier.push_back(previous);
  };
  auto record_change = [&](std::uint32_t c, const transition_step& step, std::int32_t date,
                           std::int32_t version) {
    s.states[c] = step.state;
    if (step.reason != change_reason::none) record_spell(c, step.reason, date, version);
  };

  // Override boundaries since the last assessment, in date order.
  {
    const transition_rules& er = s.versions[static_cast<std::size_t>(event_version)].rules;
    for (std::size_t e = s.next_event; e < event_end; ++e) {
      const override_event& ev = s.events[e];
      const std::uint32_t c = add_customer(s.overrides.customer, ev.row);
      if (ev.end) {
        if (s.override_row[c] != static_cast<std::int64_t>(ev.row)) continue;
        s.override_row[c] = -1;
        record_change(c, end_override(s.states[c], ev.date, er), ev.date, event_version);
      } else {
        s.override_row[c] = ev.row;
        record_change(c, begin_override(s.states[c], s.overrides.kind[ev.row],
                                        er.rank_of(s.overrides.tier[ev.row]), ev.date),
                      ev.date, event_version);
      }
    }
    s.next_event = event_end;
  }

  // The assessment: its keys to customer indices. Keys ascending (a profile's): one merge
  // walk along the ledger's keys in key order; new keys are added in their order.
  std::vector<std::uint32_t> index(n);
  if (ascending && n > 0) {
    s.extend_sorted();
    constexpr std::uint32_t fresh = ~std::uint32_t{0};
    std::size_t j = 0;
    const std::size_t m = s.sorted.size();
    for (std::size_t i = 0; i < n; ++i) {
      int c = 1;
      while (j < m) {
        const std::uint32_t id = s.sorted[j];
        if (keys.is_string) {
          const int k = keys.string_at(i).compare(s.keys.string_at(id));
          c = k < 0 ? -1 : (k > 0 ? 1 : 0);
        } else {
          c = keys.ints[i] < s.keys.ints[id] ? -1 : (keys.ints[i] > s.keys.ints[id] ? 1 : 0);
        }
        if (c <= 0) break;
        ++j;
      }
      index[i] = c == 0 ? s.sorted[j] : fresh;
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (index[i] == fresh) index[i] = add_customer(keys, i);
    }
  } else {
    for (std::size_t i = 0; i < n; ++i) index[i] = add_customer(keys, i);
  }
  const bool new_version = s.current_version >= 0 && v != s.current_version;
  const std::int32_t memory = rules.memory();
  const auto known = s.states.size();
  // Each customer's observation, in customer order: the assessment's rows come in key
  // order and the customers in order of first appearance, so the inputs are scattered once
  // here and the pass below reads everything in customer order. A customer absent from the
  // assessment is observed at the lowest tier, not assessed.
  std::vector<observation> seen(known, observation{a.date, rules.lowest(), rule_none, INT32_MIN});
  for (std::size_t i = 0; i < n; ++i) {
    observation& o = seen[index[i]];
    o.raw = a.raw[i];
    o.rule = a.rule.empty() ? rule_none : a.rule[i];
    if (!a.first_purchase.empty() && a.first_purchase[i] != no_day) o.first_purchase = a.first_purchase[i];
  }
  // This assessment's records, written in place (room grows geometrically: an exact
  // reserve per assessment would move every column each time).
  assessment_records& rec = s.records;
  const std::size_t base = rec.size();
  if (rec.held.capacity() < base + known) {
    const std::size_t cap = std::max(base + known, 2 * rec.held.capacity());
    rec.raw.reserve(cap);
    rec.rule.reserve(cap);
    rec.held.reserve(cap);
    rec.below.reserve(cap);
    rec.left.reserve(cap);
    rec.override_active.reserve(cap);
    rec.protected_new.reserve(cap);
  }
  rec.raw.resize(base + known);
  rec.rule.resize(base + known);
  rec.held.resize(base + known);
  rec.below.resize(base + known);
  rec.left.resize(base + known);
  rec.override_active.resize(base + known);
  rec.protected_new.resize(base + known);
  std::int16_t* out_raw = rec.raw.data() + base;
  std::int32_t* out_rule = rec.rule.data() + base;
  std::int16_t* out_held = rec.held.data() + base;
  std::int16_t* out_below = rec.below.data() + base;
  std::int16_t* out_left = rec.left.data() + base;
  override_kind* out_override = rec.override_active.data() + base;
  std::uint8_t* out_protected = rec.protected_new.data() + base;
  const std::int32_t* tier_id = s.version_tiers[static_cast<std::size_t>(v)].data();
  const auto id_of = [&](std::int32_t rank) { return rank == no_tier ? no_tier : tier_id[rank]; };
  for (std::size_t c = 0; c < known; ++c) {
    const observation& o = seen[c];
    customer_state& st = s.states[c];
    if (s.override_row[c] >= 0) {  // ranks of the version applied now
      st.override_rank = rules.rank_of(s.overrides.tier[static_cast<std::size_t>(s.override_row[c])]);
    }
    bool protected_new = false;
    if (new_version && st.held != no_tier) {
      const transition_step step = change_policy(st, o, rules);
      protected_new = step.protected_new;
      record_change(static_cast<std::uint32_t>(c), step, a.date, v);
    } else {
      const change_reason why = assess_in_place(st, o, rules, memory, &protected_new);
      if (why != change_reason::none) record_spell(static_cast<std::uint32_t>(c), why, a.date, v);
    }
    out_raw[c] = static_cast<std::int16_t>(id_of(st.raw));
    out_rule[c] = st.rule;
    out_held[c] = static_cast<std::int16_t>(id_of(st.held));
    out_below[c] = static_cast<std::int16_t>(std::min(st.below, 32767));
    out_left[c] = static_cast<std::int16_t>(std::min(assessments_to_downgrade(st, rules), 32767));
    out_override[c] = st.active;
    out_protected[c] = protected_new ? 1 : 0;
  }
  s.date_versions.push_back(v);
  s.dates.push_back(a.date);
  s.record_offsets.push_back(static_cast<std::int64_t>(s.records.size()));
  s.current_version = v;
}

const customer_keys& tier_ledger::keys() const noexcept { return impl_->keys; }
std::size_t tier_ledger::customers() const noexcept { return impl_->states.size(); }
const std::vector<std::string>& tier_ledger::tier_names() const noexcept { return impl_->tier_names; }
const std::vector<policy_version>& tier_ledger::versions() const noexcept { return impl_->versions; }
const tier_overrides& tier_ledger::overrides() const noexcept { return impl_->overrides; }
const ledger_config& tier_ledger::config() const noexcept { return impl_->config; }
const std::vector<std::int32_t>& tier_ledger::assessment_dates() const noexcept { return impl_->dates; }
const std::vector<std::int64_t>& tier_ledger::record_offsets() const noexcept { return impl_->record_offsets; }
const spell_table& tier_ledger::spells() const noexcept { return impl_->spells; }
const assessment_records& tier_ledger::records() const noexcept { return impl_->records; }
const std::vector<std::int32_t>& tier_ledger::assessment_versions() const noexcept { return impl_->date_versions; }

std::int32_t tier_ledger::downgrade_on(std::size_t k, std::size_t row) const noexcept {
  const impl& s = *impl_;
  if (k >= s.dates.size() || row >= s.records.size() || !s.config.frequency) return no_day;
  const std::int16_t left = s.records.left[row];
  return left > 0 ? assessment_after(*s.config.frequency, s.dates[k], left) : no_day;
}
const std::vector<customer_state>& tier_ledger::states() const noexcept { return impl_->states; }

std::vector<std::int64_t> tier_ledger::find(const customer_keys& k) const {
  std::vector<std::int64_t> out(k.size(), -1);
  if (k.size() == 0 || impl_->states.empty() || k.is_string != impl_->keys.is_string) return out;
  for (std::size_t i = 0; i < k.size(); ++i) {
    const std::uint32_t c = find_key(impl_->dict, k, i);
    if (c != key_dictionary::no_index) out[i] = c;
  }
  return out;
}

// Spells of each customer in time order: appended in time order per customer, so a stable
// counting sort by customer keeps it.
void tier_ledger::impl::build_index() const {
  if (indexed_spells == spells.size() && by_customer_offsets.size() == states.size() + 1) return;
  const std::size_t n = states.size();
  by_customer_offsets.assign(n + 1, 0);
  for (std::uint32_t c : spells.customer) ++by_customer_offsets[c + 1];
  for (std::size_t c = 0; c < n; ++c) by_customer_offsets[c + 1] += by_customer_offsets[c];
  by_customer_rows.assign(spells.size(), 0);
  std::vector<std::int64_t> at(by_customer_offsets.begin(), by_customer_offsets.end() - 1);
  for (std::size_t r = 0; r < spells.size(); ++r) {
    by_customer_rows[static_cast<std::size_t>(at[spells.customer[r]]++)] = static_cast<std::int64_t>(r);
  }
  indexed_spells = spells.size();
}

tier_snapshot tier_ledger::at(std::int32_t day) const {
  const impl& s = *impl_;
  s.build_index();
  tier_snapshot out;
  out.date = day;
  for (std::size_t c = 0; c < s.states.size(); ++c) {
    const std::int64_t* first = s.by_customer_rows.data() + s.by_customer_offsets[c];
    const std::int64_t* last = s.by_customer_rows.data() + s.by_customer_offsets[c + 1];
    // The last spell beginning on or before `day`.
    const std::int64_t* it = std::upper_bound(first, last, day, [&](std::int32_t d, std::int64_t r) {
      return d < s.spells.from[static_cast<std::size_t>(r)];
    });
    if (it == first) continue;
    const auto r = static_cast<std::size_t>(*(it - 1));
    if (s.spells.to[r] != no_day && s.spells.to[r] <= day) continue;
    out.customer.push_back(static_cast<std::uint32_t>(c));
    out.tier.push_back(s.spells.tier[r]);
    out.since.push_back(s.spells.from[r]);
    out.spell.push_back(static_cast<std::int64_t>(r));
  }
  return out;
}

migration_matrix tier_ledger::migration(std::int32_t from_date, std::int32_t to_date,
                                        const std::vector<double>* value) const {
  const impl& s = *impl_;
  const std::string f = fn + std::string(".migration");
  if (from_date > to_date) {
    throw invalid_input(f + ": from " + format_day(from_date) + " is after to " + format_day(to_date));
  }
  if (value && value->size() != s.states.size()) {
    throw invalid_input(f + ": " + std::to_string(value->size()) + " values for " +
                        std::to_string(s.states.size()) + " customers");
  }
  const tier_snapshot a = at(from_date), b = at(to_date);
  const std::size_t tiers = s.tier_names.size();
  std::vector<std::int32_t> before(s.states.size(), no_tier), after(s.states.size(), no_tier);
  for (std::size_t i = 0; i < a.customer.size(); ++i) before[a.customer[i]] = a.tier[i];
  for (std::size_t i = 0; i < b.customer.size(); ++i) after[b.customer[i]] = b.tier[i];
  // Cells by tier id (+1 row for "no tier before"); then keep the tiers that occur.
  std::vector<std::int64_t> cells((tiers + 1) * tiers, 0);
  std::vector<double> sums(value ? (tiers + 1) * tiers : 0, 0.0);
  std::vector<std::uint8_t> row_used(tiers + 1, 0), col_used(tiers, 0);
  for (std::size_t c = 0; c < s.states.size(); ++c) {
    if (after[c] == no_tier) continue;  // no tier on to_date: not yet a customer then
    const std::size_t r = before[c] == no_tier ? tiers : static_cast<std::size_t>(before[c]);
    const auto k = static_cast<std::size_t>(after[c]);
    ++cells[r * tiers + k];
    row_used[r] = col_used[k] = 1;
    if (value && !std::isnan((*value)[c])) sums[r * tiers + k] += (*value)[c];
  }
  migration_matrix m;
  m.from_date = from_date;
  m.to_date = to_date;
  for (std::size_t t = 0; t < tiers; ++t) {
    if (row_used[t]) m.from_tiers.push_back(static_cast<std::int32_t>(t));
    if (col_used[t]) m.to_tiers.push_back(static_cast<std::int32_t>(t));
  }
  if (row_used[tiers]) m.from_tiers.push_back(no_tier);
  for (std::int32_t r : m.from_tiers) {
    const std::size_t ri = r == no_tier ? tiers : static_cast<std::size_t>(r);
    for (std::int32_t k : m.to_tiers) {
      m.counts.push_back(cells[ri * tiers + static_cast<std::size_t>(k)]);
      if (value) m.value.push_back(sums[ri * tiers + static_cast<std::size_t>(k)]);
    }
  }
  return m;
}

tier_flows tier_ledger::flows() const {
  const impl& s = *impl_;
  tier_flows out;
  const std::size_t tiers = s.tier_names.size();
  std::vector<std::int64_t> cells;
  for (std::size_t k = 0; k < s.dates.size(); ++k) {
    const auto lo = static_cast<std::size_t>(s.record_offsets[k]);
    const auto hi = static_cast<std::size_t>(s.record_offsets[k + 1]);
    const std::size_t prev_lo = k > 0 ? static_cast<std::size_t>(s.record_offsets[k - 1]) : 0;
    const std::size_t prev_n = k > 0 ? lo - prev_lo : 0;
    cells.assign((tiers + 1) * tiers, 0);
    for (std::size_t i = lo; i < hi; ++i) {
      const std::size_t c = i - lo;  // records list the customers known then in index order:
      // customer c's record of the assessment before is at prev_lo + c when it was known then
      const std::size_t from = c < prev_n ? static_cast<std::size_t>(s.records.held[prev_lo + c]) : tiers;
      ++cells[from * tiers + static_cast<std::size_t>(s.records.held[i])];
    }
    for (std::size_t r = 0; r <= tiers; ++r) {
      for (std::size_t t = 0; t < tiers; ++t) {
        if (cells[r * tiers + t] == 0) continue;
        out.date.push_back(s.dates[k]);
        out.from.push_back(r == tiers ? no_tier : static_cast<std::int32_t>(r));
        out.to.push_back(static_cast<std::int32_t>(t));
        out.customers.push_back(cells[r * tiers + t]);
      }
    }
  }
  return out;
}

std::vector<std::int64_t> tier_ledger::changes(std::int32_t from_date, std::int32_t to_date) const {
  const impl& s = *impl_;
  std::vector<std::int64_t> out;
  for (std::size_t r = 0; r < s.spells.size(); ++r) {
    if (s.spells.from[r] >= from_date && s.spells.from[r] < to_date) out.push_back(static_cast<std::int64_t>(r));
  }
  return out;
}

std::vector<std::int64_t> tier_ledger::history(std::uint32_t customer) const {
  const impl& s = *impl_;
  if (customer >= s.states.size()) {
    throw invalid_input(fn + std::string(".history: customer index ") + std::to_string(customer) +
                        " is not below " + std::to_string(s.states.size()));
  }
  s.build_index();
  return std::vector<std::int64_t>(s.by_customer_rows.begin() + s.by_customer_offsets[customer],
                                   s.by_customer_rows.begin() + s.by_customer_offsets[customer + 1]);
}

void tier_ledger::check_invariants() const {
  const impl& s = *impl_;
  s.build_index();
  auto fail = [](const std::string& what) { throw std::logic_error("tierkit.tier_ledger: invariant broken: " + what); };
  for (std::size_t c = 0; c < s.states.size(); ++c) {
    const auto lo = static_cast<std::size_t>(s.by_customer_offsets[c]);
    const auto hi = static_cast<std::size_t>(s.by_customer_offsets[c + 1]);
    std::size_t open = 0;
    for (std::size_t k = lo; k < hi; ++k) {
      const auto r = static_cast<std::size_t>(s.by_customer_rows[k]);
      if (s.spells.to[r] == no_day) {
        ++open;
        if (k + 1 != hi) fail("customer " + std::to_string(c) + " has an open spell before its last");
        if (s.open_spell[c] != static_cast<std::int64_t>(r)) fail("open spell index of customer " + std::to_string(c));
      } else if (s.spells.to[r] <= s.spells.from[r]) {
        fail("an empty or reversed spell of customer " + std::to_string(c));
      }
      if (k + 1 < hi) {
        const auto next = static_cast<std::size_t>(s.by_customer_rows[k + 1]);
        if (s.spells.from[next] != s.spells.to[r]) fail("a gap or overlap in the spells of customer " + std::to_string(c));
        if (s.spells.previous_tier[next] != s.spells.tier[r]) fail("previous tier of customer " + std::to_string(c));
      }
    }
    if (hi > lo && open != 1) fail("customer " + std::to_string(c) + " has " + std::to_string(open) + " open spells");
    if (hi == lo && s.states[c].held != no_tier) fail("customer " + std::to_string(c) + " holds a tier without a spell");
  }
}

bool tier_ledger::operator==(const tier_ledger& o) const {
  const impl& a = *impl_;
  const impl& b = *o.impl_;
  auto same_keys = [](const customer_keys& x, const customer_keys& y) {
    return x.is_string == y.is_string && x.ints == y.ints && x.chars == y.chars &&
           (x.offsets == y.offsets || (x.size() == 0 && y.size() == 0));
  };
  auto same_versions = [](const std::vector<policy_version>& x, const std::vector<policy_version>& y) {
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (x[i].label != y[i].label || x[i].effective_from != y[i].effective_from ||
          x[i].fingerprint != y[i].fingerprint || !(x[i].rules == y[i].rules) ||
          x[i].rule_names != y[i].rule_names) {
        return false;
      }
    }
    return true;
  };
  const spell_table& p = a.spells;
  const spell_table& q = b.spells;
  const assessment_records& r = a.records;
  const assessment_records& t = b.records;
  return same_versions(a.versions, b.versions) && a.tier_names == b.tier_names &&
         same_keys(a.keys, b.keys) && a.states == b.states && a.open_spell == b.open_spell &&
         a.override_row == b.override_row && a.dates == b.dates &&
         a.record_offsets == b.record_offsets && a.current_version == b.current_version &&
         p.customer == q.customer && p.tier == q.tier && p.from == q.from && p.to == q.to &&
         p.reason == q.reason && p.rule == q.rule && p.version == q.version &&
         p.previous_tier == q.previous_tier && a.date_versions == b.date_versions &&
         r.raw == t.raw && r.rule == t.rule && r.held == t.held && r.below == t.below &&
         r.left == t.left && r.override_active == t.override_active && r.protected_new == t.protected_new;
}

}  // namespace tierkit
