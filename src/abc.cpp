#include "tierkit/abc.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>

#include "detail/enum_names.hpp"
#include "detail/fixed_point.hpp"
#include "detail/huge_pages.hpp"
#include "detail/radix_sort.hpp"
#include "detail/row_blocks.hpp"
#include "detail/text.hpp"
#include "tierkit/error.hpp"
#include "detail/int128.hpp"

namespace tierkit {

namespace {
constexpr const char* fn = "tierkit.abc";
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr detail::enum_table<abc_mode, 2> abc_modes{{{abc_mode::value, "value"}, {abc_mode::count, "count"}}};
constexpr detail::enum_table<nonpositive_policy, 3> nonpositive_policies{
    {{nonpositive_policy::own_class, "own_class"},
     {nonpositive_policy::lowest_class, "lowest_class"},
     {nonpositive_policy::unclassified, "unclassified"}}};
}  // namespace

const char* abc_mode_name(abc_mode m) noexcept { return abc_modes.name(m); }

abc_mode parse_abc_mode(const std::string& name) { return abc_modes.parse(name, "tierkit.abc: mode"); }

const char* nonpositive_policy_name(nonpositive_policy p) noexcept { return nonpositive_policies.name(p); }

nonpositive_policy parse_nonpositive_policy(const std::string& name) {
  return nonpositive_policies.parse(name, "tierkit.abc: nonpositive");
}

std::vector<double> abc_config::effective_shares() const {
  if (!shares.empty()) return shares;
  return mode == abc_mode::value ? std::vector<double>{0.80, 0.95}
                                 : std::vector<double>{0.20, 0.90};
}

void abc_config::check() const {
  const std::vector<double> s = effective_shares();
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!(s[i] > 0 && s[i] < 1) || (i > 0 && !(s[i] > s[i - 1]))) {
      throw invalid_input(std::string(fn) + ": shares must increase strictly within (0, 1); "
                          "got " + std::to_string(s[i]) + " at position " + std::to_string(i + 1));
    }
  }
  if (labels.size() != s.size() + 1) {
    throw invalid_input(std::string(fn) + ": " + std::to_string(s.size()) + " shares make " +
                        std::to_string(s.size() + 1) + " classes, but " +
                        std::to_string(labels.size()) + " labels were given");
  }
  for (const std::string& l : labels) {
    if (l.empty()) throw invalid_input(std::string(fn) + ": a class label is empty");
    if (std::count(labels.begin(), labels.end(), l) > 1 ||
        (nonpositive == nonpositive_policy::own_class && l == nonpositive_label)) {
      throw invalid_input(std::string(fn) + ": class label '" + l + "' is used twice");
    }
  }
  if (nonpositive == nonpositive_policy::own_class && nonpositive_label.empty()) {
    throw invalid_input(std::string(fn) + ": the label of the non-positive class is empty");
  }
}

namespace {
// Concentration of `v`: the non-negative values, ascending.
concentration concentration_of_sorted(const std::vector<double>& v, std::int64_t negative_left_out) {
  concentration c;
  c.negative_left_out = negative_left_out;
  const std::size_t n = v.size();
  c.customers = static_cast<std::int64_t>(n);
  long double total = 0, weighted = 0;
  for (std::size_t i = 0; i < n; ++i) {  // ascending: the sum in this order is deterministic
    total += v[i];
    weighted += static_cast<long double>(i + 1) * v[i];
  }
  c.total = static_cast<double>(total);
  c.lorenz.assign(101, nan);
  if (n == 0 || total <= 0) {
    c.gini = nan;
    c.top20_share = nan;
    return c;
  }
  const auto nd = static_cast<long double>(n);
  c.gini = static_cast<double>(2 * weighted / (nd * total) - (nd + 1) / nd);
  const std::size_t top = static_cast<std::size_t>(std::ceil(0.2L * nd - 1e-9L));
  long double top_sum = 0;
  for (std::size_t i = n - std::max<std::size_t>(top, 1); i < n; ++i) top_sum += v[i];
  c.top20_share = static_cast<double>(top_sum / total);
  // Lorenz curve: cumulative share at k customers is S_k / total; interpolate linearly at
  // p * n customers for p = 0, 1, ..., 100 percent (one pass; S_k is the running sum).
  long double running = 0;  // S_i
  int p = 0;
  for (std::size_t i = 0; i <= n && p <= 100; ++i) {
    while (p <= 100) {
      const long double pos = nd * p / 100.0L;
      const auto k = static_cast<std::size_t>(std::floor(pos));
      if (k != i && !(k >= n && i == n)) break;
      const long double frac = pos - static_cast<long double>(k);
      const long double at = i >= n ? running : running + frac * v[i];
      c.lorenz[static_cast<std::size_t>(p)] = static_cast<double>(at / total);
      ++p;
    }
    if (i < n) running += v[i];
  }
  return c;
}

// The non-negative values of `values`, ascending, and the count of negative ones (NaN and
// infinities are left for the caller to report).
std::vector<double> sorted_nonnegative(number_span values, std::int64_t& negative) {
  std::vector<double> v;
  v.reserve(values.size());
  negative = 0;
  for (double x : values) {
    if (std::isnan(x) || std::isinf(x)) continue;
    if (x < 0) {
      ++negative;
      continue;
    }
    v.push_back(x);
  }
  detail::sort_nonnegative(v);
  return v;
}
}  // namespace

