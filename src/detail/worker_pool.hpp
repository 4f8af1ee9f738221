#pragma once
// The process's pool of worker threads, kept between calls.
//
// Why: a thread started for each parallel section is placed by the scheduler on the
// starting thread's core and often waits there for milliseconds before it is moved to the
// idle one (10^6 rows, four chunks: the second thread's share of a chunk started after
// the first thread had done its own 2 ms share, in most sections). A worker that sleeps
// between sections is woken on the idle core at once (waking it costs the caller about
// 95 µs on this VM), and spins for 0.2 ms after a section so that the next one, usually
// a few microseconds later, needs no wake-up at all (a region of two threads then costs
// under 1 µs; spinning 1 ms instead left fewer sleeps but no faster profile).
//
// Policies:
// - The caller works too: it runs index 0 and then claims indices as the workers do, so a
//   job completes even when every worker is busy with another caller's job (or none could
//   be started), and nested jobs cannot deadlock: a caller only ever waits for indices
//   that some thread is running.
// - Workers are started on first need, up to the largest job seen minus one (at most 64),
//   and never stop; they sleep when idle. If one cannot be started (out of threads or
//   memory), the pool stops trying and callers run the indices themselves.
// - After fork() the child has none of the parent's threads: the first job in the child
//   starts a new pool and leaves the parent's (whose locks may have been held at the fork)
//   untouched.
#include <functional>

namespace tierkit::detail {

// Runs body(t) once for every t in [0, n), on the calling thread and up to n - 1 pooled
// workers, and returns when all have returned. body must not throw (callers catch inside).
void run_pooled(unsigned n, const std::function<void(unsigned)>& body);

}  // namespace tierkit::detail
