// Internals: the pool of worker threads behind every parallel section.
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
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

TEST_CASE("two indices run at the same time, the second on a worker that takes no signals") {
  // Index 0 waits (up to 10 s) until index 1 has started; on one thread it would wait the
  // whole time.
  std::atomic<bool> second_started{false};
  bool saw_second = false, second_on_worker = false, worker_blocks_sigint = false;
  const std::thread::id caller = std::this_thread::get_id();
  run_pooled(2, [&](unsigned t) {
    if (t == 1) {
      second_on_worker = std::this_thread::get_id() != caller;
      sigset_t mask;
      pthread_sigmask(SIG_SETMASK, nullptr, &mask);
      worker_blocks_sigint = sigismember(&mask, SIGINT) == 1;
      second_started = true;
      return;
    }
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!second_started && std::chrono::steady_clock::now() < end) std::this_thread::yield();
    saw_second = second_started;
  });
  CHECK(saw_second);
  CHECK(second_on_worker);
  CHECK(worker_blocks_sigint);
}

TEST_CASE("the CPUs the process may use: at least one, at most the hardware's") {
  CHECK(usable_cpus() >= 1);
  if (std::thread::hardware_concurrency() > 0) CHECK(usable_cpus() <= std::thread::hardware_concurrency());
}

TEST_CASE("run_pooled rethrows the lowest throwing index's error after every index ran") {
  for (int round = 0; round < 20; ++round) {
    std::vector<std::atomic<int>> ran(8);
    CHECK_THROWS_WITH_AS(run_pooled(8,
                                    [&](unsigned t) {
                                      ++ran[t];
                                      if (t == 0 || t == 5) throw std::runtime_error("index " + std::to_string(t));
                                    }),
                         "index 0", std::runtime_error);
    for (auto& r : ran) REQUIRE(r == 1);
  }
  CHECK(runs_of(3) == std::vector<int>{1, 1, 1});  // the pool works on after errors
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

#if defined(__linux__)
namespace {
int threads_of_process() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}
}  // namespace

TEST_CASE("idle workers end after two seconds, and the next job starts new ones") {
  REQUIRE(runs_of(4) == std::vector<int>(4, 1));  // at least three workers exist now
  const int busy = threads_of_process();
  std::this_thread::sleep_for(std::chrono::milliseconds(2600));
  CHECK(threads_of_process() <= busy - 3);
  CHECK(runs_of(4) == std::vector<int>(4, 1));
}
#endif