concentration measure_concentration(number_span values) {
  std::int64_t negative = 0;
  std::vector<double> v = sorted_nonnegative(values, negative);
  return concentration_of_sorted(v, negative);
}

abc_model::abc_model(abc_config config, std::vector<abc_class_stats> classes,
                     abc_class_stats nonpositive, std::int64_t missing, concentration conc)
    : config_(std::move(config)),
      classes_(std::move(classes)),
      nonpositive_(std::move(nonpositive)),
      missing_(missing),
      conc_(std::move(conc)) {}

bool abc_model::operator==(const abc_model& o) const {
  auto same = [](double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; };
  auto same_stats = [&](const abc_class_stats& a, const abc_class_stats& b) {
    return a.label == b.label && a.customers == b.customers && same(a.value, b.value) &&
           same(a.min_value, b.min_value) && same(a.max_value, b.max_value);
  };
  if (classes_.size() != o.classes_.size()) return false;
  for (std::size_t i = 0; i < classes_.size(); ++i) {
    if (!same_stats(classes_[i], o.classes_[i])) return false;
  }
  const bool lorenz_same = conc_.lorenz.size() == o.conc_.lorenz.size() &&
                           std::equal(conc_.lorenz.begin(), conc_.lorenz.end(),
                                      o.conc_.lorenz.begin(), same);
  return config_.column == o.config_.column && config_.mode == o.config_.mode &&
         config_.shares == o.config_.shares && config_.labels == o.config_.labels &&
         config_.nonpositive == o.config_.nonpositive &&
         config_.nonpositive_label == o.config_.nonpositive_label &&
         same_stats(nonpositive_, o.nonpositive_) && missing_ == o.missing_ &&
         conc_.customers == o.conc_.customers && same(conc_.gini, o.conc_.gini) &&
         same(conc_.total, o.conc_.total) && same(conc_.top20_share, o.conc_.top20_share) &&
         lorenz_same;
}

std::vector<std::string> abc_model::labels() const {
  std::vector<std::string> out = config_.labels;
  if (config_.nonpositive == nonpositive_policy::own_class) out.push_back(config_.nonpositive_label);
  return out;
}

std::vector<std::int32_t> abc_model::classify(number_span values) const {
  const std::size_t k = classes_.size();
  const std::size_t n = values.size();
  if (k == 0) return detail::new_column<std::int32_t>(n, -1);  // a default-constructed model
  double nonpositive_class = -1;  // unclassified
  if (config_.nonpositive == nonpositive_policy::own_class) nonpositive_class = static_cast<double>(k);
  if (config_.nonpositive == nonpositive_policy::lowest_class) nonpositive_class = static_cast<double>(k - 1);
  std::vector<std::int32_t> out = detail::new_column<std::int32_t>(n);
  // Customers are classified independently: blocks of rows on all cores, each a class at a
  // time with no branch per row (working in doubles, which the compiler vectorizes). A
  // positive value's class is the first one holding customers whose least value it reaches,
  // else the last; a missing value (NaN) has none.
  constexpr std::size_t piece = 1024;
  detail::for_row_blocks(n, 0, [&](std::size_t lo, std::size_t hi) {
    for (std::size_t at = lo; at < hi; at += piece) {
      const std::size_t m = std::min(piece, hi - at);
      const double* __restrict x = values.data() + at;
      double c[piece];
      for (std::size_t i = 0; i < m; ++i) c[i] = static_cast<double>(k - 1);
      for (std::size_t j = k - 1; j-- > 0;) {  // from the last but one up: the first wins
        if (classes_[j].customers == 0) continue;
        const double least = classes_[j].min_value, here = static_cast<double>(j);
        for (std::size_t i = 0; i < m; ++i) c[i] = x[i] >= least ? here : c[i];
      }
      std::int32_t* __restrict o = out.data() + at;
      for (std::size_t i = 0; i < m; ++i) c[i] = x[i] > 0 ? c[i] : nonpositive_class;
      for (std::size_t i = 0; i < m; ++i) c[i] = x[i] == x[i] ? c[i] : -1.0;
      for (std::size_t i = 0; i < m; ++i) o[i] = static_cast<std::int32_t>(c[i]);
    }
  });
  return out;
}

