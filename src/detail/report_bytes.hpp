#pragma once
// The validation_report as it travels inside saved bytes (profile states, profiles, period
// tables): the four row counts as int64, the number of row issues as uint64, then per issue
// its column and problem as length-prefixed text and its row count as int64. One writer and
// one reader, so that every saved object carries the report in the same layout; changing
// it changes the layout of all of them (and their golden files).
#include <cstdint>
#include <utility>

#include "detail/byte_io.hpp"
#include "tierkit/transactions.hpp"

namespace tierkit::detail {

// More row issues than any report holds (one per column and problem) means damaged bytes;
// the cap keeps a crafted count from looping for long.
constexpr std::uint64_t max_report_issues = 1000;

inline void put_report(byte_writer& w, const validation_report& rep) {
  w.put<std::int64_t>(rep.rows_read);
  w.put<std::int64_t>(rep.rows_used);
  w.put<std::int64_t>(rep.rows_dropped);
  w.put<std::int64_t>(rep.rows_outside_window);
  w.put<std::uint64_t>(rep.dropped.size());
  for (const row_issue& i : rep.dropped) {
    w.put_text(i.column);
    w.put_text(i.problem);
    w.put<std::int64_t>(i.rows);
  }
}

// Throws tierkit::format_error (through the reader, naming its function) on truncated or
// damaged bytes, negative row counts among them (profile states refused those before the
// reader was shared; profiles and period tables now refuse them too).
inline validation_report get_report(byte_reader& r) {
  validation_report rep;
  rep.rows_read = r.get<std::int64_t>();
  rep.rows_used = r.get<std::int64_t>();
  rep.rows_dropped = r.get<std::int64_t>();
  rep.rows_outside_window = r.get<std::int64_t>();
  if (rep.rows_read < 0 || rep.rows_used < 0 || rep.rows_dropped < 0 || rep.rows_outside_window < 0) {
    r.fail("the row counts");
  }
  const auto issues = r.get<std::uint64_t>();
  if (issues > max_report_issues) r.fail("too many row issues");
  for (std::uint64_t i = 0; i < issues; ++i) {
    row_issue x;
    x.column = r.get_text();
    x.problem = r.get_text();
    x.rows = r.get<std::int64_t>();
    rep.dropped.push_back(std::move(x));
  }
  return rep;
}

}  // namespace tierkit::detail
