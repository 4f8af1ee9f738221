// Owner assignment on hand-worked cases (tierkit/service/owners.hpp).
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <cstdint>
#include <string>
#include <vector>

using namespace tierkit;

namespace {

customer_keys int_keys(std::vector<std::int64_t> k) {
  customer_keys c;
  c.ints = std::move(k);
  return c;
}

// Private > Wealth > Branch > Mass (no owner).
service_plan bank_plan(owner_change wealth_on_upgrade = owner_change::keep) {
  service_plan p;
  auto tier = [](std::string name, std::string role) {
    tier_service t;
    t.tier = std::move(name);
    t.owner_role = std::move(role);
    return t;
  };
  p.tiers = {tier("Private", "private banker"), tier("Wealth", "wealth manager"), tier("Branch", "branch staff"),
             tier("Mass", "")};
  p.tiers[1].on_upgrade = wealth_on_upgrade;
  p.validate("test");
  return p;
}

const std::vector<std::string> tier_names = {"Private", "Wealth", "Branch", "Mass"};

// Owners 10, 11 (branch staff, B1, capacity 2), 20 (wealth manager, B1, 1), 30 (branch
// staff, B2, 1).
owner_roster roster(std::vector<std::int64_t> capacity = {2, 2, 1, 1}, std::vector<std::uint8_t> active = {}) {
  owner_roster r;
  r.id = int_keys({10, 11, 20, 30});
  r.role = {"branch staff", "branch staff", "wealth manager", "branch staff"};
  r.branch = {"B1", "B1", "B1", "B2"};
  r.capacity = std::move(capacity);
  r.active = std::move(active);
  return r;
}

struct period {
  service_tiers tiers;
  owner_request request;

  period(std::vector<std::int64_t> keys, std::vector<std::int32_t> tier, std::vector<std::int32_t> branch,
         std::int32_t date, std::vector<std::int32_t> choice = {}) {
    std::vector<std::int32_t> since(keys.size(), date);
    tiers = service_tiers::fixed(int_keys(std::move(keys)), tier_names, std::move(tier), std::move(since));
    request.date = date;
    request.tiers = &tiers;
    request.branch = std::move(branch);
    request.branch_names = {"B1", "B2"};
    request.choice = std::move(choice);
  }
  period(const period&) = delete;
};

// The owner id of each customer (-1 none).
std::vector<std::int64_t> owner_ids(const owner_assignment& a, const std::vector<std::int32_t>& idx) {
  std::vector<std::int64_t> out;
  for (std::int32_t o : idx) out.push_back(o < 0 ? -1 : a.owners.ints[static_cast<std::size_t>(o)]);
  return out;
}

}  // namespace

TEST_CASE("new customers go to the least-loaded owner of their role and branch, ties by id") {
  const service_plan plan = bank_plan();
  period p({3, 1, 2}, {2, 2, 2}, {0, 0, 0}, 100);
  const owner_assignment a = assign_owners(plan, roster(), p.request);
  CHECK(a.customers.ints == std::vector<std::int64_t>{1, 2, 3});
  CHECK(owner_ids(a, a.owner) == std::vector<std::int64_t>{10, 11, 10});
  CHECK(owner_ids(a, a.credited_to) == std::vector<std::int64_t>{10, 11, 10});
  CHECK(a.load == std::vector<std::int64_t>{2, 1, 0, 0});
  for (owner_reason r : a.reason) CHECK(r == owner_reason::assigned);
  for (owner_cause c : a.cause) CHECK(c == owner_cause::new_customer);
  CHECK(a.owner_since == std::vector<std::int32_t>{100, 100, 100});
}

TEST_CASE("beyond every cap customers go to the pool, reported with the reason") {
  const service_plan plan = bank_plan();
  // Five Branch customers in B1 (caps 2 + 2), a Wealth customer in B2 (no wealth manager
  // there), one without a branch, and a Mass customer (no owner needed).
  period p({1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2, 2, 2, 1, 2, 3}, {0, 0, 0, 0, 0, 1, -1, 0}, 100);
  const owner_assignment a = assign_owners(plan, roster(), p.request);
  CHECK(owner_ids(a, a.owner) == std::vector<std::int64_t>{10, 11, 10, 11, -1, -1, -1, -1});
  CHECK(a.reason[4] == owner_reason::pooled);
  CHECK(a.cause[4] == owner_cause::at_capacity);
  CHECK(a.cause[5] == owner_cause::no_owner);
  CHECK(a.cause[6] == owner_cause::no_branch);
  CHECK(a.reason[7] == owner_reason::not_needed);
  CHECK(a.load == std::vector<std::int64_t>{2, 2, 0, 0});
  const owner_coverage c = coverage(a, plan);
  CHECK(c.customers == std::vector<std::int64_t>{0, 1, 6, 1});
  CHECK(c.with_role == std::vector<std::int64_t>{0, 0, 4, 0});
  CHECK(c.pooled == std::vector<std::int64_t>{0, 1, 2, 0});
  // The next period: a place frees up; the pooled customer of highest priority takes it.
  period q({1, 2, 3, 5, 7}, {2, 2, 2, 2, 2}, {0, 0, 0, 0, -1}, 200);
  const owner_assignment b = assign_owners(plan, roster(), q.request, &a);
  CHECK(owner_ids(b, b.owner) == std::vector<std::int64_t>{10, 11, 10, 11, -1});
  CHECK(b.reason[3] == owner_reason::assigned);
  CHECK(b.cause[3] == owner_cause::from_pool);
  CHECK(b.customers_gone == 3);
}