score_table abc_model::apply(const metric_table& t) const {
  score_table out;
  out.add_labels("abc_class", classify(t.column(config_.column, fn)), labels());
  return out;
}

score_table abc_model::summary() const {
  std::vector<std::int32_t> label;
  std::vector<std::int64_t> customers;
  std::vector<double> value, value_share, customer_share, lo, hi;
  std::vector<abc_class_stats> rows = classes_;
  if (config_.nonpositive == nonpositive_policy::own_class) rows.push_back(nonpositive_);
  std::int64_t total_customers = 0;
  double positive_value = 0;
  for (const abc_class_stats& s : classes_) {
    total_customers += s.customers;
    positive_value += s.value;
  }
  if (config_.nonpositive == nonpositive_policy::lowest_class) positive_value -= nonpositive_.value;
  // Under lowest_class the non-positive customers are inside the last class already.
  if (config_.nonpositive != nonpositive_policy::lowest_class) total_customers += nonpositive_.customers;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    label.push_back(static_cast<std::int32_t>(i));
    customers.push_back(rows[i].customers);
    value.push_back(rows[i].value);
    value_share.push_back(positive_value > 0 ? rows[i].value / positive_value : nan);
    customer_share.push_back(total_customers > 0 ? static_cast<double>(rows[i].customers) /
                                                       static_cast<double>(total_customers)
                                                 : nan);
    lo.push_back(rows[i].min_value);
    hi.push_back(rows[i].max_value);
  }
  score_table t;
  t.add_labels("class", label, labels());
  t.add_integers("customers", customers);
  t.add_numbers("customer_share", customer_share);
  t.add_numbers("value", value);
  t.add_numbers("value_share", value_share);
  t.add_numbers("min_value", lo);
  t.add_numbers("max_value", hi);
  return t;
}

namespace {
using detail::fixed128;
using u128 = detail::uint128;

// Money in nano-units (10^-9) as a 128-bit integer: values below 2^60, totals below 2^96.
struct narrow_nanos {
  fixed128 v = 0;
  using unit = fixed128;  // one value, converted once, added to several sums
  static unit unit_of(double x) noexcept { return detail::fixed_from_double(x); }
  void add(unit u) noexcept { v += u; }
  // before * 10^9 >= share * whole: the share before reaches `share` (in 10^-9 units).
  static bool reached(const narrow_nanos& before, const narrow_nanos& whole, std::int64_t share) noexcept {
    return before.v * detail::fixed_scale >= share * whole.v;
  }
  double to_double() const noexcept { return detail::fixed_to_double(v); }
};

// Non-negative money in nano-units as an integer of 18 64-bit limbs: every finite double
// (below 2^1024) in nano-units is below 2^1054; sums of up to 2^64 of them, times 10^9 for
// a comparison, stay below 2^1148. Values of 2^60 or more are integers (beyond 2^53 every
// double is), so they are exact on the grid: their nano-units are mantissa * 10^9 * 2^e.
struct wide_nanos {
  static constexpr std::size_t limbs = 18;
  std::uint64_t w[limbs] = {};

