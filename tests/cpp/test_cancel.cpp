#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "helpers.hpp"

using namespace tierkit;

namespace {

// Sets a hook for the test's duration and removes it after, whatever happens.
struct scoped_hook {
  explicit scoped_hook(cancel_hook h) { set_cancel_hook(std::move(h)); }
  ~scoped_hook() { set_cancel_hook({}); }
};

// Three chunks of rows (chunks hold at least 2^18 rows), one thread: the checks come in a
// fixed order.
owned_batch three_chunks() {
  owned_batch b;
  const std::size_t n = 700'000;
  for (std::size_t i = 0; i < n; ++i) {
    b.customer.push_back(static_cast<std::int64_t>(i % 5000) * 977);
    b.day.push_back(static_cast<std::int32_t>(18000 + i % 700));
    b.amount.push_back(static_cast<double>(i % 97) - 10.0);
  }
  return b;
}

profile_config one_thread() {
  profile_config c;
  c.threads = 1;
  return c;
}

// How many times an update of `b` asks the hook when nothing stops it.
int checks_of_an_update(owned_batch& b) {
  int calls = 0;
  scoped_hook hook([&] {
    ++calls;
    return false;
  });
  profile_state s(one_thread());
  s.update(b.view());
  return calls;
}

}  // namespace

TEST_CASE("without a hook, or with one that never says stop, nothing is cancelled") {
  owned_batch b = three_chunks();
  const profile plain = make_profile(b.view(), one_thread());
  CHECK(checks_of_an_update(b) >= 4);  // validation, before aggregating, three chunks
  scoped_hook hook([] { return false; });
  CHECK(make_profile(b.view(), one_thread()).monetary == plain.monetary);
}

TEST_CASE("a profile update cancelled before it adds rows leaves the state as it was") {
  owned_batch b = three_chunks();
  profile_state s(one_thread());
  {
    scoped_hook hook([] { return true; });
    CHECK_THROWS_WITH_AS(s.update(b.view()), "tierkit.profile: cancelled", cancelled);
  }
  CHECK(s.rows_read() == 0);
  s.update(b.view());
  const profile p = s.finish();
  CHECK(p.monetary == make_profile(b.view(), one_thread()).monetary);
}

TEST_CASE("a profile update cancelled between chunks leaves a state that refuses further use") {
  owned_batch b = three_chunks();
  const int all = checks_of_an_update(b);
  profile_state s(one_thread());
  {
    int calls = 0;
    scoped_hook hook([&] { return ++calls == all; });  // the last chunk's check
    CHECK_THROWS_AS(s.update(b.view()), cancelled);
  }
  const char* refused = "interrupted (cancelled or failed) while adding an update's rows";
  CHECK_THROWS_WITH_AS(s.finish(), doctest::Contains(refused), invalid_input);
  CHECK_THROWS_WITH_AS(s.update(b.view()), doctest::Contains(refused), invalid_input);
  profile_state fresh(one_thread());
  CHECK_THROWS_WITH_AS(fresh.merge(s), doctest::Contains(refused), invalid_input);
  const profile_state copy = s;
  CHECK_THROWS_WITH_AS(copy.finish(), doctest::Contains(refused), invalid_input);
}

TEST_CASE("finish, tier assignment and average daily balances stop when the hook says so") {
  owned_batch b = three_chunks();
  profile_state s(one_thread());
  s.update(b.view());
  const profile p = s.finish();
  rule_table t;
  t.add_column(float64_column("monetary", p.monetary.data(), p.size()));
  const tier_policy policy({{"Gold", "monetary >= 5000", {}}}, "Bronze");
  balance_events ev{int64_column("account", b.customer.data(), b.customer.size()),
                    day_column("day", b.day.data(), b.day.size()),
                    float64_column("balance", b.amount.data(), b.amount.size())};
  std::atomic<bool> stop{true};
  scoped_hook hook([&] { return stop.load(); });
  CHECK_THROWS_AS(s.finish(), cancelled);
  CHECK_THROWS_WITH_AS(policy.assign(t, 2), "tierkit.tier_policy.assign: cancelled", cancelled);
  CHECK_THROWS_WITH_AS(average_daily_balances(ev, balance_config{}),
                       "tierkit.average_daily_balances: cancelled", cancelled);
  stop = false;
  CHECK(s.finish().monetary == p.monetary);  // finish changes nothing: the state is intact
  CHECK(policy.assign(t, 2).size() == p.size());
}

TEST_CASE("the hook runs on the calling thread only; worker threads stop once it said stop") {
  // Two threads over 700,000 rows: the worker checks too, but only the caller asks the hook.
  owned_batch b = three_chunks();
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> elsewhere{0};
  int calls = 0;
  scoped_hook hook([&] {
    if (std::this_thread::get_id() != caller) ++elsewhere;
    return ++calls > 3;
  });
  profile_config two;
  two.threads = 2;
  CHECK_THROWS_AS(make_profile(b.view(), two), cancelled);
  CHECK(elsewhere == 0);
}
