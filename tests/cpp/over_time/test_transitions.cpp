// The transition engine, one customer at a time, on hand-worked sequences.
#include <doctest/doctest.h>

#include <tierkit/tierkit.hpp>

#include <string>
#include <utility>
#include <vector>

using namespace tierkit;

namespace {

// Gold (0) > Silver (1) > Bronze (2).
transition_rules three_tiers(std::vector<tier_transition> t = {}, std::int32_t protect = 0) {
  transition_rules r;
  r.tiers = {"Gold", "Silver", "Bronze"};
  r.transitions = std::move(t);
  r.protect_new_days = protect;
  r.validate("test");
  return r;
}

struct run {
  explicit run(transition_rules r) : rules(std::move(r)) {}
  transition_rules rules;
  customer_state state;
  std::vector<std::int32_t> held;
  std::vector<change_reason> why;

  run& see(std::int32_t raw, std::int32_t date = 0, std::int32_t first = INT32_MIN) {
    const transition_step s = assess(state, observation{date, raw, 0, first}, rules);
    state = s.state;
    held.push_back(state.held);
    why.push_back(s.reason);
    return *this;
  }
};

}  // namespace

TEST_CASE("the first assessment holds the raw tier at once") {
  run r{three_tiers()};
  r.see(1, 10);
  CHECK(r.state.held == 1);
  CHECK(r.state.since == 10);
  CHECK(r.why[0] == change_reason::initial);
}

TEST_CASE("by default, tiers follow the raw tier at once both ways") {
  run r{three_tiers()};
  r.see(2).see(0).see(1).see(1);
  CHECK(r.held == std::vector<std::int32_t>{2, 0, 1, 1});
  CHECK(r.why == std::vector<change_reason>{change_reason::initial, change_reason::upgrade,
                                            change_reason::downgrade, change_reason::none});
}

TEST_CASE("an upgrade then an immediate dip: grace 3 keeps the tier, on watch") {
  run r{three_tiers({{1, 3, downgrade_target::raw}, {1, 1, downgrade_target::raw}, {}})};
  r.see(1).see(0).see(1).see(1);
  CHECK(r.held == std::vector<std::int32_t>{1, 0, 0, 0});
  CHECK(r.state.below == 2);
  CHECK(assessments_to_downgrade(r.state, r.rules) == 1);
  r.see(2);  // the third assessment below Gold: down to the latest raw tier
  CHECK(r.state.held == 2);
  CHECK(r.why.back() == change_reason::downgrade);
  CHECK(r.state.below == 0);
}

TEST_CASE("requalifying during grace ends the watch and restarts the count") {
  run r{three_tiers({{1, 3, downgrade_target::raw}, {}, {}})};
  r.see(0).see(1).see(1).see(0).see(1).see(1);
  CHECK(r.held == std::vector<std::int32_t>{0, 0, 0, 0, 0, 0});
  CHECK(r.state.below == 2);
  r.see(1);
  CHECK(r.state.held == 1);
}

TEST_CASE("grace is per tier: the held tier's count applies") {
  // Gold 2, Silver 4.
  run r{three_tiers({{1, 2, downgrade_target::raw}, {1, 4, downgrade_target::raw}, {}})};
  r.see(0).see(2).see(2);  // Gold: two below -> down to Bronze
  CHECK(r.held == std::vector<std::int32_t>{0, 0, 2});
  run s{r.rules};
  s.see(1).see(2).see(2).see(2);
  CHECK(s.state.held == 1);
  CHECK(s.state.below == 3);
  s.see(2);
  CHECK(s.state.held == 2);
}

TEST_CASE("downgrade one step at a time, each step with its own grace") {
  run r{three_tiers({{1, 2, downgrade_target::one_step}, {1, 2, downgrade_target::one_step}, {}})};
  r.see(0).see(2).see(2).see(2).see(2);
  CHECK(r.held == std::vector<std::int32_t>{0, 0, 1, 1, 2});
}

TEST_CASE("upgrade after M consecutive qualifying assessments; the highest qualified tier wins") {
  // Gold needs 3, Silver 2.
  run r{three_tiers({{3, 1, downgrade_target::raw}, {2, 1, downgrade_target::raw}, {}})};
  r.see(2).see(0).see(0);
  CHECK(r.held == std::vector<std::int32_t>{2, 2, 1});  // Silver after two at Silver or above
  r.see(0);
  CHECK(r.state.held == 0);  // three at Gold
  run s{r.rules};
  s.see(2).see(0).see(2).see(0).see(0);  // the dip breaks the streak
  CHECK(s.held == std::vector<std::int32_t>{2, 2, 2, 2, 1});
}

