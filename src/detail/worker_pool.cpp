#include "detail/worker_pool.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

namespace tierkit::detail {
namespace {

// Spinning: a worker that finished its part polls for the next job this long before it
// sleeps (the sections of one profile follow each other within about 0.1 ms); a caller
// polls this long for the others' parts before it sleeps.
constexpr auto worker_spin = std::chrono::microseconds(200);
constexpr auto caller_spin = std::chrono::microseconds(50);
// At most this many workers, whatever the jobs ask: indices are claimed, not assigned, so
// fewer threads still run every index.
constexpr unsigned max_workers = 64;

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
  const auto end = std::chrono::steady_clock::now() + limit;
  for (unsigned k = 1;; ++k) {
    if (ready()) return true;
    cpu_relax();
    if (k % 64 == 0 && std::chrono::steady_clock::now() >= end) return ready();
  }
}

// One call of run_pooled. Indices are claimed through `next` (0 is the caller's);
// `finished` counts the bodies that have returned.
struct job {
  const std::function<void(unsigned)>* body;
  unsigned n;
  std::atomic<unsigned> next{1};
  std::atomic<unsigned> finished{0};
  std::mutex m;
  std::condition_variable all_finished;

  job(const std::function<void(unsigned)>* b, unsigned count) : body(b), n(count) {}

  bool claimable() const noexcept { return next.load(std::memory_order_relaxed) < n; }
  void finish_one() {
    if (finished.fetch_add(1) + 1 == n) {
      std::lock_guard<std::mutex> g(m);
      all_finished.notify_all();
    }
  }
  // Runs unclaimed indices until none is left.
  void work() {
    while (claimable()) {
      const unsigned t = next.fetch_add(1);
      if (t >= n) return;
      (*body)(t);
      finish_one();
    }
  }
  bool done() const noexcept { return finished.load() == n; }
};

class pool {
 public:
  explicit pool(pid_t owner) : owner_(owner) {}
  pid_t owner() const noexcept { return owner_; }

  // Queues `j` for up to `helpers` workers (started now if fewer exist).
  void submit(const std::shared_ptr<job>& j, unsigned helpers) {
    {
      std::lock_guard<std::mutex> g(m_);
      queue_.push_back(j);
      generation_.fetch_add(1);
      start_workers(std::min(helpers, max_workers));
    }
    for (unsigned k = 0; k < helpers; ++k) wake_.notify_one();
  }

  // Takes `j` off the queue once its caller has seen it finish (workers drop exhausted
  // jobs too; whichever comes first).
  void retire(const std::shared_ptr<job>& j) {
    std::lock_guard<std::mutex> g(m_);
    queue_.erase(std::remove(queue_.begin(), queue_.end(), j), queue_.end());
  }

 private:
  // Called with m_ held.
  void start_workers(unsigned want) {
    while (workers_ < want && !cannot_start_) {
      try {
        std::thread(&pool::worker_loop, this).detach();
        ++workers_;
      } catch (...) {
        // Out of threads or memory (std::system_error, std::bad_alloc): callers run the
        // rest themselves. Nothing may escape here: the job is queued already.
        cannot_start_ = true;
      }
    }
  }

  void worker_loop() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      while (!queue_.empty() && !queue_.front()->claimable()) queue_.pop_front();
      if (queue_.empty()) {
        wake_.wait(lk);
        continue;
      }
      std::shared_ptr<job> j = queue_.front();
      const unsigned seen = generation_.load();
      lk.unlock();
      j->work();
      j.reset();
      spin_until([&] { return generation_.load(std::memory_order_relaxed) != seen; }, worker_spin);
      lk.lock();
    }
  }

  const pid_t owner_;
  std::mutex m_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<job>> queue_;
  std::atomic<unsigned> generation_{0};  // jobs submitted so far: what spinning workers poll
  unsigned workers_ = 0;
  bool cannot_start_ = false;
};

// The pool of this process. Pools are never destroyed: their workers sleep in them until
// the process ends. A child of fork() starts its own and leaves the parent's alone.
pool& current_pool() {
  static std::atomic<pool*> installed{nullptr};
  const pid_t me = getpid();
  pool* p = installed.load(std::memory_order_acquire);
  if (p != nullptr && p->owner() == me) return *p;
  auto* fresh = new pool(me);
  if (installed.compare_exchange_strong(p, fresh, std::memory_order_acq_rel)) return *fresh;
  delete fresh;  // another thread of this process installed one first
  return *p;
}

}  // namespace

void run_pooled(unsigned n, const std::function<void(unsigned)>& body) {
  if (n <= 1) {
    if (n == 1) body(0);
    return;
  }
  pool& p = current_pool();
  auto j = std::make_shared<job>(&body, n);
  p.submit(j, n - 1);
  body(0);
  j->finish_one();
  j->work();  // indices no worker has claimed yet
  if (!spin_until([&] { return j->done(); }, caller_spin)) {
    std::unique_lock<std::mutex> lk(j->m);
    j->all_finished.wait(lk, [&] { return j->done(); });
  }
  p.retire(j);
}

}  // namespace tierkit::detail
