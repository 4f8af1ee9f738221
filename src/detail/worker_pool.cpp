#include "detail/worker_pool.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#define TIERKIT_POSIX_THREADS 1
#endif
#if defined(__linux__)
#include <sched.h>
#endif

namespace tierkit::detail {
namespace {

using steady = std::chrono::steady_clock;
// Spinning: a worker that finished its part polls for the next job this long before it
// sleeps (the sections of one profile follow each other well within it); a caller
// polls this long for the others' parts before it sleeps.
constexpr auto worker_spin = std::chrono::microseconds(200);
constexpr auto caller_spin = std::chrono::microseconds(50);
constexpr auto idle_exit = std::chrono::seconds(2);    // a worker idle this long ends
constexpr auto retry_start = std::chrono::seconds(1);  // after a worker failed to start

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready` until it returns true or `limit` has passed; returns its last answer.
template <class Ready>
bool spin_until(Ready ready, std::chrono::microseconds limit) {
  const auto end = steady::now() + limit;
  for (unsigned k = 1;; ++k) {
    if (ready()) return true;
    cpu_relax();
    if (k % 64 == 0 && steady::now() >= end) return ready();
  }
}

unsigned count_usable_cpus() noexcept {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  // The process's mask (its main thread's), not that of whichever thread asks first.
  if (sched_getaffinity(getpid(), sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
    return static_cast<unsigned>(CPU_COUNT(&set));
  }
#endif
  return std::max(1u, std::thread::hardware_concurrency());
}

// One call of run_pooled. Indices are claimed through `next` (0 is the caller's);
// `finished` counts the bodies that have returned; the lowest throwing index's exception
// is kept (under m).
struct job {
  const std::function<void(unsigned)>* body;
  unsigned n;
  std::atomic<unsigned> next{1};
  std::atomic<unsigned> finished{0};
  std::mutex m;
  std::condition_variable all_finished;
  std::exception_ptr error;
  unsigned error_index = ~0u;

  job(const std::function<void(unsigned)>* b, unsigned count) : body(b), n(count) {}

  bool claimable() const noexcept { return next.load(std::memory_order_relaxed) < n; }
  bool done() const noexcept { return finished.load() == n; }

  void run(unsigned t) noexcept {
    try {
      (*body)(t);
    } catch (...) {
      std::lock_guard<std::mutex> g(m);
      if (t < error_index) {
        error_index = t;
        error = std::current_exception();
      }
    }
    if (finished.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> g(m);
      all_finished.notify_all();
    }
  }
  // Runs unclaimed indices until none is left.
  void work() noexcept {
    while (claimable()) {
      const unsigned t = next.fetch_add(1);
      if (t >= n) return;
      run(t);
    }
  }
};

class pool {
 public:
  pool() : cpus_(usable_cpus()), max_workers_(std::max(64u, std::thread::hardware_concurrency())) {
#if defined(__linux__)
    CPU_ZERO(&affinity_);
    has_affinity_ = sched_getaffinity(getpid(), sizeof affinity_, &affinity_) == 0;
#endif
  }
  // Whether threads waiting for the others' work should spin: only while `threads` fit
  // the CPUs (on fewer, a spinning thread holds the CPU the awaited thread needs).
  bool spin_helps(unsigned threads) const noexcept { return threads <= cpus_; }

  // Queues `j` for up to `helpers` workers (started now if fewer exist).
  void submit(const std::shared_ptr<job>& j, unsigned helpers) {
    unsigned wake = 0;
    {
      std::lock_guard<std::mutex> g(m_);
      queue_.push_back(j);
      generation_.fetch_add(1);
      start_workers(std::min(helpers, max_workers_));
      wake = std::min(helpers, workers_);
    }
    for (unsigned k = 0; k < wake; ++k) wake_.notify_one();
  }

  // Takes `j` off the queue once its caller has seen it finish (workers drop exhausted
  // jobs too; whichever comes first).
  void retire(const std::shared_ptr<job>& j) {
    std::lock_guard<std::mutex> g(m_);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), j), queue_.end());
  }

 private:
  // With m_ held. A failure to start a thread is not an error: the caller runs the
  // indices itself, and the pool tries again after retry_start.
  void start_workers(unsigned want) {
    if (workers_ >= want || steady::now() < no_start_before_) return;
#if defined(TIERKIT_POSIX_THREADS)
    // New threads inherit the signal mask: workers take no signals.
    sigset_t all, before;
    sigfillset(&all);
    const bool masked = pthread_sigmask(SIG_SETMASK, &all, &before) == 0;
#endif
    while (workers_ < want) {
      try {
        std::thread(&pool::worker_loop, this).detach();
        ++workers_;
      } catch (...) {  // std::system_error, std::bad_alloc: nothing may escape, j is queued
        no_start_before_ = steady::now() + retry_start;
        break;
      }
    }
#if defined(TIERKIT_POSIX_THREADS)
    if (masked) pthread_sigmask(SIG_SETMASK, &before, nullptr);
#endif
  }

  // With m_ held: the first job with unclaimed indices (exhausted ones are dropped).
  std::shared_ptr<job> claimable_job() {
    while (!queue_.empty() && !queue_.front()->claimable()) queue_.pop_front();
    return queue_.empty() ? nullptr : queue_.front();
  }

  void worker_loop() {
#if defined(__linux__)
    if (has_affinity_) sched_setaffinity(0, sizeof affinity_, &affinity_);
#endif
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (std::shared_ptr<job> j = claimable_job()) {
        lk.unlock();
        j->work();
        j.reset();
        lk.lock();
        continue;
      }
      if (spin_helps(workers_ + 1)) {  // poll for the next submission, without the lock
        const unsigned seen = generation_.load();
        lk.unlock();
        spin_until([&] { return generation_.load(std::memory_order_relaxed) != seen; }, worker_spin);
        lk.lock();
        if (claimable_job()) continue;
      }
      if (wake_.wait_for(lk, idle_exit) == std::cv_status::timeout && !claimable_job()) {
        --workers_;
        return;
      }
    }
  }

  const unsigned cpus_;
  const unsigned max_workers_;
#if defined(__linux__)
  cpu_set_t affinity_;
  bool has_affinity_ = false;
#endif
  std::mutex m_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<job>> queue_;
  std::atomic<unsigned> generation_{0};  // jobs submitted so far: what spinning workers poll
  unsigned workers_ = 0;                 // running workers (under m_)
  steady::time_point no_start_before_{};  // under m_
};

// The pool of this process. Pools are never destroyed: a worker may still be on its way
// out of one when the process ends. In a child of fork() the handler below forgets the
// parent's pool (its workers do not exist there) before anything else runs.
std::atomic<pool*> installed{nullptr};

void forget_pool_in_child() noexcept { installed.store(nullptr, std::memory_order_relaxed); }

pool& current_pool() {
  pool* p = installed.load(std::memory_order_acquire);
  if (p != nullptr) return *p;
#if defined(TIERKIT_POSIX_THREADS)
  static const bool fork_handler = pthread_atfork(nullptr, nullptr, forget_pool_in_child) == 0;
  (void)fork_handler;
#endif
  auto* fresh = new pool();
  if (installed.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // another thread installed one first
  return *p;
}

}  // namespace

unsigned usable_cpus() noexcept {
  static const unsigned n = count_usable_cpus();
  return n;
}

void run_pooled(unsigned n, const std::function<void(unsigned)>& body) {
  if (n == 0) return;
  if (n == 1) {
    body(0);
    return;
  }
  pool& p = current_pool();
  auto j = std::make_shared<job>(&body, n);
  p.submit(j, n - 1);
  j->run(0);
  j->work();  // indices no worker has claimed yet
  if (!(p.spin_helps(n) && spin_until([&] { return j->done(); }, caller_spin))) {
    std::unique_lock<std::mutex> lk(j->m);
    j->all_finished.wait(lk, [&] { return j->done(); });
  }
  p.retire(j);
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> g(j->m);
    error = j->error;
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace tierkit::detail
