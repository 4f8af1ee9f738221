// Internals: the pool of worker threads behind every parallel section.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "detail/customer_log.hpp"  // run_on_threads
#include "detail/worker_pool.hpp"

using namespace tierkit::detail;

namespace {

// Runs run_pooled(n) and returns how often each index ran.
std::vector<int> runs_of(unsigned n) {
  std::vector<std::atomic<int>> count(n);
  run_pooled(n, [&](unsigned t) { ++count[t]; });
  std::vector<int> out;
  for (auto& c : count) out.push_back(c.load());
  return out;
}

}  // namespace

TEST_CASE("every index runs exactly once, for jobs smaller and larger than the pool") {
  for (unsigned n : {0u, 1u, 2u, 3u, 8u, 100u, 1000u}) {
    CAPTURE(n);
    CHECK(runs_of(n) == std::vector<int>(n, 1));
  }
  for (int round = 0; round < 200; ++round) {  // back to back, as a profile's sections come
    REQUIRE(runs_of(2) == std::vector<int>{1, 1});
  }
}

TEST_CASE("two indices run at the same time: the second does not wait for the first") {
  // Index 0 waits (up to 10 s) until index 1 has started; on one thread it would wait the
  // whole time.
  std::atomic<bool> second_started{false};
  bool saw_second = false;
  run_pooled(2, [&](unsigned t) {
    if (t == 1) {
      second_started = true;
      return;
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!second_started && std::chrono::steady_clock::now() < end) std::this_thread::yield();
    saw_second = second_started;
  });
  CHECK(saw_second);
}

TEST_CASE("nested jobs and jobs from several callers at once all complete") {
  std::atomic<int> inner{0};
  run_pooled(4, [&](unsigned) { run_pooled(4, [&](unsigned) { ++inner; }); });
  CHECK(inner == 16);

  std::atomic<int> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 50; ++round) run_pooled(3, [&](unsigned) { ++total; });
    });
  }
  for (auto& th : callers) th.join();
  CHECK(total == 4 * 50 * 3);
}

TEST_CASE("run_on_threads rethrows an index's error after every index has run") {
  std::atomic<int> ran{0};
  CHECK_THROWS_WITH_AS(run_on_threads(6,
                                      [&](unsigned t) {
                                        ++ran;
                                        if (t == 3) throw std::runtime_error("index 3 failed");
                                      }),
                       "index 3 failed", std::runtime_error);
  CHECK(ran == 6);
}

TEST_CASE("a child of fork() runs jobs on a pool of its own") {
  REQUIRE(runs_of(2) == std::vector<int>{1, 1});  // the parent's pool exists and is warm
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(30);  // a hang in the child fails the test instead of blocking it
    const bool ok = runs_of(2) == std::vector<int>{1, 1} && runs_of(50) == std::vector<int>(50, 1);
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(runs_of(2) == std::vector<int>{1, 1});  // and the parent's still works
}
