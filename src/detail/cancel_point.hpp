#pragma once
// One long-running call's view of the cancellation hook (tierkit/cancel.hpp).
#include <atomic>
#include <thread>

#include "tierkit/cancel.hpp"

namespace tierkit::detail {

class cancel_point {
 public:
  // Made on the thread that called tierkit; takes the hook set at this moment. `function`
  // names the call in the exception's message.
  explicit cancel_point(const char* function);

  // Whether the work should stop. On the calling thread it asks the hook; on worker threads
  // it reads what the calling thread last learned.
  bool requested();
  // Throws tierkit::cancelled when requested().
  void check();

 private:
  cancel_hook hook_;
  const char* function_;
  std::thread::id caller_;
  std::atomic<bool> stop_{false};
};

}  // namespace tierkit::detail
