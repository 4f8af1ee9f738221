#include "tierkit/service/plan.hpp"

#include <algorithm>
#include <cmath>

#include "detail/enum_names.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

// Longest cadence accepted: a century of days (longer is a typo, and keeps day arithmetic
// far from the limits of 32-bit day numbers).
constexpr std::int32_t max_cadence_days = 36'525;
constexpr std::int32_t max_per_period = 100'000;
// Channels are numbered in 10 bits next to a day in the contact index (contacts.cpp).
constexpr std::size_t max_channels = 1000;

void add_unique(std::vector<std::string>& v, const std::string& s) {
  if (!s.empty() && std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
}

}  // namespace

namespace {
constexpr detail::enum_table<owner_change, 2> owner_changes{
    {{owner_change::keep, "keep"}, {owner_change::reassign, "reassign"}}};
}  // namespace

const char* owner_change_name(owner_change c) noexcept { return owner_changes.name(c); }

owner_change parse_owner_change(const std::string& name, const char* what) {
  if (const auto c = owner_changes.find(name)) return *c;
  throw invalid_input(std::string(what) + ": expected " + owner_changes.choices() + "; got '" + name + "'");
}

void service_plan::validate(const char* function) const {
  const std::string fn(function);
  std::vector<std::string> seen;
  for (const tier_service& t : tiers) {
    if (t.tier.empty()) throw invalid_input(fn + ": a service plan entry has an empty tier name");
    if (std::find(seen.begin(), seen.end(), t.tier) != seen.end()) {
      throw invalid_input(fn + ": the service plan names tier '" + t.tier + "' twice");
    }
    seen.push_back(t.tier);
    const std::string where = fn + ": the plan of tier '" + t.tier + "'";
    if (!(t.response_hours >= 0) || !std::isfinite(t.response_hours)) {
      throw invalid_input(where + ": response_hours must be a number >= 0; got " +
                          detail::format_number(t.response_hours));
    }
    if (t.first_contact_days < 0 || t.first_contact_days > max_cadence_days) {
      throw invalid_input(where + ": first_contact_days must be from 0 to " +
                          detail::format_count(max_cadence_days) + "; got " +
                          std::to_string(t.first_contact_days));
    }
    for (std::size_t r = 0; r < t.cadence.size(); ++r) {
      const contact_rule& c = t.cadence[r];
      const std::string rw = where + ", cadence rule " + std::to_string(r + 1);
      if (c.every_days < 0) {
        throw invalid_input(rw + ": every_days must be positive; got " + std::to_string(c.every_days));
      }
      if (c.per_period < 0) {
        throw invalid_input(rw + ": per_period must be positive; got " + std::to_string(c.per_period));
      }
      if ((c.every_days > 0) == (c.per_period > 0)) {
        throw invalid_input(rw + ": give exactly one of every_days (a contact at least every N "
                            "days) and per_period (at least k contacts per period); got " +
                            (c.every_days > 0 ? "both" : "neither"));
      }
      if (c.every_days > max_cadence_days) {
        throw invalid_input(rw + ": every_days must be at most " + detail::format_count(max_cadence_days) +
                            "; got " + std::to_string(c.every_days));
      }
      if (c.per_period > max_per_period) {
        throw invalid_input(rw + ": per_period must be at most " + detail::format_count(max_per_period) +
                            "; got " + std::to_string(c.per_period));
      }
      if (c.per_period > 0 && c.period == period_kind::day) {
        throw invalid_input(rw + ": per_period needs a period of a week or longer (for daily "
                            "contacts use every_days: 1)");
      }
      if (!c.channel.empty() && !t.channels.empty() &&
          std::find(t.channels.begin(), t.channels.end(), c.channel) == t.channels.end()) {
        throw invalid_input(rw + ": channel '" + c.channel + "' is not among the tier's channels" +
                            detail::suggest_names(c.channel, t.channels));
      }
    }
  }
  if (channels().size() > max_channels) {
    throw invalid_input(fn + ": the plan names " + std::to_string(channels().size()) +
                        " channels; at most " + std::to_string(max_channels) + " are supported");
  }
}

void service_plan::check_tiers(const std::vector<std::string>& known, const char* function) const {
  for (const tier_service& t : tiers) {
    if (std::find(known.begin(), known.end(), t.tier) == known.end()) {
      throw invalid_input(std::string(function) + ": the service plan names tier '" + t.tier +
                          "', which the policy does not have" + detail::suggest_names(t.tier, known));
    }
  }
}

const tier_service* service_plan::find(std::string_view tier) const noexcept {
  for (const tier_service& t : tiers) {
    if (t.tier == tier) return &t;
  }
  return nullptr;
}

std::vector<std::string> service_plan::channels() const {
  std::vector<std::string> out;
  for (const tier_service& t : tiers) {
    for (const std::string& c : t.channels) add_unique(out, c);
    for (const contact_rule& r : t.cadence) add_unique(out, r.channel);
  }
  return out;
}

std::vector<std::string> service_plan::owner_roles() const {
  std::vector<std::string> out;
  for (const tier_service& t : tiers) add_unique(out, t.owner_role);
  return out;
}

}  // namespace tierkit