  void add_shifted(u128 v, unsigned shift) noexcept {  // this += v << shift, v < 2^90
    std::size_t at = shift / 64;
    const unsigned bit = shift % 64;
    const std::uint64_t parts[3] = {static_cast<std::uint64_t>(v << bit),
                                    static_cast<std::uint64_t>(bit == 0 ? v >> 64 : v >> (64 - bit)),
                                    static_cast<std::uint64_t>(bit == 0 ? 0 : v >> (128 - bit))};
    u128 carry = 0;
    for (std::size_t i = 0; at < limbs && (i < 3 || carry != 0); ++i, ++at) {
      const u128 sum = u128{w[at]} + (i < 3 ? parts[i] : 0) + carry;
      w[at] = static_cast<std::uint64_t>(sum);
      carry = sum >> 64;
    }
  }
  struct unit {  // one value: v << shift
    u128 v;
    unsigned shift;
  };
  static unit unit_of(double x) noexcept {  // x >= 0, finite
    if (x < detail::fixed_max_amount) return {static_cast<u128>(detail::fixed_from_double(x)), 0};
    int e = 0;
    const double mantissa = std::frexp(x, &e);  // x = mantissa * 2^e, mantissa in [0.5, 1)
    const auto bits = static_cast<std::uint64_t>(std::ldexp(mantissa, 53));
    return {u128{bits} * static_cast<std::uint64_t>(detail::fixed_scale), static_cast<unsigned>(e - 53)};
  }
  void add(const unit& u) noexcept { add_shifted(u.v, u.shift); }
  wide_nanos times(std::uint64_t k) const noexcept {  // k < 2^31
    wide_nanos r;
    u128 carry = 0;
    for (std::size_t i = 0; i < limbs; ++i) {
      const u128 p = u128{w[i]} * k + carry;
      r.w[i] = static_cast<std::uint64_t>(p);
      carry = p >> 64;
    }
    return r;
  }
  static bool at_least(const wide_nanos& a, const wide_nanos& b) noexcept {
    for (std::size_t i = limbs; i-- > 0;) {
      if (a.w[i] != b.w[i]) return a.w[i] > b.w[i];
    }
    return true;
  }
  static bool reached(const wide_nanos& before, const wide_nanos& whole, std::int64_t share) noexcept {
    return at_least(before.times(static_cast<std::uint64_t>(detail::fixed_scale)),
                    whole.times(static_cast<std::uint64_t>(share)));
  }
  // The nearest double of the value in units (nano-units / 10^9). Below 2^127 nano-units as
  // narrow_nanos converts; beyond, the quotient by 10^9 (at least 2^97) rounded once: its top
  // 128 bits, with the lowest set when anything below them or the remainder is not zero
  // (far below the 53 bits kept, it only breaks ties the right way).
  double to_double() const noexcept {
    std::size_t top = limbs;
    while (top > 0 && w[top - 1] == 0) --top;
    if (top <= 1 || (top == 2 && (w[1] >> 63) == 0)) {
      return detail::fixed_to_double(static_cast<fixed128>(u128{w[1]} << 64 | w[0]));
    }
    std::uint64_t q[limbs] = {};
    u128 rest = 0;
    for (std::size_t i = top; i-- > 0;) {
      const u128 cur = rest << 64 | w[i];
      q[i] = static_cast<std::uint64_t>(cur / static_cast<std::uint64_t>(detail::fixed_scale));
      rest = cur % static_cast<std::uint64_t>(detail::fixed_scale);
    }
    std::size_t high = top;
    while (high > 0 && q[high - 1] == 0) --high;  // q >= 2^97: high >= 2
    u128 head = u128{q[high - 1]} << 64 | q[high - 2];
    bool sticky = rest != 0;
    for (std::size_t i = 0; i + 2 < high; ++i) sticky = sticky || q[i] != 0;
    if (sticky) head |= 1;
    return std::ldexp(static_cast<double>(head), static_cast<int>(64 * (high - 2)));
  }
};

// Classes of the positive values pos(0) >= pos(1) >= ... (m of them), by value or count
// shares: each tie group's class follows from what comes before its first member, the number
// of bounds that share reaches; the share only grows (and the bounds increase), so the
// search for the class goes on from the current one.
template <class Nanos, class Pos>
void assign_classes(std::size_t m, Pos pos, abc_mode mode, const std::vector<std::int64_t>& bound,
                    const Nanos& total, std::vector<abc_class_stats>& classes) {
  const std::size_t k = classes.size();
  std::vector<Nanos> class_value(k);
  Nanos before;  // value of the customers before the current one
  std::size_t current = 0;
  const auto n = static_cast<fixed128>(m);
  for (std::size_t i = 0; i < m; ++i) {
    const double x = pos(i);
    if (i == 0 || x != pos(i - 1)) {
      while (current + 1 < k &&
             (mode == abc_mode::value
                  ? Nanos::reached(before, total, bound[current])
                  : static_cast<fixed128>(i) * detail::fixed_scale >= bound[current] * n)) {
        ++current;
      }
    }
    abc_class_stats& c = classes[current];
    ++c.customers;
    const typename Nanos::unit u = Nanos::unit_of(x);
    class_value[current].add(u);
    c.max_value = std::isnan(c.max_value) ? x : c.max_value;
    c.min_value = x;
    before.add(u);
  }
  for (std::size_t j = 0; j < k; ++j) classes[j].value = class_value[j].to_double();
}
}  // namespace

