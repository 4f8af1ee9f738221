#include "tierkit/time_zone.hpp"

#include <algorithm>

#include "tierkit/error.hpp"

namespace tierkit {

namespace {
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
}  // namespace

time_zone::time_zone() : name_("UTC") {}

time_zone time_zone::fixed(std::string name, std::int32_t offset_seconds) {
  if (offset_seconds <= -86400 || offset_seconds >= 86400) {
    throw invalid_input("tierkit::time_zone::fixed: offset_seconds must lie strictly between "
                        "-86400 and 86400, got " + std::to_string(offset_seconds));
  }
  time_zone z;
  z.name_ = std::move(name);
  z.initial_offset_ = offset_seconds;
  return z;
}

time_zone time_zone::from_transitions(std::string name, std::int32_t initial_offset,
                                      std::vector<std::int64_t> transition_utc,
                                      std::vector<std::int32_t> offsets) {
  if (transition_utc.size() != offsets.size()) {
    throw invalid_input("tierkit::time_zone::from_transitions: " +
                        std::to_string(transition_utc.size()) + " transitions but " +
                        std::to_string(offsets.size()) + " offsets; expected equal counts");
  }
  for (std::size_t i = 1; i < transition_utc.size(); ++i) {
    if (transition_utc[i] <= transition_utc[i - 1]) {
      throw invalid_input("tierkit::time_zone::from_transitions: transitions must be strictly "
                          "increasing; transition " + std::to_string(i) + " is not");
    }
  }
  auto bad = [](std::int32_t o) { return o <= -86400 || o >= 86400; };
  if (bad(initial_offset) || std::any_of(offsets.begin(), offsets.end(), bad)) {
    throw invalid_input("tierkit::time_zone::from_transitions: offsets must lie strictly "
                        "between -86400 and 86400 seconds");
  }
  time_zone z = fixed(std::move(name), initial_offset);
  z.transitions_ = std::move(transition_utc);
  z.offsets_ = std::move(offsets);
  return z;
}

std::int32_t time_zone::offset_at(std::int64_t utc_seconds) const noexcept {
  if (transitions_.empty() || utc_seconds < transitions_.front()) return initial_offset_;
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_seconds);
  return offsets_[static_cast<std::size_t>(it - transitions_.begin()) - 1];
}

std::int32_t time_zone::local_day(std::int64_t utc_seconds) const noexcept {
  return static_cast<std::int32_t>(floor_div(utc_seconds + offset_at(utc_seconds), 86400));
}

}  // namespace tierkit
