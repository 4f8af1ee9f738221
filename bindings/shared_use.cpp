// Marks of objects read with the GIL released (see bindings.hpp: shared_use).
#include <map>
#include <mutex>
#include <string>

#include "bindings.hpp"
#include "tierkit/error.hpp"

namespace tierkit::python {

namespace {
// Objects being read without the GIL, and by how many calls. The mutex keeps the map whole
// should calls ever run without a GIL; the check-then-change order relies on the GIL.
std::mutex marks_mutex;
std::map<const void*, std::size_t>& marks() {
  static auto* m = new std::map<const void*, std::size_t>();  // never destroyed: used at exit
  return *m;
}
}  // namespace

shared_use::shared_use(const void* object) : object_(object) {
  const std::lock_guard<std::mutex> lock(marks_mutex);
  ++marks()[object_];
}

shared_use::~shared_use() {
  const std::lock_guard<std::mutex> lock(marks_mutex);
  auto it = marks().find(object_);
  if (it != marks().end() && --it->second == 0) marks().erase(it);
}

void refuse_shared_use(const void* object, const char* what, const char* object_name) {
  std::size_t readers = 0;
  {
    const std::lock_guard<std::mutex> lock(marks_mutex);
    auto it = marks().find(object);
    if (it != marks().end()) readers = it->second;
  }
  if (readers > 0) {
    throw invalid_input(std::string(what) + ": the " + object_name + " is being read by " +
                        std::to_string(readers) + (readers == 1 ? " call" : " calls") +
                        " on another thread; it cannot change meanwhile (complete it before "
                        "using it, or give each thread a " + object_name + " of its own)");
  }
}

}  // namespace tierkit::python