TEST_CASE("an upgrade keeps the old owner and credited_to; the plan may say reassign") {
  period p1({1}, {2}, {0}, 100);
  const owner_assignment a = assign_owners(bank_plan(), roster(), p1.request);
  REQUIRE(owner_ids(a, a.owner) == std::vector<std::int64_t>{10});
  period p2({1}, {1}, {0}, 200);  // Branch -> Wealth
  const owner_assignment kept = assign_owners(bank_plan(), roster(), p2.request, &a);
  CHECK(owner_ids(kept, kept.owner) == std::vector<std::int64_t>{10});
  CHECK(kept.reason[0] == owner_reason::kept);
  CHECK(owner_ids(kept, kept.credited_to) == std::vector<std::int64_t>{10});
  CHECK(kept.owner_since[0] == 100);
  const owner_coverage c = coverage(kept, bank_plan());
  CHECK(c.with_owner[1] == 1);
  CHECK(c.with_role[1] == 0);  // kept by branch staff, not a wealth manager
  const owner_assignment moved = assign_owners(bank_plan(owner_change::reassign), roster(), p2.request, &a);
  CHECK(owner_ids(moved, moved.owner) == std::vector<std::int64_t>{20});
  CHECK(moved.cause[0] == owner_cause::role_change);
  CHECK(owner_ids(moved, moved.credited_to) == std::vector<std::int64_t>{10});
  CHECK(owner_ids(moved, moved.previous_owner) == std::vector<std::int64_t>{10});
  CHECK(moved.owner_since[0] == 200);
  // Back down: the wealth manager hands the customer to branch staff (on_downgrade reassign).
  period p3({1}, {2}, {0}, 300);
  const owner_assignment down = assign_owners(bank_plan(owner_change::reassign), roster(), p3.request, &moved);
  CHECK(owner_ids(down, down.owner) == std::vector<std::int64_t>{10});
  CHECK(down.cause[0] == owner_cause::role_change);
  CHECK(owner_ids(down, down.credited_to) == std::vector<std::int64_t>{10});
}

TEST_CASE("the customer's choice: honoured for an owner of the role, refused otherwise") {
  period p1({1}, {2}, {0}, 100);
  const owner_assignment a = assign_owners(bank_plan(), roster(), p1.request);
  period chose({1}, {1}, {0}, 200, {2});  // roster row 2: owner 20, a wealth manager
  const owner_assignment b = assign_owners(bank_plan(), roster(), chose.request, &a);
  CHECK(owner_ids(b, b.owner) == std::vector<std::int64_t>{20});
  CHECK(b.reason[0] == owner_reason::choice);
  CHECK(owner_ids(b, b.credited_to) == std::vector<std::int64_t>{10});
  // Choosing to stay with the old owner when the plan would reassign.
  period stay({1}, {1}, {0}, 200, {0});
  const owner_assignment c = assign_owners(bank_plan(owner_change::reassign), roster(), stay.request, &a);
  CHECK(owner_ids(c, c.owner) == std::vector<std::int64_t>{10});
  CHECK(c.reason[0] == owner_reason::choice);
  // Choosing branch staff of another branch for a Wealth tier: refused, procedure instead.
  period wrong({1}, {1}, {0}, 200, {3});
  const owner_assignment d = assign_owners(bank_plan(owner_change::reassign), roster(), wrong.request, &a);
  CHECK(owner_ids(d, d.owner) == std::vector<std::int64_t>{20});
  CHECK(d.reason[0] == owner_reason::assigned);
  CHECK(d.cause[0] == owner_cause::choice_refused);
  // An owner not in the roster (-2).
  period unknown({1}, {2}, {0}, 200, {-2});
  const owner_assignment e = assign_owners(bank_plan(), roster(), unknown.request, &a);
  CHECK(e.cause[0] == owner_cause::choice_refused);
}

