#pragma once
// Relationship owners (客户经理 / 保有量管理): which owner serves each customer, kept across
// upgrades, within each owner's capacity, with an unassigned pool (公海) for the rest.
//
//   tierkit::owner_assignment a = tierkit::assign_owners(plan, roster, request, &previous);
//   a.owner, a.reason, a.credited_to, a.load          // per customer and per owner
//   tierkit::owner_coverage c = tierkit::coverage(a, plan);
//
// Rules, applied to every customer with a tier on the request's date whose tier's plan
// names an owner role (the others need no owner: reason not_needed):
// 1. The customer's choice (an owner id) is honoured when that owner is active and has the
//    required role, or is the customer's current owner; otherwise it is refused (cause
//    choice_refused) and rule 4 applies.
// 2. The current owner is kept while active and of the required role. A customer who moved
//    up into its tier keeps its owner whatever the role unless the tier's plan says
//    on_upgrade: reassign; one who moved down keeps it only when the plan says
//    on_downgrade: keep (default reassign; cause role_change). Branch changes move no one.
// 3. Capacity (保有量): an owner holds at most `capacity` customers. When more want to stay
//    with an owner (after a cut in capacity), kept customers go first, by tier rank, then
//    the longest served (owner_since), then key; then customers who chose the owner, by
//    tier rank, value and key; the rest go to rule 4 (causes over_capacity, choice_refused).
// 4. New customers, orphaned ones (their owner left the roster or is inactive: cause
//    owner_left), those released by rules 1-3 and those in the pool go, in order of tier
//    rank (highest first), value (highest first, none last) and key, each to the least
//    loaded active owner of the required role in the customer's branch (fewest customers;
//    ties by owner id: integers numerically, text by bytes). When every such owner is at
//    capacity (cause at_capacity), none exists (no_owner) or the customer has no branch
//    (no_branch), the customer goes to the pool (reason pooled): reported, never dropped.
// 5. credited_to is the first owner a customer ever had; it never changes afterwards.
// The result does not depend on the order of the rows of any input. Advancing from a
// previous assignment period by period equals assign_owners_over() on the same history.
#include <cstdint>
#include <string>
#include <vector>

#include "tierkit/profile.hpp"
#include "tierkit/service/plan.hpp"
#include "tierkit/service/tiers.hpp"

namespace tierkit {

struct owner_roster {
  customer_keys id;                     // owner ids, unique (integers or text)
  std::vector<std::string> role;        // one of the plan's owner roles
  std::vector<std::string> branch;
  std::vector<std::int64_t> capacity;   // customers an owner may hold, >= 0
  std::vector<std::uint8_t> active;     // empty: all active; 0: leaving (keeps and takes none)

  std::size_t size() const noexcept { return id.size(); }
  // Throws invalid_input naming `function`: lengths, repeated ids (counted), negative
  // capacities (counted), roles the plan does not name (with the close names).
  void validate(const service_plan& plan, const char* function) const;
};

// The customers to serve on a date.
struct owner_request {
  std::int32_t date = 0;                 // tiers are read on this day
  const service_tiers* tiers = nullptr;  // borrowed
  // Per customer of the tiers: index into branch_names, -1: unknown. Empty: none known.
  std::vector<std::int32_t> branch;
  std::vector<std::string> branch_names;
  // Per customer: the roster index of the owner the customer chose, -1 none, -2 an owner
  // not in the roster (refused). Empty: no choices.
  std::vector<std::int32_t> choice;
};

enum class owner_reason : std::uint8_t { not_needed, kept, choice, assigned, pooled };
enum class owner_cause : std::uint8_t {
  none,            // kept, chosen, not needed
  new_customer,    // no owner before
  owner_left,      // the owner left the roster or is inactive
  role_change,     // the tier now needs another role
  over_capacity,   // the owner's capacity no longer holds all its customers
  from_pool,       // in the pool before
  choice_refused,  // the chosen owner is unknown, inactive, of another role or full
  no_branch,       // pooled: the customer has no branch
  no_owner,        // pooled: no active owner of the role in the branch
  at_capacity,     // pooled: every such owner is at capacity
};
const char* owner_reason_name(owner_reason r) noexcept;
const char* owner_cause_name(owner_cause c) noexcept;

struct owner_assignment {
  std::int32_t date = 0;
  customer_keys customers;               // ascending
  std::vector<std::string> tier_names;   // ranked
  std::vector<std::int32_t> tier;        // -1: none
  // Owners: the roster's, in id order, then owners no longer in it whom customers still
  // name (previous owners, credited_to), in id order.
  customer_keys owners;
  std::vector<std::int32_t> owner;           // index into owners; -1: none
  std::vector<std::int32_t> credited_to;     // first owner ever; -1: none yet
  std::vector<std::int32_t> owner_since;     // day the current owner took the customer; no_day
  std::vector<std::int32_t> previous_owner;  // owner in the previous assignment; -1
  std::vector<owner_reason> reason;
  std::vector<owner_cause> cause;
  // Per owner of the roster (the first roster_size owners):
  std::size_t roster_size = 0;
  std::vector<std::string> role;
  std::vector<std::string> branch;
  std::vector<std::int64_t> capacity;
  std::vector<std::uint8_t> active;
  std::vector<std::int64_t> load;            // customers held now
  std::int64_t customers_gone = 0;           // in the previous assignment, not in the tiers now

  std::size_t size() const noexcept { return customers.size(); }
  // A previous assignment rebuilt from its columns (customers, tier names and tier,
  // owners, owner, credited_to, owner_since, reason) needs only these; the rest may be
  // empty. Throws invalid_input naming `function` on inconsistent columns.
  void validate(const char* function) const;
  bool operator==(const owner_assignment& o) const;
};

owner_assignment assign_owners(const service_plan& plan, const owner_roster& roster,
                               const owner_request& request,
                               const owner_assignment* previous = nullptr);

// One period of a history: its roster and request.
struct owner_period {
  owner_roster roster;
  owner_request request;
};
// assign_owners applied period after period, each from the one before (the first from
// `start`, or from nothing).
owner_assignment assign_owners_over(const service_plan& plan,
                                    const std::vector<owner_period>& periods,
                                    const owner_assignment* start = nullptr);

// Per tier (in rank order) of an assignment: customers, those needing an owner, with an
// owner, with an owner of the role the plan requires, and pooled.
struct owner_coverage {
  std::vector<std::int32_t> tier;
  std::vector<std::int64_t> customers;
  std::vector<std::int64_t> needing;
  std::vector<std::int64_t> with_owner;
  std::vector<std::int64_t> with_role;
  std::vector<std::int64_t> pooled;
};
owner_coverage coverage(const owner_assignment& a, const service_plan& plan);

// The owner (index into a.owners, -1 none) of each of `customers` (e.g. the tiers' keys,
// for contact_book::sla).
std::vector<std::int32_t> owners_of(const owner_assignment& a, const customer_keys& customers);

}  // namespace tierkit