TEST_CASE("a protected new customer is not downgraded and does not count toward the watch") {
  run r{three_tiers({}, 90)};
  r.see(0, 100, 50).see(2, 130, 50);  // 80 days after the first purchase: protected
  CHECK(r.state.held == 0);
  CHECK(r.state.below == 0);
  r.see(2, 160, 50);  // 110 days: no longer protected
  CHECK(r.state.held == 2);
}

TEST_CASE("a fixed override holds its tier; on expiry the rules take over with fresh counts") {
  transition_rules rules = three_tiers({{1, 2, downgrade_target::raw}, {}, {}});
  run r{rules};
  r.see(1, 1);
  transition_step b = begin_override(r.state, override_kind::fixed, 0, 5);
  CHECK(b.reason == change_reason::manual);
  CHECK(b.state.held == 0);
  CHECK(b.state.since == 5);
  r.state = b.state;
  r.see(2, 10).see(2, 20);  // below Gold, but held by the override: no watch
  CHECK(r.state.held == 0);
  CHECK(r.state.below == 0);
  transition_step e = end_override(r.state, 25, rules);  // expiry judged on raw Bronze, count 1 of 2
  CHECK(e.reason == change_reason::none);
  CHECK(e.state.held == 0);
  CHECK(e.state.below == 1);
  r.state = e.state;
  r.see(2, 30);
  CHECK(r.state.held == 2);
  CHECK(r.why.back() == change_reason::downgrade);
}

TEST_CASE("an override ending with downgrade_after 1 drops to the raw tier at once") {
  transition_rules rules = three_tiers();
  run r{rules};
  r.see(2, 1);
  r.state = begin_override(r.state, override_kind::fixed, 0, 2).state;
  const transition_step e = end_override(r.state, 9, rules);
  CHECK(e.state.held == 2);
  CHECK(e.reason == change_reason::override_expired);
  CHECK(e.state.since == 9);
}

TEST_CASE("a floor below the raw tier lets the rules lift the customer above it") {
  transition_rules rules = three_tiers();
  run r{rules};
  r.see(2, 1);
  transition_step b = begin_override(r.state, override_kind::floor, 1, 2);  // at least Silver
  CHECK(b.state.held == 1);
  CHECK(b.reason == change_reason::manual);
  r.state = b.state;
  r.see(0, 3);  // raw Gold, above the floor
  CHECK(r.state.held == 0);
  CHECK(r.why.back() == change_reason::upgrade);
  r.see(2, 4);  // raw Bronze: the rules go down, the floor holds Silver
  CHECK(r.state.held == 1);
  CHECK(r.why.back() == change_reason::downgrade);
  r.see(2, 5);
  CHECK(r.state.held == 1);
  CHECK(r.why.back() == change_reason::none);
  CHECK(r.state.below == 0);
}

TEST_CASE("a customer returning after falling to the lowest tier moves up again") {
  run r{three_tiers()};
  r.see(0).see(2).see(2).see(0);
  CHECK(r.held == std::vector<std::int32_t>{0, 2, 2, 0});
  CHECK(r.why.back() == change_reason::upgrade);
}

TEST_CASE("a new policy version re-tiers at its raw tier with fresh counts") {
  transition_rules rules = three_tiers({{1, 3, downgrade_target::raw}, {}, {}});
  run r{rules};
  r.see(0).see(2);
  CHECK(r.state.below == 1);
  const transition_step p = change_policy(r.state, observation{7, 1, 3, INT32_MIN}, rules);
  CHECK(p.reason == change_reason::policy_changed);
  CHECK(p.state.held == 1);
  CHECK(p.state.below == 0);
  CHECK(p.state.since == 7);
}

TEST_CASE("transition rules are validated") {
  transition_rules r;
  CHECK_THROWS_WITH_AS(r.validate("f"), "f: the tier ranking is empty", invalid_input);
  r.tiers = {"A", "A"};
  CHECK_THROWS_WITH_AS(r.validate("f"), "f: tier 'A' is ranked twice", invalid_input);
  r.tiers = {"A", "B"};
  r.transitions = {{17, 1, downgrade_target::raw}, {}};
  CHECK_THROWS_WITH_AS(r.validate("f"), "f: tier 'A': upgrade_after must be between 1 and 16; got 17",
                       invalid_input);
  r.transitions = {{}};
  CHECK_THROWS_AS(r.validate("f"), invalid_input);
  CHECK(parse_downgrade_target("one_step") == downgrade_target::one_step);
  CHECK_THROWS_AS(parse_override_kind("soft"), invalid_input);
}
