#include "tierkit/service/owners.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "detail/radix_sort.hpp"
#include "detail/text.hpp"
#include "service/event_index.hpp"  // dictionary_of
#include "tierkit/error.hpp"

namespace tierkit {

namespace {

constexpr const char* fn = "tierkit.assign_owners";
using detail::key_dictionary;

std::uint32_t find_key(const key_dictionary& d, const customer_keys& k, std::size_t i) {
  return k.is_string ? d.find(k.string_at(i)) : d.find(k.ints[i]);
}

void append_key(customer_keys& to, const customer_keys& from, std::size_t i) {
  if (from.is_string) {
    to.is_string = true;
    if (to.offsets.empty()) to.offsets.push_back(0);
    to.chars.append(from.string_at(i));
    to.offsets.push_back(static_cast<std::int64_t>(to.chars.size()));
  } else {
    to.ints.push_back(from.ints[i]);
  }
}

// Keys in ascending order (integers numerically, text by bytes): the permutation.
std::vector<std::uint32_t> key_order(const customer_keys& k) {
  std::vector<std::uint32_t> order(k.size());
  std::iota(order.begin(), order.end(), 0u);
  if (k.is_string) {
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const std::string_view x = k.string_at(a), y = k.string_at(b);
      return x != y ? x < y : a < b;
    });
    return order;
  }
  return detail::order_by_int_keys(k.ints);
}

// Doubles as unsigned keys, highest first, NaN last.
inline std::uint64_t descending(double v) {
  if (std::isnan(v)) return ~std::uint64_t{0};
  v += 0.0;
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  const std::uint64_t asc = (b >> 63) ? ~b : (b | (std::uint64_t{1} << 63));
  return ~asc - 1;  // never equal to the NaN key
}

std::string kind_name(bool is_string) { return is_string ? "text" : "integers"; }

}  // namespace

const char* owner_reason_name(owner_reason r) noexcept {
  switch (r) {
    case owner_reason::not_needed: return "not needed";
    case owner_reason::kept: return "kept";
    case owner_reason::choice: return "customer's choice";
    case owner_reason::assigned: return "assigned";
    case owner_reason::pooled: return "pooled";
  }
  return "unknown";
}

const char* owner_cause_name(owner_cause c) noexcept {
  switch (c) {
    case owner_cause::none: return "";
    case owner_cause::new_customer: return "new customer";
    case owner_cause::owner_left: return "owner left";
    case owner_cause::role_change: return "role change";
    case owner_cause::over_capacity: return "over capacity";
    case owner_cause::from_pool: return "from the pool";
    case owner_cause::choice_refused: return "choice refused";
    case owner_cause::no_branch: return "no branch";
    case owner_cause::no_owner: return "no owner of the role in the branch";
    case owner_cause::at_capacity: return "every owner at capacity";
  }
  return "unknown";
}

void owner_roster::validate(const service_plan& plan, const char* function) const {
  const std::string f(function);
  const std::size_t n = size();
  if (role.size() != n || branch.size() != n || capacity.size() != n || (!active.empty() && active.size() != n)) {
    throw invalid_input(f + ": the roster's columns differ in length (" + detail::format_count(static_cast<std::int64_t>(n)) +
                        " owner ids)");
  }
  std::int64_t repeated = 0;
  detail::dictionary_of(id, &repeated);
  if (repeated) {
    throw invalid_input(f + ": the roster's owner ids repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier id); one row per owner is needed");
  }
  std::int64_t negative = 0;
  for (std::int64_t c : capacity) negative += c < 0;
  if (negative) {
    throw invalid_input(f + ": the roster's capacity must be >= 0; " + detail::rows_text(negative) + " are negative");
  }
  const std::vector<std::string> roles = plan.owner_roles();
  for (std::size_t i = 0; i < n; ++i) {
    if (std::find(roles.begin(), roles.end(), role[i]) == roles.end()) {
      std::int64_t same = 0;
      for (const std::string& r : role) same += r == role[i];
      throw invalid_input(f + ": " + detail::rows_text(same) + " of the roster have the role '" + role[i] +
                          "', which no tier of the service plan needs" + detail::suggest_names(role[i], roles));
    }
  }
}

