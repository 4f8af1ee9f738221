#pragma once
// Service plans (服务方案): what each tier is owed -- the owner role that serves it, the
// channels it is served by, how often it must be contacted, its benefits and its
// response-time target.
//
//   tierkit::service_plan plan;
//   tierkit::tier_service diamond;
//   diamond.tier = "Diamond";
//   diamond.owner_role = "private banker";
//   diamond.channels = {"visit", "phone"};
//   diamond.cadence = {{"", 30}, {"visit", 90}};   // any channel every 30 days, a visit every 90
//   plan.tiers.push_back(diamond);
//   plan.validate("my app");                 // tierkit::invalid_input on a bad plan
//   plan.check_tiers(policy_tiers, "my app"); // a plan for a tier the policy lacks
//
// Cadence: a contact_rule is either "a contact at least every N days" or "at least k
// contacts in each period" (week, month, quarter, ...), on one channel or on any channel
// (channel empty). A tier may have several rules; each is tracked on its own, and a
// customer is within cadence when every rule of its tier is met (contacts.hpp states how due
// dates follow from the rules, on tier changes too).
//
// Owners (owners.hpp): a tier with an owner role needs an owner of that role. When a
// customer moves up into a tier, its owner is kept (on_upgrade = keep, the practice of
// Chinese retail banks: the customer is not moved by force) unless the plan says reassign;
// when it moves down, it goes to an owner of the new tier's role unless the plan says keep.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tierkit/calendar.hpp"

namespace tierkit {

// One contact requirement of a tier. Exactly one of every_days and per_period is positive.
struct contact_rule {
  std::string channel;                      // "" = a contact on any channel counts
  std::int32_t every_days = 0;              // > 0: a contact at least every this many days
  std::int32_t per_period = 0;              // > 0: at least this many contacts per period
  period_kind period = period_kind::month;  // the period of per_period

  bool operator==(const contact_rule& o) const {
    return channel == o.channel && every_days == o.every_days && per_period == o.per_period &&
           period == o.period;
  }
};

enum class owner_change : std::uint8_t { keep, reassign };

const char* owner_change_name(owner_change c) noexcept;
// Parses "keep" or "reassign"; throws tierkit::invalid_input naming `what` otherwise.
owner_change parse_owner_change(const std::string& name, const char* what);

// What one tier is owed.
struct tier_service {
  std::string tier;
  std::string owner_role;              // "" = no personal owner (served by the channels alone)
  std::vector<std::string> channels;   // channels the tier is served by (for reports)
  std::vector<contact_rule> cadence;   // may be empty: no contact requirement
  std::vector<std::string> benefits;   // free text (priority service, annual review, ...)
  double response_hours = 0;           // response-time target in hours; 0 = none
  // Days after entering the tier before its cadence can make a customer overdue who was
  // never contacted, or whose last contact is too old for this tier's cadence (0: due on
  // the day of entry). See contacts.hpp.
  std::int32_t first_contact_days = 0;
  owner_change on_upgrade = owner_change::keep;        // owner of a customer moving up into it
  owner_change on_downgrade = owner_change::reassign;  // owner of a customer moving down into it

  bool operator==(const tier_service& o) const {
    return tier == o.tier && owner_role == o.owner_role && channels == o.channels &&
           cadence == o.cadence && benefits == o.benefits && response_hours == o.response_hours &&
           first_contact_days == o.first_contact_days && on_upgrade == o.on_upgrade &&
           on_downgrade == o.on_downgrade;
  }
};

struct service_plan {
  std::vector<tier_service> tiers;     // one entry per tier served; tiers without one are owed nothing
  // Outcomes of a contact that count as a contact made (e.g. "reached", "visited"); empty:
  // every logged contact counts. Other outcomes (no answer, wrong number) are attempts.
  std::vector<std::string> counted_outcomes;

  // Throws tierkit::invalid_input naming `function`, the tier and the setting: an empty or
  // repeated tier name, a rule with both or neither of every_days and per_period positive,
  // a negative or zero cadence, a negative response time or first_contact_days, a rule's
  // channel that the tier's channels (when listed) do not include, more than 1,000
  // channels named.
  void validate(const char* function) const;
  // Throws tierkit::invalid_input when the plan names a tier that `tiers` (the policy's)
  // lacks, with the close names.
  void check_tiers(const std::vector<std::string>& tiers, const char* function) const;
  // The entry of a tier, or nullptr.
  const tier_service* find(std::string_view tier) const noexcept;
  // Every channel the plan names (tiers' channels and rules' channels), in order of first
  // mention.
  std::vector<std::string> channels() const;
  // Every owner role the plan names, in order of first mention.
  std::vector<std::string> owner_roles() const;

  bool operator==(const service_plan& o) const {
    return tiers == o.tiers && counted_outcomes == o.counted_outcomes;
  }
};

}  // namespace tierkit
