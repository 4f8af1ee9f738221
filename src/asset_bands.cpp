#include "tierkit/asset_bands.hpp"

#include <algorithm>
#include <cmath>

#include "detail/enum_names.hpp"
#include "detail/huge_pages.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.asset_bands";
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

number_span col(const metric_table& t, const std::string& name, const char* f) {
  return t.column(name, f);
}

constexpr detail::enum_table<comparison, 4> comparisons{{{comparison::less, "<"},
                                                         {comparison::less_equal, "<="},
                                                         {comparison::greater_equal, ">="},
                                                         {comparison::greater, ">"}}};
}  // namespace

const char* comparison_symbol(comparison c) noexcept { return comparisons.name(c, "?"); }

comparison parse_comparison(const std::string& s) {
  return comparisons.parse(s, std::string(fn) + ": a condition's comparison");
}

asset_band_config asset_band_config::chinese_retail() {
  asset_band_config c;
  c.bands = {
      {"Private banking", "私人银行客户", "wealth centre (财富经理)", 2'000'000, {}},
      {"Wealth management", "理财客户", "wealth manager (理财经理)", 200'000, {}},
      {"Branch managed", "网点重点客户", "branch manager / lobby manager (网点主任/大堂经理)", 100'000, {}},
      {"Branch staff", "网点维护客户", "branch staff (网点员工)", 50'000, {{"age", comparison::less, 60}}},
  };
  c.criteria = {
      {"credit card spend", "信用卡年消费", "card_spend", 50'000},
      {"loan balance", "贷款余额", "loan_balance", 300'000},
      {"margin balance", "融资融券余额", "margin_balance", 10'000},
      {"gold card or above", "金卡及以上", "card_level", 2},
  };
  c.pool = {"Maintained by other criteria", "其他条件纳入", "branch staff (网点员工)", 0, {}};
  return c;
}

void asset_band_config::check() const {
  auto fail = [](const std::string& m) { throw invalid_input(std::string(fn) + ": " + m); };
  if (bands.empty()) fail("give at least one band");
  for (std::size_t i = 0; i < bands.size(); ++i) {
    if (bands[i].label.empty()) fail("band " + std::to_string(i + 1) + " has no label");
    if (!std::isfinite(bands[i].lower)) fail("band '" + bands[i].label + "' has a non-finite lower bound");
    if (i > 0 && !(bands[i].lower < bands[i - 1].lower)) {
      fail("bands must be ordered from the highest lower bound down; '" + bands[i].label +
           "' is not below '" + bands[i - 1].label + "'");
    }
    for (const band_condition& k : bands[i].conditions) {
      if (static_cast<unsigned>(k.op) > static_cast<unsigned>(comparison::greater)) {
        fail("band '" + bands[i].label + "' has a condition on '" + k.column + "' with an unknown comparison (" +
             std::to_string(static_cast<unsigned>(k.op)) + ")");
      }
    }
  }
  for (const entry_criterion& c : criteria) {
    if (c.name.empty() || c.column.empty()) fail("a criterion needs a name and a column");
  }
  if (!criteria.empty() && pool.label.empty()) fail("the pool band of admitted customers has no label");
}

asset_band_model::asset_band_model(asset_band_config config) : config_(std::move(config)) { config_.check(); }

namespace {
// The columns a configuration reads.
struct band_columns {
  number_span balance;
  std::vector<std::vector<number_span>> conditions;  // per band
  std::vector<number_span> criteria;
};

band_columns columns_of(const asset_band_config& config, const metric_table& t) {
  band_columns c;
  c.balance = col(t, config.balance_column, fn);
  c.conditions.resize(config.bands.size());
  for (std::size_t b = 0; b < config.bands.size(); ++b) {
    for (const band_condition& k : config.bands[b].conditions) c.conditions[b].push_back(col(t, k.column, fn));
  }
  for (const entry_criterion& k : config.criteria) c.criteria.push_back(col(t, k.column, fn));
  return c;
}

// Calls f(v) with `v` a function object for "value op threshold", so that the row loop
// inside f is compiled once per comparison with nothing to decide per row.
template <class F>
void with_comparison(comparison op, double threshold, F&& f) {
  switch (op) {
    case comparison::less: return f([threshold](double x) { return x < threshold; });
    case comparison::less_equal: return f([threshold](double x) { return x <= threshold; });
    case comparison::greater_equal: return f([threshold](double x) { return x >= threshold; });
    case comparison::greater: return f([threshold](double x) { return x > threshold; });
  }
  // Not a comparison (check() refuses these; kept as band_condition::holds reads it).
  f([](double) { return false; });
}

// Customers at most this many at a time: three working columns of doubles (24 KB) on the
// stack, in the L1 cache.
constexpr std::size_t band_rows = 1024;

// Customers [lo, lo + n), n <= band_rows, one column at a time. Every loop is a straight
// pass of compares and selects (a comparison with a missing value, NaN, is false: the
// policy for bounds, conditions and criteria). The working values are doubles because
// comparing doubles gives 64-bit lane masks: with 64-bit working lanes the compiler
// vectorizes every loop on plain x86-64 (SSE2), where masks cannot be narrowed to 32 bits.
// band[i] = index into the bands, bands.size() = the pool, -1 = none; admitted[i] = the
// first criterion that admitted a pool customer, else -1; met[i] = criteria that hold.
void band_rows_of(const asset_band_config& config, const band_columns& cols, std::size_t lo, std::size_t n,
                  std::int32_t* __restrict band_out, std::int32_t* __restrict admitted_out,
                  std::int32_t* __restrict met_out) {
  double band[band_rows], admitted[band_rows], met[band_rows];
  const auto nb = static_cast<double>(config.bands.size());
  const double* __restrict x = cols.balance.data() + lo;
  // The balance's band: bounds descend, so it is the number of bounds above the balance;
  // all of them above (below the last band) or a missing balance is no band.
  for (std::size_t i = 0; i < n; ++i) band[i] = 0;
  for (const asset_band& b : config.bands) {
    const double lower = b.lower;
    for (std::size_t i = 0; i < n; ++i) band[i] += x[i] < lower ? 1.0 : 0.0;
  }
  for (std::size_t i = 0; i < n; ++i) band[i] = ((x[i] == x[i]) & (band[i] != nb)) ? band[i] : -1.0;
  // A band whose conditions fail leaves its customers to the criteria.
  for (std::size_t b = 0; b < config.bands.size(); ++b) {
    const auto me = static_cast<double>(b);
    for (std::size_t k = 0; k < cols.conditions[b].size(); ++k) {
      const band_condition& cond = config.bands[b].conditions[k];
      const double* __restrict v = cols.conditions[b][k].data() + lo;
      with_comparison(cond.op, cond.value, [&](auto holds) {
        for (std::size_t i = 0; i < n; ++i) band[i] = ((band[i] == me) & !holds(v[i])) ? -1.0 : band[i];
      });
    }
  }
  // The first criterion that holds is the smallest index among those that hold.
  const auto none = static_cast<double>(cols.criteria.size());
  for (std::size_t i = 0; i < n; ++i) {
    met[i] = 0;
    admitted[i] = none;
  }
  for (std::size_t c = 0; c < cols.criteria.size(); ++c) {
    const double* __restrict v = cols.criteria[c].data() + lo;
    const double threshold = config.criteria[c].threshold;
    const auto me = static_cast<double>(c);
    for (std::size_t i = 0; i < n; ++i) {
      const bool hit = v[i] >= threshold;
      const double first = hit ? me : none;
      met[i] += hit ? 1.0 : 0.0;
      admitted[i] = first < admitted[i] ? first : admitted[i];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    const bool by_balance = band[i] >= 0, by_criterion = admitted[i] < none;
    band_out[i] = static_cast<std::int32_t>(by_balance ? band[i] : by_criterion ? nb : -1.0);
    admitted_out[i] = static_cast<std::int32_t>((!by_balance & by_criterion) ? admitted[i] : -1.0);
    met_out[i] = static_cast<std::int32_t>(met[i]);
  }
}

// As band_rows_of, for any number of customers.
void band_block(const asset_band_config& config, const band_columns& cols, std::size_t lo, std::size_t n,
                std::int32_t* band, std::int32_t* admitted, std::int32_t* met) {
  for (std::size_t at = 0; at < n; at += band_rows) {
    band_rows_of(config, cols, lo + at, std::min(band_rows, n - at), band + at, admitted + at, met + at);
  }
}
}  // namespace

asset_band_result asset_band_model::assign(const metric_table& t) const {
  const band_columns cols = columns_of(config_, t);
  const std::size_t n = t.rows(), nb = config_.bands.size();
  asset_band_result r;
  const unsigned threads = detail::threads_for_rows(n);
  detail::run_tasks({[&] { detail::assign_new_column(r.band, n); },
                     [&] { detail::assign_new_column(r.admitted_by, n); },
                     [&] { detail::assign_new_column(r.criteria_met, n); }},
                    threads);
  r.counts.assign(nb + 2, 0);
  // Customers are independent: blocks of them on all threads.
  detail::for_row_blocks(n, threads, [&](std::size_t lo, std::size_t hi) {
    band_block(config_, cols, lo, hi - lo, r.band.data() + lo, r.admitted_by.data() + lo, r.criteria_met.data() + lo);
  });
  for (const std::int32_t b : r.band) ++r.counts[b < 0 ? nb + 1 : static_cast<std::size_t>(b)];
  return r;
}

namespace {
// The label lists of apply's label columns; role_of: the owner role of each band, then of
// the pool.
struct band_labels {
  std::vector<std::string> band, band_zh, role, admitted;
  std::vector<std::int32_t> role_of;
};

// The output columns of apply, codes of type Code (int8 or int32): asset_band and
// asset_band_zh (the unassigned get the last band label), owner_role (the unassigned have
// none), admitted_by, criteria_met. Blocks on all cores, each straight into the columns.
template <class Code>
score_table band_table(const asset_band_config& config, const band_columns& cols, band_labels labels, std::size_t n) {
  const std::vector<std::int32_t>& role_of = labels.role_of;
  const std::size_t nb = config.bands.size();
  // The output columns are new memory (on huge pages where offered): their first touch (the
  // kernel's zeroing, then the vector's) is shared out over the threads, a column each.
  std::vector<Code> code, code_zh, role, adm;
  std::vector<std::int64_t> met;
  const unsigned threads = detail::threads_for_rows(n);
  detail::run_tasks({[&] { detail::assign_new_column(code, n); }, [&] { detail::assign_new_column(code_zh, n); },
                     [&] { detail::assign_new_column(role, n); }, [&] { detail::assign_new_column(adm, n); },
                     [&] { detail::assign_new_column(met, n); }},
                    threads);
  const auto unassigned = static_cast<Code>(nb + 1);
  detail::for_row_blocks(n, threads, [&](std::size_t block_lo, std::size_t block_hi) {
    for (std::size_t lo = block_lo; lo < block_hi; lo += band_rows) {  // 12 KB of stack a piece
      const std::size_t m = std::min(band_rows, block_hi - lo);
      std::int32_t band[band_rows], admitted[band_rows], count[band_rows];
      band_rows_of(config, cols, lo, m, band, admitted, count);
      Code* __restrict code_at = code.data() + lo;
      Code* __restrict code_zh_at = code_zh.data() + lo;
      Code* __restrict adm_at = adm.data() + lo;
      std::int64_t* __restrict met_at = met.data() + lo;
      for (std::size_t i = 0; i < m; ++i) {
        const std::int32_t b = band[i];
        code_at[i] = code_zh_at[i] = b < 0 ? unassigned : static_cast<Code>(b);
        adm_at[i] = static_cast<Code>(b < 0 ? -1 : admitted[i] + 1);  // 0 = "balance"
        met_at[i] = count[i];
      }
      // The owner role by band: one select pass per band (a table lookup per row would not
      // vectorize); the unassigned (-1) have none.
      Code* __restrict role_at = role.data() + lo;
      for (std::size_t i = 0; i < m; ++i) role_at[i] = -1;
      for (std::size_t k = 0; k <= nb; ++k) {
        const auto b = static_cast<std::int32_t>(k);
        const auto r = static_cast<Code>(role_of[k]);
        for (std::size_t i = 0; i < m; ++i) role_at[i] = band[i] == b ? r : role_at[i];
      }
    }
  });
  score_table out;
  auto add = [&](std::string name, std::vector<Code>&& codes, std::vector<std::string>&& texts) {
    if constexpr (sizeof(Code) == 1) {
      out.add_narrow_labels(std::move(name), std::move(codes), std::move(texts));
    } else {
      out.add_labels(std::move(name), std::move(codes), std::move(texts));
    }
  };
  add("asset_band", std::move(code), std::move(labels.band));
  add("asset_band_zh", std::move(code_zh), std::move(labels.band_zh));
  add("owner_role", std::move(role), std::move(labels.role));
  add("admitted_by", std::move(adm), std::move(labels.admitted));
  out.add_integers("criteria_met", std::move(met));
  return out;
}
}  // namespace

score_table asset_band_model::apply(const metric_table& t) const {
  const band_columns cols = columns_of(config_, t);
  const std::size_t nb = config_.bands.size();
  band_labels labels;
  for (const asset_band& b : config_.bands) {
    labels.band.push_back(b.label);
    labels.band_zh.push_back(b.label_zh);
  }
  labels.band.push_back(config_.pool.label);
  labels.band_zh.push_back(config_.pool.label_zh);
  labels.band.push_back(config_.unassigned);
  labels.band_zh.push_back(config_.unassigned_zh);
  // Owner roles as distinct labels (bands may share an owner, as the preset's branch staff
  // and pool do); the unassigned have none (null).
  for (std::size_t b = 0; b <= nb; ++b) {
    const std::string& role = b < nb ? config_.bands[b].owner_role : config_.pool.owner_role;
    const auto at = std::find(labels.role.begin(), labels.role.end(), role);
    labels.role_of.push_back(static_cast<std::int32_t>(at - labels.role.begin()));
    if (at == labels.role.end()) labels.role.push_back(role);
  }
  labels.admitted = {"balance"};
  for (const entry_criterion& c : config_.criteria) labels.admitted.push_back(c.name);
  // Label codes are 8-bit when every label list fits (at most 128 labels: the preset's and
  // any usual config's): at 10^7 customers four 40 MB columns become 10 MB ones, and
  // touching their new memory had taken about as long as the banding.
  const bool narrow = labels.band.size() <= 128 && labels.role.size() <= 128 && labels.admitted.size() <= 128;
  return narrow ? band_table<std::int8_t>(config_, cols, std::move(labels), t.rows())
                : band_table<std::int32_t>(config_, cols, std::move(labels), t.rows());
}

score_table asset_band_model::summary() const {
  std::vector<std::int32_t> code;
  std::vector<std::string> labels, rules;
  std::vector<double> lower, upper;
  const std::size_t nb = config_.bands.size();
  for (std::size_t b = 0; b < nb; ++b) {
    const asset_band& band = config_.bands[b];
    labels.push_back(band.label);
    code.push_back(static_cast<std::int32_t>(b));
    lower.push_back(band.lower);
    upper.push_back(b == 0 ? std::numeric_limits<double>::infinity() : config_.bands[b - 1].lower);
    std::string rule = "balance in [lower, upper)";
    for (const band_condition& c : band.conditions) {
      rule += " and " + c.column + " " + comparison_symbol(c.op) + " " + detail::format_number(c.value);
    }
    rules.push_back(rule);
  }
  labels.push_back(config_.pool.label);
  code.push_back(static_cast<std::int32_t>(nb));
  lower.push_back(nan);
  upper.push_back(nan);
  std::string rule = "not in a band, and any of:";
  for (const entry_criterion& c : config_.criteria) {
    rule += " " + c.column + " >= " + detail::format_number(c.threshold) + " (" + c.name + ");";
  }
  rules.push_back(rule);
  score_table t;
  t.add_labels("band", code, labels);
  t.add_numbers("lower", lower);
  t.add_numbers("upper", upper);
  std::vector<std::int32_t> rc(code.size());
  for (std::size_t i = 0; i < rc.size(); ++i) rc[i] = static_cast<std::int32_t>(i);
  t.add_labels("rule", rc, rules);
  return t;
}

asset_band_strategy::asset_band_strategy(asset_band_config config) : config_(std::move(config)) {
  config_.check();
}

asset_band_model asset_band_strategy::fit_bands(const metric_table& t) const {
  // Nothing is estimated; checking the columns now reports a wrong table at fit time.
  const char* f = "tierkit.asset_bands";
  t.column(config_.balance_column, f);
  for (const asset_band& b : config_.bands) {
    for (const band_condition& c : b.conditions) t.column(c.column, f);
  }
  for (const entry_criterion& c : config_.criteria) t.column(c.column, f);
  return asset_band_model(config_);
}

std::unique_ptr<model> asset_band_strategy::fit(const metric_table& t) const {
  return std::make_unique<asset_band_model>(fit_bands(t));
}

void relationship_star_config::check() const {
  if (labels.size() != 6 || (!labels_zh.empty() && labels_zh.size() != 6)) {
    throw invalid_input(std::string(fn) + ": relationship stars need six labels");
  }
  if (!(private_banking > vip)) {
    throw invalid_input(std::string(fn) + ": private_banking must exceed vip");
  }
}

score_table relationship_stars(const metric_table& t, const relationship_star_config& c) {
  c.check();
  const char* f = "tierkit.relationship_stars";
  const number_span accounts = col(t, c.accounts_column, f);
  const number_span balance = col(t, c.balance_column, f);
  const number_span variation = col(t, c.variation_column, f);
  const number_span share = col(t, c.wallet_share_column, f);
  const std::size_t n = t.rows();
  std::vector<std::int64_t> stars(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double b = balance[i];
    int s;
    if (!std::isnan(b) && b >= c.private_banking) s = 6;
    else if (std::isnan(accounts[i]) || accounts[i] < 1) s = 1;
    else if (std::isnan(b) || b < c.vip) s = 2;
    else if (std::isnan(variation[i]) || variation[i] > c.max_variation) s = 3;
    else if (std::isnan(share[i]) || share[i] < c.min_wallet_share) s = 4;
    else s = 5;
    stars[i] = s;
  }
  std::vector<std::int32_t> code(n);
  for (std::size_t i = 0; i < n; ++i) code[i] = static_cast<std::int32_t>(stars[i] - 1);
  score_table out;
  out.add_integers("relationship_stars", std::move(stars));
  out.add_labels("relationship_level", code, c.labels);
  if (!c.labels_zh.empty()) out.add_labels("relationship_level_zh", std::move(code), c.labels_zh);
  return out;
}

void points_star_config::check() const {
  auto fail = [](const std::string& m) { throw invalid_input("tierkit.points_stars: " + m); };
  if (columns.empty() || columns.size() != weights.size()) fail("give one weight per points column");
  for (std::size_t i = 1; i < boundaries.size(); ++i) {
    if (!(boundaries[i] > boundaries[i - 1])) fail("boundaries must increase strictly");
  }
  if (labels.size() != boundaries.size() + 1) {
    fail(std::to_string(boundaries.size()) + " boundaries make " +
         std::to_string(boundaries.size() + 1) + " levels but " + std::to_string(labels.size()) +
         " labels were given");
  }
  if (!labels_zh.empty() && labels_zh.size() != labels.size()) fail("give as many Chinese labels as labels");
}

score_table points_stars(const metric_table& t, const points_star_config& c) {
  c.check();
  std::vector<number_span> cols;
  for (const std::string& name : c.columns) cols.push_back(col(t, name, "tierkit.points_stars"));
  const std::size_t n = t.rows();
  std::vector<double> points(n, 0);
  std::vector<std::int64_t> missing(n, 0);
  std::vector<std::int32_t> level(n);
  for (std::size_t i = 0; i < n; ++i) {
    long double p = 0;
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const double v = cols[k][i];
      if (std::isnan(v)) {
        ++missing[i];
        continue;
      }
      p += static_cast<long double>(c.weights[k]) * v;
    }
    points[i] = static_cast<double>(p);
    level[i] = static_cast<std::int32_t>(
        std::upper_bound(c.boundaries.begin(), c.boundaries.end(), points[i]) - c.boundaries.begin());
  }
  score_table out;
  out.add_numbers("star_points", std::move(points));
  out.add_integers("star_points_missing", std::move(missing));
  out.add_labels("star_level", level, c.labels);
  if (!c.labels_zh.empty()) out.add_labels("star_level_zh", std::move(level), c.labels_zh);
  return out;
}

}  // namespace tierkit