void owner_assignment::validate(const char* function) const {
  const std::string f(function);
  const std::size_t n = customers.size();
  if (tier.size() != n || owner.size() != n || credited_to.size() != n || owner_since.size() != n ||
      reason.size() != n || (!cause.empty() && cause.size() != n) ||
      (!previous_owner.empty() && previous_owner.size() != n)) {
    throw invalid_input(f + ": the previous assignment's columns differ in length (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + " customers)");
  }
  const auto owners_n = static_cast<std::int32_t>(owners.size());
  const auto tiers_n = static_cast<std::int32_t>(tier_names.size());
  std::int64_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bad += tier[i] < -1 || tier[i] >= tiers_n || owner[i] < -1 || owner[i] >= owners_n || credited_to[i] < -1 ||
           credited_to[i] >= owners_n || (owner[i] >= 0 && !is_supported_day(owner_since[i]));
  }
  if (bad) {
    throw invalid_input(f + ": " + detail::rows_text(bad) + " of the previous assignment hold a tier or owner index "
                        "out of range, or an owner without a supported owner_since day");
  }
  std::int64_t repeated = 0;
  detail::dictionary_of(customers, &repeated);
  if (repeated) {
    throw invalid_input(f + ": the previous assignment's customer keys repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier key)");
  }
}

bool owner_assignment::operator==(const owner_assignment& o) const {
  auto same_keys = [](const customer_keys& a, const customer_keys& b) {
    return a.is_string == b.is_string && a.ints == b.ints && a.chars == b.chars &&
           (a.size() == 0 || a.offsets == b.offsets);
  };
  return date == o.date && same_keys(customers, o.customers) && tier_names == o.tier_names && tier == o.tier &&
         same_keys(owners, o.owners) && owner == o.owner && credited_to == o.credited_to &&
         owner_since == o.owner_since && previous_owner == o.previous_owner && reason == o.reason &&
         cause == o.cause && roster_size == o.roster_size && role == o.role && branch == o.branch &&
         capacity == o.capacity && active == o.active && load == o.load && customers_gone == o.customers_gone;
}