TEST_CASE("an owner leaving releases its customers to the same procedure") {
  period p1({1, 2}, {2, 2}, {0, 0}, 100);
  const owner_assignment a = assign_owners(bank_plan(), roster(), p1.request);
  REQUIRE(owner_ids(a, a.owner) == std::vector<std::int64_t>{10, 11});
  period p2({1, 2}, {2, 2}, {0, 0}, 200);
  SUBCASE("inactive in the roster") {
    const owner_assignment b = assign_owners(bank_plan(), roster({2, 2, 1, 1}, {0, 1, 1, 1}), p2.request, &a);
    CHECK(owner_ids(b, b.owner) == std::vector<std::int64_t>{11, 11});
    CHECK(b.cause[0] == owner_cause::owner_left);
    CHECK(owner_ids(b, b.credited_to) == std::vector<std::int64_t>{10, 11});
    CHECK(b.load[0] == 0);
  }
  SUBCASE("gone from the roster: still named as credited_to") {
    owner_roster r = roster();
    r.id = int_keys({11, 20, 30});
    r.role.erase(r.role.begin());
    r.branch.erase(r.branch.begin());
    r.capacity = {2, 1, 1};
    const owner_assignment b = assign_owners(bank_plan(), r, p2.request, &a);
    CHECK(owner_ids(b, b.owner) == std::vector<std::int64_t>{11, 11});
    CHECK(owner_ids(b, b.credited_to) == std::vector<std::int64_t>{10, 11});
    CHECK(b.roster_size == 3);
    CHECK(b.owners.ints == std::vector<std::int64_t>{11, 20, 30, 10});
  }
}

TEST_CASE("a capacity cut keeps the longest served, then by key; the rest move") {
  period p1({1, 2, 3}, {2, 2, 2}, {0, 0, 0}, 100);
  const owner_assignment a = assign_owners(bank_plan(), roster(), p1.request);
  REQUIRE(owner_ids(a, a.owner) == std::vector<std::int64_t>{10, 11, 10});
  period p2({1, 2, 3}, {2, 2, 2}, {0, 0, 0}, 200);
  const owner_assignment b = assign_owners(bank_plan(), roster({1, 3, 1, 1}), p2.request, &a);
  CHECK(owner_ids(b, b.owner) == std::vector<std::int64_t>{10, 11, 11});
  CHECK(b.reason[2] == owner_reason::assigned);
  CHECK(b.cause[2] == owner_cause::over_capacity);
  for (std::size_t o = 0; o < b.roster_size; ++o) CHECK(b.load[o] <= b.capacity[o]);
}

TEST_CASE("row order does not change the assignment; advancing equals assigning over the history") {
  const service_plan plan = bank_plan();
  period p1({1, 2, 3, 4}, {2, 2, 1, 2}, {0, 0, 0, 1}, 100);
  period p1r({4, 3, 2, 1}, {2, 1, 2, 2}, {1, 0, 0, 0}, 100);
  owner_roster r = roster();
  owner_roster rr;  // the roster's rows reversed
  rr.id = int_keys({30, 20, 11, 10});
  rr.role = {r.role[3], r.role[2], r.role[1], r.role[0]};
  rr.branch = {r.branch[3], r.branch[2], r.branch[1], r.branch[0]};
  rr.capacity = {r.capacity[3], r.capacity[2], r.capacity[1], r.capacity[0]};
  const owner_assignment a = assign_owners(plan, r, p1.request);
  CHECK(a == assign_owners(plan, rr, p1r.request));
  period p2({1, 2, 3, 4, 5}, {1, 2, 1, 2, 2}, {0, 0, 0, 1, 0}, 200);
  const owner_assignment b = assign_owners(plan, r, p2.request, &a);
  std::vector<owner_period> history(2);
  history[0].roster = r;
  history[0].request = p1.request;
  history[1].roster = r;
  history[1].request = p2.request;
  CHECK(assign_owners_over(plan, history) == b);
}

TEST_CASE("owners with roles the plan does not name, and other bad input") {
  owner_roster r = roster();
  r.role[1] = "branch staf";
  period p({1}, {2}, {0}, 100);
  CHECK_THROWS_WITH_AS(assign_owners(bank_plan(), r, p.request), doctest::Contains("did you mean 'branch staff'"),
                       invalid_input);
  r = roster({2, -1, 1, 1});
  CHECK_THROWS_WITH_AS(assign_owners(bank_plan(), r, p.request), doctest::Contains("negative"), invalid_input);
  r = roster();
  r.id = int_keys({10, 10, 20, 30});
  CHECK_THROWS_WITH_AS(assign_owners(bank_plan(), r, p.request), doctest::Contains("repeat"), invalid_input);
}
