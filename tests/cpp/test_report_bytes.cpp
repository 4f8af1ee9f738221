// Internals: the validation_report inside saved bytes (profile states, profiles, period tables).
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "detail/report_bytes.hpp"
#include "tierkit/column.hpp"
#include "tierkit/error.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/serialization.hpp"

using namespace tierkit;

namespace {
validation_report sample_report() {
  validation_report r;
  r.rows_read = 1234567890123;
  r.rows_used = 1000;
  r.rows_dropped = 7;
  r.rows_outside_window = 42;
  r.dropped.push_back({"amount", "NaN or infinite", 5});
  r.dropped.push_back({"time", "", 2});  // empty text survives
  r.dropped.push_back({"客户", "dated after 2200-12-31", 1});  // UTF-8 bytes as they are
  return r;
}

// The layout written before the reader and writer were shared, spelled out byte by byte
// (little-endian hosts, as every saved object records and checks).
void append_i64(std::string& out, std::int64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
}
std::string old_layout(const validation_report& r) {
  std::string out;
  append_i64(out, r.rows_read);
  append_i64(out, r.rows_used);
  append_i64(out, r.rows_dropped);
  append_i64(out, r.rows_outside_window);
  append_i64(out, static_cast<std::int64_t>(r.dropped.size()));
  for (const row_issue& i : r.dropped) {
    append_i64(out, static_cast<std::int64_t>(i.column.size()));
    out += i.column;
    append_i64(out, static_cast<std::int64_t>(i.problem.size()));
    out += i.problem;
    append_i64(out, i.rows);
  }
  return out;
}

void require_same(const validation_report& a, const validation_report& b) {
  CHECK(a.rows_read == b.rows_read);
  CHECK(a.rows_used == b.rows_used);
  CHECK(a.rows_dropped == b.rows_dropped);
  CHECK(a.rows_outside_window == b.rows_outside_window);
  REQUIRE(a.dropped.size() == b.dropped.size());
  for (std::size_t i = 0; i < a.dropped.size(); ++i) {
    CHECK(a.dropped[i].column == b.dropped[i].column);
    CHECK(a.dropped[i].problem == b.dropped[i].problem);
    CHECK(a.dropped[i].rows == b.dropped[i].rows);
  }
}
}  // namespace

TEST_CASE("a validation report round-trips through bytes in the layout saved objects have always used") {
  REQUIRE(detail::host_is_little_endian());
  for (const validation_report& rep : {validation_report{}, sample_report()}) {
    detail::byte_writer w;
    detail::put_report(w, rep);
    CHECK(w.bytes() == old_layout(rep));
    detail::byte_reader r(w.bytes(), "test");
    require_same(detail::get_report(r), rep);
    CHECK(r.done());
  }
}

TEST_CASE("damaged report bytes give format_error naming the reader's function") {
  const std::string good = old_layout(sample_report());
  for (std::size_t n = 0; n < good.size(); ++n) {
    detail::byte_reader r(std::string_view(good).substr(0, n), "tierkit.test.from_bytes");
    CHECK_THROWS_WITH_AS(detail::get_report(r), doctest::Contains("tierkit.test.from_bytes"), format_error);
  }
  validation_report many;
  many.dropped.resize(detail::max_report_issues + 1);
  detail::byte_writer w;
  detail::put_report(w, many);
  detail::byte_reader r(w.bytes(), "f");
  CHECK_THROWS_WITH_AS(detail::get_report(r), doctest::Contains("too many row issues"), format_error);
  validation_report negative;
  negative.rows_dropped = -1;
  detail::byte_writer wn;
  detail::put_report(wn, negative);
  detail::byte_reader rn(wn.bytes(), "f");
  CHECK_THROWS_WITH_AS(detail::get_report(rn), doctest::Contains("the row counts"), format_error);
}

TEST_CASE("a saved profile carries its report in that layout, and reads it back") {
  // A profile with drops and rows outside the window, made from plain columns.
  const std::int64_t customers[] = {1, 1, 2, 2, 3};
  const std::int32_t days[] = {100, 101, 102, 90, 103};
  const double amounts[] = {10.0, std::nan(""), 5.0, 4.0, 3.0};
  transactions t;
  t.customer = int64_column("customer", customers, 5);
  t.time = day_column("day", days, 5);
  t.amount = float64_column("amount", amounts, 5);
  profile_config c;
  c.as_of = 110;
  c.window_start = 95;
  c.on_invalid = invalid_policy::drop;
  const profile p = make_profile(t, c);
  REQUIRE(p.report.rows_dropped == 1);
  REQUIRE(p.report.rows_outside_window == 1);
  const std::string bytes = to_bytes(p);
  CHECK(bytes.find(old_layout(p.report)) != std::string::npos);
  require_same(profile_from_bytes(bytes).report, p.report);
}