owner_assignment assign_owners(const service_plan& plan, const owner_roster& roster, const owner_request& request,
                               const owner_assignment* previous) {
  plan.validate(fn);
  roster.validate(plan, fn);
  if (request.tiers == nullptr) throw invalid_input(std::string(fn) + ": the request names no tiers");
  const service_tiers& tiers = *request.tiers;
  tiers.validate_spells(fn);
  if (!is_supported_day(request.date)) {
    throw invalid_input(std::string(fn) + ": the date must lie within 0001-01-01 to 9999-12-31");
  }
  const std::size_t n = tiers.size();
  if (!request.branch.empty() && request.branch.size() != n) {
    throw invalid_input(std::string(fn) + ": branch needs one value per customer (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                        detail::format_count(static_cast<std::int64_t>(request.branch.size())));
  }
  if (!request.choice.empty() && request.choice.size() != n) {
    throw invalid_input(std::string(fn) + ": choice needs one value per customer (" +
                        detail::format_count(static_cast<std::int64_t>(n)) + "); got " +
                        detail::format_count(static_cast<std::int64_t>(request.choice.size())));
  }
  const auto branches = static_cast<std::int32_t>(request.branch_names.size());
  for (std::int32_t b : request.branch) {
    if (b < -1 || b >= branches) throw invalid_input(std::string(fn) + ": a branch index is beyond the branch names");
  }
  for (std::int32_t c : request.choice) {
    if (c < -2 || c >= static_cast<std::int32_t>(roster.size())) {
      throw invalid_input(std::string(fn) + ": a choice index is beyond the roster");
    }
  }
  if (previous) {
    previous->validate(fn);
    if (previous->customers.size() && n && previous->customers.is_string != tiers.customers.is_string) {
      throw schema_error(std::string(fn) + ": the previous assignment's customer keys are " +
                         kind_name(previous->customers.is_string) + ", the tiers' " +
                         kind_name(tiers.customers.is_string));
    }
    if (previous->owners.size() && roster.size() && previous->owners.is_string != roster.id.is_string) {
      throw schema_error(std::string(fn) + ": the previous assignment's owner ids are " +
                         kind_name(previous->owners.is_string) + ", the roster's " + kind_name(roster.id.is_string));
    }
  }
  std::int64_t repeated = 0;
  const key_dictionary customers = detail::dictionary_of(tiers.customers, &repeated);
  if (repeated) {
    throw invalid_input(std::string(fn) + ": the tiers' customer keys repeat (" + detail::rows_text(repeated) +
                        " repeat an earlier key); one row per customer is needed");
  }

  owner_assignment a;
  a.date = request.date;
  a.tier_names = tiers.tier_names;

  // --- owners: the roster's in id order, then earlier owners no longer in it --------------
  const std::vector<std::uint32_t> roster_order = key_order(roster.id);
  const std::size_t R = roster.size();
  std::vector<std::int32_t> out_of_roster(R);  // roster row -> owner index
  for (std::size_t k = 0; k < R; ++k) {
    out_of_roster[roster_order[k]] = static_cast<std::int32_t>(k);
    append_key(a.owners, roster.id, roster_order[k]);
  }
  a.owners.is_string = roster.id.is_string;
  a.roster_size = R;
  const std::vector<std::string> roles = plan.owner_roles();
  std::vector<std::int32_t> role_of(R), branch_of(R);
  std::vector<std::uint8_t> active(R, 1);
  std::vector<std::int64_t> cap(R);
  for (std::size_t k = 0; k < R; ++k) {
    const std::size_t row = roster_order[k];
    a.role.push_back(roster.role[row]);
    a.branch.push_back(roster.branch[row]);
    a.capacity.push_back(roster.capacity[row]);
    a.active.push_back(roster.active.empty() ? 1 : (roster.active[row] ? 1 : 0));
    role_of[k] = static_cast<std::int32_t>(std::find(roles.begin(), roles.end(), roster.role[row]) - roles.begin());
    const auto bi = std::find(request.branch_names.begin(), request.branch_names.end(), roster.branch[row]);
    branch_of[k] = bi == request.branch_names.end() ? -1 : static_cast<std::int32_t>(bi - request.branch_names.begin());
    active[k] = a.active.back();
    cap[k] = roster.capacity[row];
  }
  // Previous owners -> owner indices (roster ids found by id; the others appended).
  std::vector<std::int32_t> from_previous_owner;
  if (previous && previous->owners.size()) {
    const key_dictionary roster_ids = detail::dictionary_of(roster.id, nullptr);
    from_previous_owner.assign(previous->owners.size(), -1);
    std::vector<std::uint32_t> extra;
    for (std::size_t j = 0; j < previous->owners.size(); ++j) {
      const std::uint32_t r = R ? find_key(roster_ids, previous->owners, j) : key_dictionary::no_index;
      if (r != key_dictionary::no_index) from_previous_owner[j] = out_of_roster[r];
      else extra.push_back(static_cast<std::uint32_t>(j));
    }
    // Earlier owners in id order, only those a customer still names (filled below).
    customer_keys extra_keys;
    extra_keys.is_string = previous->owners.is_string;
    for (std::uint32_t j : extra) append_key(extra_keys, previous->owners, j);
    const std::vector<std::uint32_t> eo = key_order(extra_keys);
    for (std::size_t k = 0; k < eo.size(); ++k) {
      from_previous_owner[extra[eo[k]]] = static_cast<std::int32_t>(R + k);
    }
    for (std::size_t k = 0; k < eo.size(); ++k) append_key(a.owners, extra_keys, eo[k]);
    if (a.owners.is_string && a.owners.offsets.empty()) a.owners.offsets.push_back(0);
  }
  if (a.owners.is_string && a.owners.offsets.empty()) a.owners.offsets.push_back(0);
  auto in_roster = [&](std::int32_t o) { return o >= 0 && static_cast<std::size_t>(o) < R; };

  // --- previous customers -> current ---------------------------------------------------------
  std::vector<std::int32_t> prev_of(n, -1);
  if (previous) {
    for (std::size_t j = 0; j < previous->customers.size(); ++j) {
      const std::uint32_t c = find_key(customers, previous->customers, j);
      if (c == key_dictionary::no_index) ++a.customers_gone;
      else prev_of[c] = static_cast<std::int32_t>(j);
    }
  }
  auto map_prev = [&](std::int32_t o) { return o < 0 ? -1 : from_previous_owner[static_cast<std::size_t>(o)]; };

  // --- per customer: what it needs and wants -----------------------------------------------
  enum class want : std::uint8_t { none, keep, choice, procedure };
  std::vector<want> wants(n, want::none);
  std::vector<std::int32_t> target(n, -1), tier_now(n, -1), role_need(n, -1), prev_owner(n, -1), credited(n, -1),
      since(n, no_day);
  std::vector<owner_cause> cause(n, owner_cause::none);
  std::vector<owner_reason> reason(n, owner_reason::not_needed);
  std::vector<std::int64_t> load(R, 0);
  // Per tier: the plan's entry and the role it needs (-1: none); per previous tier name: its
  // index among the current tiers (-1: gone). Looked up once, not per customer.
  std::vector<const tier_service*> plan_of(a.tier_names.size(), nullptr);
  std::vector<std::int32_t> role_of_tier(a.tier_names.size(), -1);
  for (std::size_t t = 0; t < a.tier_names.size(); ++t) {
    plan_of[t] = plan.find(a.tier_names[t]);
    if (plan_of[t] && !plan_of[t]->owner_role.empty()) {
      role_of_tier[t] = static_cast<std::int32_t>(std::find(roles.begin(), roles.end(), plan_of[t]->owner_role) -
                                                  roles.begin());
    }
  }
  std::vector<std::int32_t> previous_tier_now;
  if (previous) {
    for (const std::string& name : previous->tier_names) {
      const auto it = std::find(a.tier_names.begin(), a.tier_names.end(), name);
      previous_tier_now.push_back(it == a.tier_names.end() ? -1 : static_cast<std::int32_t>(it - a.tier_names.begin()));
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t sp = tiers.at(i, request.date);
    const std::int32_t t = sp < 0 ? -1 : tiers.tier[static_cast<std::size_t>(sp)];
    tier_now[i] = t;
    const std::int32_t j = prev_of[i];
    std::int32_t prev_tier = -1;
    owner_reason prev_reason = owner_reason::not_needed;
    if (j >= 0) {
      const auto jj = static_cast<std::size_t>(j);
      prev_owner[i] = map_prev(previous->owner[jj]);
      credited[i] = map_prev(previous->credited_to[jj]);
      since[i] = previous->owner_since[jj];
      prev_reason = previous->reason[jj];
      if (previous->tier[jj] >= 0) prev_tier = previous_tier_now[static_cast<std::size_t>(previous->tier[jj])];
    }
    if (t < 0 || role_of_tier[static_cast<std::size_t>(t)] < 0) continue;  // not needed
    const tier_service* p = plan_of[static_cast<std::size_t>(t)];
    const std::int32_t r = role_of_tier[static_cast<std::size_t>(t)];
    role_need[i] = r;
    const std::int32_t o = prev_owner[i];
    const bool usable = in_roster(o) && active[static_cast<std::size_t>(o)];
    bool keepable = false;
    if (usable) {
      const bool up = prev_tier >= 0 && t < prev_tier;
      const bool down = prev_tier >= 0 && t > prev_tier;
      keepable = role_of[static_cast<std::size_t>(o)] == r || (up && p->on_upgrade == owner_change::keep) ||
                 (down && p->on_downgrade == owner_change::keep);
    }
    const std::int32_t chosen = request.choice.empty() ? -1 : request.choice[i];
    if (chosen != -1) {
      const std::int32_t oc = chosen >= 0 ? out_of_roster[static_cast<std::size_t>(chosen)] : -1;
      const bool ok = oc >= 0 && active[static_cast<std::size_t>(oc)] &&
                      (role_of[static_cast<std::size_t>(oc)] == r || oc == o);
      if (ok) {
        wants[i] = (oc == o && keepable) ? want::keep : want::choice;
        target[i] = oc;
        continue;
      }
      cause[i] = owner_cause::choice_refused;
    } else if (o >= 0) {
      if (!usable) cause[i] = owner_cause::owner_left;
      else if (keepable) {
        wants[i] = want::keep;
        target[i] = o;
        continue;
      } else {
        cause[i] = owner_cause::role_change;
      }
    } else {
      cause[i] = prev_reason == owner_reason::pooled ? owner_cause::from_pool : owner_cause::new_customer;
    }
    wants[i] = want::procedure;
  }

  // --- keys in order, for ties ------------------------------------------------------------
  // Keys often come in order already (customer numbers): then no sort is needed.
  std::vector<std::uint32_t> order;
  if (!tiers.customers.is_string && std::is_sorted(tiers.customers.ints.begin(), tiers.customers.ints.end())) {
    order.resize(n);
    std::iota(order.begin(), order.end(), 0u);
  } else {
    order = customers.sorted_order();
  }
  std::vector<std::uint32_t> key_rank(n);
  for (std::size_t k = 0; k < n; ++k) key_rank[order[k]] = static_cast<std::uint32_t>(k);
  auto value_key = [&](std::size_t i) { return tiers.value.empty() ? std::uint64_t{0} : descending(tiers.value[i]); };

  // --- capacity of kept and chosen customers ---------------------------------------------
  for (std::size_t i = 0; i < n; ++i) {
    if (wants[i] == want::keep || wants[i] == want::choice) ++load[static_cast<std::size_t>(target[i])];
  }
  {
    std::vector<std::vector<std::uint32_t>> over(R);
    bool any = false;
    for (std::size_t i = 0; i < n; ++i) {
      if ((wants[i] == want::keep || wants[i] == want::choice) && load[static_cast<std::size_t>(target[i])] > cap[static_cast<std::size_t>(target[i])]) {
        over[static_cast<std::size_t>(target[i])].push_back(static_cast<std::uint32_t>(i));
        any = true;
      }
    }
    if (any) {
      for (std::size_t o = 0; o < R; ++o) {
        std::vector<std::uint32_t>& c = over[o];
        if (c.empty()) continue;
        std::sort(c.begin(), c.end(), [&](std::uint32_t x, std::uint32_t y) {
          const bool kx = wants[x] == want::keep, ky = wants[y] == want::keep;
          if (kx != ky) return kx;
          if (tier_now[x] != tier_now[y]) return tier_now[x] < tier_now[y];
          if (kx) {
            if (since[x] != since[y]) return since[x] < since[y];
          } else if (value_key(x) != value_key(y)) {
            return value_key(x) < value_key(y);
          }
          return key_rank[x] < key_rank[y];
        });
        for (std::size_t k = static_cast<std::size_t>(std::max<std::int64_t>(cap[o], 0)); k < c.size(); ++k) {
          const std::uint32_t i = c[k];
          cause[i] = wants[i] == want::keep ? owner_cause::over_capacity : owner_cause::choice_refused;
          wants[i] = want::procedure;
          target[i] = -1;
        }
        load[o] = std::min<std::int64_t>(load[o], cap[o]);
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (wants[i] == want::keep) {
      reason[i] = owner_reason::kept;
      cause[i] = owner_cause::none;
    } else if (wants[i] == want::choice) {
      reason[i] = owner_reason::choice;
      cause[i] = owner_cause::none;
    }
  }

  // --- the rest: least-loaded owner of the role in the branch ------------------------------
  struct waiting {
    std::uint64_t tier, value;
    std::uint32_t key, customer;
  };
  std::vector<waiting> queue;
  for (std::size_t i = 0; i < n; ++i) {
    if (wants[i] == want::procedure) {
      queue.push_back(waiting{static_cast<std::uint64_t>(tier_now[i]), value_key(i), key_rank[i],
                              static_cast<std::uint32_t>(i)});
    }
  }
  detail::radix_sort_by(queue, [](const waiting& w) { return static_cast<std::uint64_t>(w.key); });
  if (!tiers.value.empty()) detail::radix_sort_by(queue, [](const waiting& w) { return w.value; });
  detail::radix_sort_by(queue, [](const waiting& w) { return w.tier; });
  const std::size_t B = request.branch_names.size();
  const std::size_t groups = roles.size() * B;
  // Per (role, branch): a min-heap of (load, owner index) over active owners below capacity,
  // and how many active owners the group has at all.
  std::vector<std::vector<std::pair<std::int64_t, std::int32_t>>> heaps(groups);
  std::vector<std::int64_t> group_owners(groups, 0);
  auto greater = [](const std::pair<std::int64_t, std::int32_t>& x, const std::pair<std::int64_t, std::int32_t>& y) {
    return x > y;
  };
  for (std::size_t o = 0; o < R; ++o) {
    if (!active[o] || branch_of[o] < 0 || static_cast<std::size_t>(role_of[o]) >= roles.size()) continue;
    const std::size_t g = static_cast<std::size_t>(role_of[o]) * B + static_cast<std::size_t>(branch_of[o]);
    ++group_owners[g];
    if (load[o] < cap[o]) heaps[g].emplace_back(load[o], static_cast<std::int32_t>(o));
  }
  for (auto& h : heaps) std::make_heap(h.begin(), h.end(), greater);
  for (const waiting& w : queue) {
    const std::size_t i = w.customer;
    const std::int32_t b = request.branch.empty() ? -1 : request.branch[i];
    if (b < 0) {
      reason[i] = owner_reason::pooled;
      cause[i] = owner_cause::no_branch;
      continue;
    }
    const std::size_t g = static_cast<std::size_t>(role_need[i]) * B + static_cast<std::size_t>(b);
    auto& h = heaps[g];
    if (h.empty()) {
      reason[i] = owner_reason::pooled;
      cause[i] = group_owners[g] ? owner_cause::at_capacity : owner_cause::no_owner;
      continue;
    }
    std::pop_heap(h.begin(), h.end(), greater);
    auto [l, o] = h.back();
    h.pop_back();
    target[i] = o;
    reason[i] = owner_reason::assigned;
    load[static_cast<std::size_t>(o)] = l + 1;
    if (l + 1 < cap[static_cast<std::size_t>(o)]) {
      h.emplace_back(l + 1, o);
      std::push_heap(h.begin(), h.end(), greater);
    }
  }

  // --- output, customers in key order ------------------------------------------------------
  a.customers.is_string = tiers.customers.is_string;
  if (a.customers.is_string) {
    a.customers.offsets.reserve(n + 1);
    a.customers.offsets.push_back(0);
    a.customers.chars.reserve(tiers.customers.chars.size());
  } else {
    a.customers.ints.reserve(n);
  }
  a.tier.resize(n);
  a.owner.resize(n);
  a.credited_to.resize(n);
  a.owner_since.resize(n);
  a.previous_owner.resize(n);
  a.reason.resize(n);
  a.cause.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = order[k];
    append_key(a.customers, tiers.customers, i);
    a.tier[k] = tier_now[i];
    const std::int32_t o = target[i];
    a.owner[k] = o;
    a.previous_owner[k] = prev_owner[i];
    a.reason[k] = reason[i];
    a.cause[k] = cause[i];
    a.credited_to[k] = credited[i] >= 0 ? credited[i] : o;
    a.owner_since[k] = o < 0 ? no_day : (o == prev_owner[i] && since[i] != no_day ? since[i] : request.date);
  }
  a.load = load;
  // Earlier owners that no customer names any more are dropped from the list.
  if (a.owners.size() > R) {
    std::vector<std::uint8_t> named(a.owners.size(), 0);
    for (std::size_t k = 0; k < n; ++k) {
      for (std::int32_t o : {a.owner[k], a.credited_to[k], a.previous_owner[k]}) {
        if (o >= 0) named[static_cast<std::size_t>(o)] = 1;
      }
    }
    std::vector<std::int32_t> renumber(a.owners.size(), -1);
    customer_keys kept;
    kept.is_string = a.owners.is_string;
    if (kept.is_string) kept.offsets.push_back(0);
    std::int32_t next = 0;
    for (std::size_t o = 0; o < a.owners.size(); ++o) {
      if (o < R || named[o]) {
        renumber[o] = next++;
        append_key(kept, a.owners, o);
      }
    }
    for (std::size_t k = 0; k < n; ++k) {
      for (std::int32_t* o : {&a.owner[k], &a.credited_to[k], &a.previous_owner[k]}) {
        if (*o >= 0) *o = renumber[static_cast<std::size_t>(*o)];
      }
    }
    a.owners = std::move(kept);
  }
  return a;
}

owner_assignment assign_owners_over(const service_plan& plan, const std::vector<owner_period>& periods,
                                    const owner_assignment* start) {
  if (periods.empty()) throw invalid_input("tierkit.assign_owners_over: no periods given");
  owner_assignment a;
  const owner_assignment* prev = start;
  for (const owner_period& p : periods) {
    a = assign_owners(plan, p.roster, p.request, prev);
    prev = &a;
  }
  return a;
}

owner_coverage coverage(const owner_assignment& a, const service_plan& plan) {
  owner_coverage c;
  const std::size_t T = a.tier_names.size();
  c.tier.resize(T);
  std::iota(c.tier.begin(), c.tier.end(), 0);
  c.customers.assign(T, 0);
  c.needing.assign(T, 0);
  c.with_owner.assign(T, 0);
  c.with_role.assign(T, 0);
  c.pooled.assign(T, 0);
  for (std::size_t k = 0; k < a.size(); ++k) {
    const std::int32_t t = a.tier[k];
    if (t < 0) continue;
    const auto ti = static_cast<std::size_t>(t);
    ++c.customers[ti];
    const tier_service* p = plan.find(a.tier_names[ti]);
    const bool needs = p && !p->owner_role.empty();
    c.needing[ti] += needs;
    const std::int32_t o = a.owner[k];
    if (o >= 0) {
      ++c.with_owner[ti];
      if (needs && static_cast<std::size_t>(o) < a.roster_size && a.role[static_cast<std::size_t>(o)] == p->owner_role) {
        ++c.with_role[ti];
      }
    }
    c.pooled[ti] += a.reason[k] == owner_reason::pooled;
  }
  return c;
}

std::vector<std::int32_t> owners_of(const owner_assignment& a, const customer_keys& customers) {
  std::vector<std::int32_t> out(customers.size(), -1);
  if (!a.size()) return out;
  if (customers.size() && customers.is_string != a.customers.is_string) {
    throw schema_error("tierkit.owners_of: the customer keys are " + kind_name(customers.is_string) +
                       ", the assignment's " + kind_name(a.customers.is_string));
  }
  const key_dictionary d = detail::dictionary_of(a.customers, nullptr);
  for (std::size_t i = 0; i < customers.size(); ++i) {
    const std::uint32_t k = find_key(d, customers, i);
    if (k != key_dictionary::no_index) out[i] = a.owner[k];
  }
  return out;
}

}  // namespace tierkit
