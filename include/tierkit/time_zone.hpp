#pragma once
// time_zone: how UTC instants become calendar days.
//
// Policy: a transaction's day is the local calendar date of its instant in the profile's
// time zone (UTC by default). A zone is a name plus its UTC-offset history as a sorted list
// of transitions; C++ has no time-zone database before C++20, so callers build zones
// either as a fixed offset or from transitions (the Python package derives them from the
// IANA database through `zoneinfo`). Wall-clock timestamps and dates carry no instant and
// are never shifted.
#include <cstdint>
#include <string>
#include <vector>

namespace tierkit {

class time_zone {
 public:
  // UTC.
  time_zone();
  // A fixed offset east of UTC in seconds (UTC+08:00 is 28800).
  static time_zone fixed(std::string name, std::int32_t offset_seconds);
  // `initial_offset` applies before the first transition; from transition_utc[i] (seconds
  // since the epoch, UTC) on, offsets[i] applies. Transitions must be strictly increasing.
  static time_zone from_transitions(std::string name, std::int32_t initial_offset,
                                    std::vector<std::int64_t> transition_utc,
                                    std::vector<std::int32_t> offsets);

  const std::string& name() const noexcept { return name_; }
  bool is_utc() const noexcept { return transitions_.empty() && initial_offset_ == 0; }
  // Offset in seconds east of UTC at the UTC instant `utc_seconds`.
  std::int32_t offset_at(std::int64_t utc_seconds) const noexcept;
  // Local calendar day (days since 1970-01-01) of the UTC instant `utc_seconds`.
  std::int32_t local_day(std::int64_t utc_seconds) const noexcept;

  std::int32_t initial_offset() const noexcept { return initial_offset_; }
  const std::vector<std::int64_t>& transitions() const noexcept { return transitions_; }
  const std::vector<std::int32_t>& offsets() const noexcept { return offsets_; }

 private:
  std::string name_;
  std::int32_t initial_offset_ = 0;
  std::vector<std::int64_t> transitions_;
  std::vector<std::int32_t> offsets_;
};

}  // namespace tierkit
