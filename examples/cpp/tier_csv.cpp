// tier_csv: a CSV file of transactions to tiers with the C++ library alone, step for step
// what the Python quick start does: profile, RFM and ABC, a tier policy, counts per tier.
//
//   tier_csv transactions.csv tiers.csv
//
// transactions.csv: a header row naming customer_id, time, amount and order_id (any order;
// other columns are ignored), then one transaction line per row; comma-separated without
// quoting (a quote is refused rather than misread); time in ISO 8601 (a date, or a date and
// time with an offset; without an offset, UTC). Customer ids are read as text. tiers.csv
// gets customer_id,tier per customer; the counts per tier go to standard output.
//
// The CSV reader is this program's own minimal one, to keep the example free of
// dependencies; an application would use its own reader or Arrow's.
#include <tierkit/tierkit.hpp>

#include <cstdint>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct transaction_file {
  std::vector<std::string> customer;
  std::vector<std::int64_t> time_us;
  std::vector<double> amount;
  std::vector<std::int64_t> order;
};

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      fields.push_back(line.substr(start, i - start));
      start = i + 1;
    }
  }
  return fields;
}

[[noreturn]] void fail(const std::string& file, std::size_t line, const std::string& problem) {
  throw std::runtime_error(file + ":" + std::to_string(line) + ": " + problem);
}

transaction_file read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string line;
  if (!std::getline(in, line)) fail(path, 1, "no header row");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  const std::vector<std::string_view> header = split(line);
  std::map<std::string, std::size_t> at;
  for (std::size_t i = 0; i < header.size(); ++i) at[std::string(header[i])] = i;
  for (const char* need : {"customer_id", "time", "amount", "order_id"}) {
    if (!at.count(need)) fail(path, 1, std::string("the header has no column '") + need + "'");
  }
  transaction_file f;
  std::size_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.find('"') != std::string::npos) fail(path, number, "quoted fields are not supported");
    const std::vector<std::string_view> v = split(line);
    if (v.size() != header.size()) {
      fail(path, number, std::to_string(v.size()) + " fields where the header has " + std::to_string(header.size()));
    }
    try {
      f.customer.emplace_back(v[at["customer_id"]]);
      f.time_us.push_back(tierkit::parse_time(v[at["time"]]));
      f.amount.push_back(std::stod(std::string(v[at["amount"]])));
      f.order.push_back(std::stoll(std::string(v[at["order_id"]])));
    } catch (const std::exception& e) {
      fail(path, number, e.what());
    }
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tier_csv transactions.csv tiers.csv\n";
    return 2;
  }
  try {
    const transaction_file f = read_csv(argv[1]);
    const std::size_t n = f.customer.size();
    // Views over the file's columns: tierkit reads them in place.
    std::vector<std::string_view> ids(f.customer.begin(), f.customer.end());
    tierkit::transactions tx;
    tx.customer = tierkit::string_column("customer_id", ids.data(), n);
    tx.time = tierkit::timestamp_column("time", f.time_us.data(), n, tierkit::time_unit::micro,
                                        /*utc_instants=*/true);
    tx.amount = tierkit::float64_column("amount", f.amount.data(), n);
    tx.order = tierkit::int64_column("order_id", f.order.data(), n);

    // 1. Profile (as_of: the day after the last transaction).
    const tierkit::profile p = tierkit::make_profile(tx);
    // 2. RFM quintile scores and ABC classes.
    const tierkit::metric_table m = tierkit::metric_table::from_profile(p);
    const tierkit::score_table rfm = tierkit::make_strategy("rfm")->fit(m)->apply(m);
    const tierkit::score_table abc = tierkit::make_strategy("abc")->fit(m)->apply(m);
    // 3. Tiers: rules read profile columns (null recency for customers with only returns),
    //    RFM scores (null for unscored customers) and ABC classes.
    tierkit::rule_table rules;
    tierkit::add_profile_columns(rules, p, {"recency", "frequency", "monetary"});
    tierkit::add_score_columns(rules, rfm, {"r_score", "f_score", "m_score"});
    tierkit::add_score_columns(rules, abc, {"abc_class"});
    const tierkit::tier_policy policy({{"Gold", "abc_class = 'A' and recency <= 90", {}},
                                       {"Silver", "m_score >= 4 or abc_class = 'B'", {}},
                                       {"Active", "recency <= 90", {}}},
                                      "Dormant");
    const std::vector<std::int32_t> rule = policy.assign(rules);  // rule index, -1 = default
    // 4. Counts per tier, in policy order, with their share of the customers and of value.
    std::cout << p.size() << " customers, " << p.report.rows_used << " lines used, as of "
              << tierkit::format_day(p.as_of) << "\n";
    std::cout << std::fixed << std::setprecision(1);
    for (const tierkit::tier_count& t : policy.summarize(rule, &p.monetary)) {
      std::cout << t.tier << ": " << t.customers << " customers (" << 100 * t.share << "%), "
                << 100 * t.value_share << "% of net sales\n";
    }
    std::ofstream out(argv[2]);
    out << "customer_id,tier\n";
    for (std::size_t i = 0; i < p.size(); ++i) out << p.customer.to_string(i) << ',' << policy.tier_of(rule[i]) << '\n';
    if (!out) throw std::runtime_error(std::string("writing ") + argv[2] + " failed");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "tier_csv: " << e.what() << "\n";
    return 1;
  }
}
