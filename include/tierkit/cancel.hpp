#pragma once
// Cancellation of long-running work (an application's "stop" button, Ctrl-C in Python).
//
// The application sets one process-wide hook: a function that returns true when the work
// running now should stop. tierkit's long loops call it between units of work -- chunks of
// rows in profile_state::update and in validation, the phases of profile_state::finish,
// blocks of 4,096 customers in tier_policy::assign, the phases and blocks of
// average_daily_balances -- and, when it returns true, stop and throw tierkit::cancelled.
//
// Policies:
// - The hook is called only on the thread that called tierkit (never on its worker
//   threads, which stop at their next unit of work once the caller has seen the request),
//   at every check: keep it cheap (an atomic load), or let it ask what is costly only now
//   and then, as the Python package's hook does. It should not throw; if it does, the
//   exception propagates as the call's.
// - Nothing is left half-written: a cancelled call returns no result, and outputs it was
//   filling are discarded with the exception. The exception: a profile_state cancelled
//   (or failing in any other way) while it was adding an update's rows to its aggregates
//   holds part of that update, so it refuses further use (update, merge, finish) with
//   invalid_input; one cancelled during validation, before any row was added, is unchanged.
// - Without a hook (the default) nothing is ever cancelled and a check costs a load and a
//   branch.
// - The Python package sets a hook that runs Python's signal handlers at most every 50 ms
//   per thread, so Ctrl-C raises KeyboardInterrupt within about 50 ms plus one unit of
//   work; an application embedding both should set its hook after importing tierkit.
#include <functional>

namespace tierkit {

using cancel_hook = std::function<bool()>;

// Sets the hook (an empty function removes it); calls already running keep the hook they
// started with.
void set_cancel_hook(cancel_hook hook);

}  // namespace tierkit
