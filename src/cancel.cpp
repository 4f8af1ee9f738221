#include "tierkit/cancel.hpp"

#include <mutex>
#include <string>
#include <utility>

#include "detail/cancel_point.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
std::mutex hook_mutex;
cancel_hook& current_hook() {
  static cancel_hook hook;
  return hook;
}
}  // namespace

void set_cancel_hook(cancel_hook hook) {
  const std::lock_guard<std::mutex> lock(hook_mutex);
  current_hook() = std::move(hook);
}

namespace detail {

cancel_point::cancel_point(const char* function)
    : function_(function), caller_(std::this_thread::get_id()) {
  const std::lock_guard<std::mutex> lock(hook_mutex);
  hook_ = current_hook();
}

bool cancel_point::requested() {
  if (stop_.load(std::memory_order_relaxed)) return true;
  if (!hook_ || std::this_thread::get_id() != caller_) return false;
  if (!hook_()) return false;
  stop_.store(true, std::memory_order_relaxed);
  return true;
}

void cancel_point::check() {
  if (requested()) throw cancelled(std::string(function_) + ": cancelled");
}

}  // namespace detail

}  // namespace tierkit