abc_strategy::abc_strategy(abc_config config) : config_(std::move(config)) {
  config_.shares = config_.effective_shares();
  config_.check();
}

abc_model abc_strategy::fit_abc(number_span values) const {
  const std::size_t k = config_.labels.size();
  const std::vector<double>& bounds = config_.shares;
  std::int64_t missing = 0, infinite = 0;
  abc_class_stats nonpos;
  nonpos.label = config_.nonpositive_label;
  nonpos.min_value = nonpos.max_value = nan;
  long double nonpos_value = 0;
  for (double x : values) {
    if (std::isnan(x)) {
      ++missing;
    } else if (std::isinf(x)) {
      ++infinite;
    } else if (x > 0) {
      continue;
    } else {
      ++nonpos.customers;
      nonpos_value += x;
      nonpos.min_value = std::isnan(nonpos.min_value) ? x : std::min(nonpos.min_value, x);
      nonpos.max_value = std::isnan(nonpos.max_value) ? x : std::max(nonpos.max_value, x);
    }
  }
  if (infinite > 0) {
    throw invalid_input(std::string(fn) + ": column '" + config_.column + "': " +
                        detail::rows_text(infinite) + " hold an infinite value");
  }
  if (values.empty()) throw invalid_input(std::string(fn) + ": no values to classify");
  nonpos.value = static_cast<double>(nonpos_value);
  // Exact shares: values on the 10^-9 decimal grid, summed as integers; bounds are decimals
  // too (0.80 is 800000000 / 10^9). "The share before reaches bound b" is then the integer
  // comparison before * 10^9 >= b * total, free of floating-point rounding.
  // One ascending sort serves the concentration (all values >= 0) and the classes (the
  // positive tail, read from the largest down).
  std::int64_t negative = 0;
  const std::vector<double> ascending = sorted_nonnegative(values, negative);
  const std::size_t zeros = static_cast<std::size_t>(
      std::upper_bound(ascending.begin(), ascending.end(), 0.0) - ascending.begin());
  const std::size_t m = ascending.size() - zeros;  // positive values
  // pos(i): the i-th largest positive value.
  auto pos = [&](std::size_t i) { return ascending[ascending.size() - 1 - i]; };
  std::vector<std::int64_t> bound(bounds.size());
  for (std::size_t j = 0; j < bounds.size(); ++j) {
    bound[j] = std::llround(bounds[j] * static_cast<double>(detail::fixed_scale));
  }
  std::vector<abc_class_stats> classes(k);
  for (std::size_t j = 0; j < k; ++j) {
    classes[j].label = config_.labels[j];
    classes[j].min_value = classes[j].max_value = nan;
  }
  // 128-bit nano-units hold every value below 2^60 and the products of the comparison
  // while the total stays below 2^96; beyond, wide integers hold any double exactly.
  narrow_nanos total;
  const bool narrow_values = m == 0 || pos(0) < detail::fixed_max_amount;
  if (narrow_values) {
    for (std::size_t i = 0; i < m; ++i) total.add(narrow_nanos::unit_of(pos(i)));
  }
  if (narrow_values && total.v < (static_cast<fixed128>(1) << 96)) {
    assign_classes(m, pos, config_.mode, bound, total, classes);
  } else {
    wide_nanos wide_total;
    for (std::size_t i = 0; i < m; ++i) wide_total.add(wide_nanos::unit_of(pos(i)));
    assign_classes(m, pos, config_.mode, bound, wide_total, classes);
  }
  if (config_.nonpositive == nonpositive_policy::lowest_class && nonpos.customers > 0) {
    abc_class_stats& last = classes[k - 1];
    last.customers += nonpos.customers;
    last.value += nonpos.value;
    last.min_value = nonpos.min_value;
    if (std::isnan(last.max_value)) last.max_value = nonpos.max_value;
  }
  return abc_model(config_, std::move(classes), std::move(nonpos), missing,
                   concentration_of_sorted(ascending, negative));
}

abc_model abc_strategy::fit_abc(const metric_table& t) const { return fit_abc(t.column(config_.column, fn)); }

std::unique_ptr<model> abc_strategy::fit(const metric_table& t) const {
  return std::make_unique<abc_model>(fit_abc(t));
}

}  // namespace tierkit
