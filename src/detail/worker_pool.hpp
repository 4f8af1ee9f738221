#pragma once
// The process's pool of worker threads, kept between calls, and the number of CPUs the
// process may use.
//
// Why a pool: a thread started for each parallel section is placed by the scheduler on the
// starting thread's core and often waits there before it is moved to the idle one (the
// second thread's share of a chunk often started only after the first thread had done its
// own share). A worker that sleeps between sections is woken on the idle core at once
// (waking it still costs the caller a system call and a scheduler hand-off), and spins for
// 0.2 ms after a section so that the next one, usually very soon after, needs no wake-up at
// all (a region of two threads is then cheap; spinning longer left fewer sleeps but no
// faster profile).
//
// Policies:
// - The caller works too: it runs index 0 and then claims indices as the workers do, so a
//   job completes even when every worker is busy with another caller's job (or none could
//   be started), and nested jobs cannot deadlock: a caller only ever waits for indices
//   that some thread is running.
// - Workers are started on first need, up to the largest job seen minus one (at most
//   max(64, cores)). A worker idle for 2 s ends, so a process that profiled once does not
//   keep threads (Python 3.12 warns on fork() in a process with threads). If a worker
//   cannot be started (out of threads or memory), the caller runs the indices itself and
//   the pool tries again after 1 s.
// - Workers run with every signal blocked (signals go to the application's threads) and
//   with the process's CPU affinity, not that of the thread that happened to start them.
// - Spinning only where it can help: workers and callers spin only while the job's threads
//   fit the CPUs the process may use; on fewer CPUs a spinning thread would hold the CPU
//   that the thread it waits for needs.
// - After fork() the child has none of the parent's threads: a fork handler makes the
//   child's first job start a new pool, leaving the parent's (whose locks may have been
//   held at the fork) untouched.
#include <functional>

namespace tierkit::detail {

// Runs body(t) once for every t in [0, n), on the calling thread and up to n - 1 pooled
// workers, and returns when all have returned. If bodies throw, every index still runs
// (or has run), and the exception of the lowest throwing index is rethrown.
void run_pooled(unsigned n, const std::function<void(unsigned)>& body);

// CPUs this process may run on (its affinity mask where the system has one, else the
// hardware's threads), at least 1: the default number of threads. Read once.
unsigned usable_cpus() noexcept;

}  // namespace tierkit::detail
