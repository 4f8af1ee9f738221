// All Boost.Serialization code lives here: the archives, class versions and the envelope.
#include "tierkit/serialization.hpp"

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
// The member definitions of Boost's text input archive, instantiated below for the bounded
// archive (Boost's library holds them only for its own text_iarchive).
#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_text_iarchive.ipp>
#include <boost/archive/impl/text_iarchive_impl.ipp>
#include <boost/serialization/collection_size_type.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <boost/serialization/version.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string_view>
#include <system_error>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // fsync
#endif

#include "detail/byte_io.hpp"
#include "detail/report_bytes.hpp"
#include "over_time/ledger_impl.hpp"
#include "tierkit/error.hpp"

// Class versions: bump one when its serialize() changes, and keep reading the old layout.
BOOST_CLASS_VERSION(tierkit::fitted_bins, 1)
BOOST_CLASS_VERSION(tierkit::segment_rule, 1)
BOOST_CLASS_VERSION(tierkit::segment_table, 1)
BOOST_CLASS_VERSION(tierkit::rfm_model, 1)
BOOST_CLASS_VERSION(tierkit::concentration, 1)
BOOST_CLASS_VERSION(tierkit::abc_class_stats, 1)
BOOST_CLASS_VERSION(tierkit::abc_model, 1)
BOOST_CLASS_VERSION(tierkit::lifecycle_config, 2)
BOOST_CLASS_VERSION(tierkit::lifecycle_model, 1)
BOOST_CLASS_VERSION(tierkit::value_potential_model, 1)
BOOST_CLASS_VERSION(tierkit::band_condition, 1)
BOOST_CLASS_VERSION(tierkit::asset_band, 1)
BOOST_CLASS_VERSION(tierkit::entry_criterion, 1)
BOOST_CLASS_VERSION(tierkit::asset_band_config, 1)
BOOST_CLASS_VERSION(tierkit::asset_band_model, 1)
BOOST_CLASS_VERSION(tierkit::tier_rule, 1)
BOOST_CLASS_VERSION(tierkit::tier_policy, 1)
BOOST_CLASS_VERSION(tierkit::mle_report, 1)
BOOST_CLASS_VERSION(tierkit::bg_nbd_model, 1)
BOOST_CLASS_VERSION(tierkit::pareto_nbd_model, 1)
BOOST_CLASS_VERSION(tierkit::gamma_gamma_model, 1)
BOOST_CLASS_VERSION(tierkit::clv_model, 1)
BOOST_CLASS_VERSION(tierkit::kmeans_cluster, 1)
BOOST_CLASS_VERSION(tierkit::kmeans_report, 1)
BOOST_CLASS_VERSION(tierkit::kmeans_model, 1)

namespace tierkit::detail {

// Boost's text input archive, but every declared length is checked against the bytes left
// in the payload before anything is allocated: a string of n bytes needs n more bytes; a
// collection of n items (vectors, maps, and detail::archive_doubles through check_length)
// needs 2n more, as every item of every tierkit type holds at least one number, written as
// a separator and a digit. Boost's own archive resizes first and reads after, so a damaged
// or crafted length of a 1 KB file could make it allocate gigabytes.
class bounded_text_iarchive
    : public boost::archive::text_iarchive_impl<bounded_text_iarchive> {
  using base = boost::archive::text_iarchive_impl<bounded_text_iarchive>;
  friend class boost::archive::detail::interface_iarchive<bounded_text_iarchive>;
  friend class boost::archive::basic_text_iarchive<bounded_text_iarchive>;
  friend class boost::archive::text_iarchive_impl<bounded_text_iarchive>;
  friend class boost::archive::load_access;

 public:
  bounded_text_iarchive(std::istream& in, std::uint64_t size) : base(in, 0), size_(size) {
    init();
  }

  // Throws format_error unless `count` items of at least `min_bytes` each fit in what is
  // left of the payload.
  void check_length(std::uint64_t count, std::uint64_t min_bytes, const char* what) {
    const std::uint64_t left = bytes_left();
    if (count > left / min_bytes) {
      throw format_error("the payload declares " + std::string(what) + " of " +
                         std::to_string(count) + (min_bytes == 1 ? " bytes" : " items") +
                         ", but only " + std::to_string(left) + " bytes are left");
    }
  }

 protected:
  template <class T>
  void load(T& t) {
    base::load(t);
  }
  void load(boost::serialization::collection_size_type& t) {
    base::load(t);
    check_length(static_cast<std::uint64_t>(t), 2, "a collection");
  }
  void load(std::string& s) {
    std::size_t size = 0;
    base::load(size);
    is.get();  // the separating space
    check_length(size, 1, "a string");
    s.resize(size);
    if (size > 0) is.read(&s[0], static_cast<std::streamsize>(size));
    if (!is) throw format_error("the payload ends inside a string");
  }

 private:
  std::uint64_t bytes_left() {
    const std::streamoff at = is.tellg();
    if (at < 0) throw format_error("the payload cannot be read past a damaged token");
    const auto pos = static_cast<std::uint64_t>(at);
    return pos < size_ ? size_ - pos : 0;
  }

  std::uint64_t size_;
};

}  // namespace tierkit::detail

template class boost::archive::basic_text_iarchive<tierkit::detail::bounded_text_iarchive>;
template class boost::archive::text_iarchive_impl<tierkit::detail::bounded_text_iarchive>;
template class boost::archive::detail::archive_serializer_map<tierkit::detail::bounded_text_iarchive>;

namespace tierkit {

namespace {

constexpr char magic[8] = {'T', 'I', 'E', 'R', 'K', 'I', 'T', '\x1a'};
constexpr std::size_t max_kind_length = 64;

// Format 1's payload checksum: FNV-1a 64, a byte at a time (format 1 files still load).
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// Format 2's payload checksum. FNV-1a's one multiplication per byte, each waiting on the
// last, took seconds on the hundreds of megabytes of a tier history's state; this takes
// little-endian 64-bit words into four independent lanes (32 bytes a step), the bytes past
// the last whole step one at a time, then mixes the lanes, the length and the tail. Every
// step is a bijection of its lane for a given word and of the word for a given lane, so a
// change within any one 8-byte word always changes the checksum.
std::uint64_t lanes_checksum(std::string_view s) {
  constexpr std::uint64_t k1 = 0x9e3779b97f4a7c15ULL, k2 = 0xc2b2ae3d27d4eb4fULL;
  const bool little = detail::host_is_little_endian();
  auto word = [&](const char* at) {
    std::uint64_t w;
    std::memcpy(&w, at, 8);
    return little ? w : __builtin_bswap64(w);
  };
  auto rotl = [](std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); };
  std::uint64_t lane[4] = {k1, k2, ~k1, ~k2};
  const std::size_t steps = s.size() / 32;
  for (std::size_t i = 0; i < steps; ++i) {
    const char* at = s.data() + 32 * i;
    for (int j = 0; j < 4; ++j) lane[j] = rotl(lane[j] + word(at + 8 * j) * k2, 31) * k1;
  }
  std::uint64_t h = static_cast<std::uint64_t>(s.size()) * k2;
  for (std::uint64_t l : lane) h = rotl(h ^ (rotl(l, 27) * k2), 29) * k1 + k2;
  for (std::size_t i = 32 * steps; i < s.size(); ++i) h = (h ^ static_cast<unsigned char>(s[i])) * 0x100000001b3ULL;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

std::uint64_t payload_checksum(std::uint32_t version, std::string_view payload) {
  return version == 1 ? fnv1a(payload) : lanes_checksum(payload);
}

template <class T>
void put(std::string& out, T v) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

template <class T>
T get(std::string_view in, std::size_t& pos) {
  T v = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    v |= static_cast<T>(static_cast<unsigned char>(in[pos + i])) << (8 * i);
  }
  pos += sizeof(T);
  return v;
}

std::string wrap(const std::string& kind, const std::string& payload) {
  std::string out(magic, magic + 8);
  put<std::uint32_t>(out, format_version);
  put<std::uint16_t>(out, static_cast<std::uint16_t>(kind.size()));
  out += kind;
  put<std::uint64_t>(out, payload.size());
  put<std::uint64_t>(out, payload_checksum(format_version, payload));
  return out + payload;
}

struct unwrapped {
  std::string kind;
  std::string_view payload;  // within the bytes unwrapped (no copy: states run to gigabytes)
};

unwrapped unwrap(std::string_view bytes, const char* function) {
  const std::string fn = function;
  if (bytes.size() < 8 || std::memcmp(bytes.data(), magic, 8) != 0) {
    throw format_error(fn + ": not tierkit data (the bytes do not start with tierkit's magic)");
  }
  std::size_t pos = 8;
  if (bytes.size() < pos + 6) throw format_error(fn + ": truncated (the header is incomplete)");
  const auto version = get<std::uint32_t>(bytes, pos);
  if (version == 0 || version > format_version) {
    throw format_error(fn + ": written in format version " + std::to_string(version) +
                       ", which this tierkit (format version " + std::to_string(format_version) +
                       ") cannot read; upgrade tierkit");
  }
  const auto kind_len = get<std::uint16_t>(bytes, pos);
  if (bytes.size() < pos + kind_len + 16) throw format_error(fn + ": truncated (the header is incomplete)");
  unwrapped u;
  u.kind = std::string(bytes.substr(pos, kind_len));
  pos += kind_len;
  // Kinds are short lowercase names; anything else is damage (and would not be text that
  // messages or Python could show).
  const bool name = !u.kind.empty() && u.kind.size() <= max_kind_length &&
                    std::all_of(u.kind.begin(), u.kind.end(), [](char c) {
                      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
                    });
  if (!name) {
    throw format_error(fn + ": damaged (the kind field, " + std::to_string(kind_len) +
                       " bytes, is not a name of lowercase letters, digits and '_')");
  }
  const auto length = get<std::uint64_t>(bytes, pos);
  const auto checksum = get<std::uint64_t>(bytes, pos);
  if (bytes.size() - pos != length) {
    throw format_error(fn + ": truncated or padded (" + std::to_string(bytes.size() - pos) +
                       " payload bytes, the header says " + std::to_string(length) + ")");
  }
  if (payload_checksum(version, bytes.substr(pos)) != checksum) {
    throw format_error(fn + ": corrupt (the payload checksum does not match)");
  }
  u.payload = bytes.substr(pos);
  return u;
}

template <class T>
std::string save(const std::string& kind, const T& object) {
  std::ostringstream ss;
  {
    boost::archive::text_oarchive oa(ss);
    oa << object;
  }
  return wrap(kind, ss.str());
}

template <class T>
T load(const std::string& bytes, const std::string& kind, const char* function) {
  const unwrapped u = unwrap(bytes, function);
  if (u.kind != kind) {
    throw format_error(std::string(function) + ": the bytes hold a '" + u.kind + "', not a '" +
                       kind + "'");
  }
  T object;
  try {
    std::istringstream ss{std::string(u.payload)};
    detail::bounded_text_iarchive ia(ss, u.payload.size());
    ia >> object;
  } catch (const boost::archive::archive_exception& e) {
    throw format_error(std::string(function) + ": unreadable payload (" + e.what() + ")");
  } catch (const std::exception& e) {
    throw format_error(std::string(function) + ": unreadable payload (" + e.what() + ")");
  }
  return object;
}

void check_bins(const fitted_bins& b, const char* function) {
  const bool ok = b.bins >= 1 && b.cuts.size() == static_cast<std::size_t>(b.bins - 1) &&
                  b.fit_counts.size() == static_cast<std::size_t>(b.bins) &&
                  std::is_sorted(b.cuts.begin(), b.cuts.end());
  if (!ok) throw format_error(std::string(function) + ": inconsistent cut points in the payload");
}

}  // namespace

std::string envelope_kind(const std::string& bytes) { return unwrap(bytes, "tierkit.load").kind; }

std::string to_bytes(const rfm_model& m) { return save("rfm", m); }
std::string to_bytes(const abc_model& m) { return save("abc", m); }
std::string to_bytes(const segment_table& t) { return save("segment_table", t); }
std::string to_bytes(const lifecycle_model& m) { return save("lifecycle", m); }
std::string to_bytes(const value_potential_model& m) { return save("value_potential", m); }
std::string to_bytes(const asset_band_model& m) { return save("asset_bands", m); }
std::string to_bytes(const tier_policy& p) { return save("tier_policy", p); }

tier_policy tier_policy_from_bytes(const std::string& bytes) {
  // Loading re-parses every condition; a parse failure is a damaged file.
  const char* fn = "tierkit.tier_policy.from_bytes";
  try {
    return load<tier_policy>(bytes, "tier_policy", fn);
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid rules in the payload (" + e.what() + ")");
  }
}

asset_band_model asset_band_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.asset_band_model.from_bytes";
  asset_band_model m = load<asset_band_model>(bytes, "asset_bands", fn);
  try {
    m.config().check();
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid settings in the payload (" + e.what() + ")");
  }
  return m;
}

value_potential_model value_potential_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.value_potential_model.from_bytes";
  value_potential_model m = load<value_potential_model>(bytes, "value_potential", fn);
  check_bins(m.value_bins(), fn);
  check_bins(m.potential_bins(), fn);
  const std::size_t cells = m.config().cells.size();
  if (cells != static_cast<std::size_t>(m.value_bins().bins) * static_cast<std::size_t>(m.potential_bins().bins)) {
    throw format_error(std::string(fn) + ": the cell names do not fill the grid");
  }
  if (m.cell_customers().size() != cells || m.cell_value().size() != cells) {
    throw format_error(std::string(fn) + ": the counts per cell do not fill the grid");
  }
  if (!m.config().cells_zh.empty() && m.config().cells_zh.size() != cells) {
    throw format_error(std::string(fn) + ": the Chinese cell names do not fill the grid");
  }
  return m;
}

lifecycle_model lifecycle_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.lifecycle_model.from_bytes";
  lifecycle_model m = load<lifecycle_model>(bytes, "lifecycle", fn);
  try {
    m.config().check();
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid settings in the payload (" + e.what() + ")");
  }
  return m;
}

rfm_model rfm_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.rfm_model.from_bytes";
  rfm_model m = load<rfm_model>(bytes, "rfm", fn);
  check_bins(m.recency(), fn);
  check_bins(m.frequency(), fn);
  check_bins(m.monetary(), fn);
  return m;
}

abc_model abc_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.abc_model.from_bytes";
  abc_model m = load<abc_model>(bytes, "abc", fn);
  if (m.config().labels.size() != m.classes().size() ||
      m.config().shares.size() + 1 != m.classes().size()) {
    throw format_error(std::string(fn) + ": inconsistent classes in the payload");
  }
  return m;
}

segment_table segment_table_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.segment_table.from_bytes";
  segment_table t = load<segment_table>(bytes, "segment_table", fn);
  try {
    return segment_table(t.rules(), t.default_name(), t.default_label_zh());  // re-validates
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid table in the payload (" + e.what() + ")");
  }
}

std::string to_bytes(const bg_nbd_model& m) { return save("bg_nbd", m); }
std::string to_bytes(const pareto_nbd_model& m) { return save("pareto_nbd", m); }
std::string to_bytes(const gamma_gamma_model& m) { return save("gamma_gamma", m); }
std::string to_bytes(const clv_model& m) { return save("clv", m); }

namespace {
// Loaded models re-check their parameters (positive, finite) through their constructors.
template <class M>
M checked_model(const std::string& bytes, const char* kind, const char* fn) {
  M m = load<M>(bytes, kind, fn);
  try {
    return M(m.params(), m.report());
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid parameters in the payload (" + e.what() + ")");
  }
}
}  // namespace

bg_nbd_model bg_nbd_model_from_bytes(const std::string& bytes) {
  return checked_model<bg_nbd_model>(bytes, "bg_nbd", "tierkit.bg_nbd_model.from_bytes");
}
pareto_nbd_model pareto_nbd_model_from_bytes(const std::string& bytes) {
  return checked_model<pareto_nbd_model>(bytes, "pareto_nbd", "tierkit.pareto_nbd_model.from_bytes");
}
gamma_gamma_model gamma_gamma_model_from_bytes(const std::string& bytes) {
  return checked_model<gamma_gamma_model>(bytes, "gamma_gamma", "tierkit.gamma_gamma_model.from_bytes");
}
clv_model clv_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.clv_model.from_bytes";
  clv_model m = load<clv_model>(bytes, "clv", fn);
  try {
    m.config().check();
    bg_nbd_model(m.bg_nbd().params());
    pareto_nbd_model(m.pareto_nbd().params());
    gamma_gamma_model(m.gamma_gamma().params());
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid settings in the payload (" + e.what() + ")");
  }
  return m;
}

std::string clv_model::to_bytes() const { return tierkit::to_bytes(*this); }

std::string to_bytes(const kmeans_model& m) { return save("kmeans", m); }
kmeans_model kmeans_model_from_bytes(const std::string& bytes) {
  const char* fn = "tierkit.kmeans_model.from_bytes";
  kmeans_model m = load<kmeans_model>(bytes, "kmeans", fn);
  try {
    // The constructor re-checks the settings, the transform and the centres.
    return kmeans_model(m.config(), m.shift(), m.scale(), m.clusters(), m.report());
  } catch (const invalid_input& e) {
    throw format_error(std::string(fn) + ": invalid model in the payload (" + e.what() + ")");
  }
}
std::string kmeans_model::to_bytes() const { return tierkit::to_bytes(*this); }
std::string rfm_model::to_bytes() const { return tierkit::to_bytes(*this); }
std::string abc_model::to_bytes() const { return tierkit::to_bytes(*this); }
std::string lifecycle_model::to_bytes() const { return tierkit::to_bytes(*this); }
std::string value_potential_model::to_bytes() const { return tierkit::to_bytes(*this); }
std::string asset_band_model::to_bytes() const { return tierkit::to_bytes(*this); }

// --- the tier ledger -----------------------------------------------------------------------
// Its columns travel as raw little-endian bytes in one archived string each (a text archive
// of tens of millions of numbers is slow to write and read); a marker checks the byte order.

namespace {


template <class Archive, class T>
void archive_column(Archive& ar, std::vector<T>& v) {
  static_assert(std::is_trivially_copyable<T>::value, "raw columns only");
  std::string bytes;
  if constexpr (Archive::is_saving::value) {
    bytes.assign(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    ar & bytes;
  } else {
    ar & bytes;
    if (bytes.size() % sizeof(T) != 0) throw format_error("tierkit: a column's byte length is not a whole number of values");
    v.resize(bytes.size() / sizeof(T));
    if (!bytes.empty()) std::memcpy(v.data(), bytes.data(), bytes.size());
  }
}

template <class Archive>
void archive_keys(Archive& ar, customer_keys& k) {
  ar & k.is_string;
  archive_column(ar, k.ints);
  archive_column(ar, k.offsets);
  ar & k.chars;
}


}  // namespace

// The ledger as raw columns (it holds a record per customer and assessment: tens of
// millions of values, which a text archive writes and reads slowly); every length is
// checked on load, then check_ledger checks what the code relies on.
namespace {

void put_keys(detail::byte_writer& w, const customer_keys& k) {
  w.put<std::uint8_t>(k.is_string);
  w.put_column(k.ints);
  w.put_column(k.offsets);
  w.put_text(k.chars);
}

customer_keys get_keys(detail::byte_reader& r) {
  customer_keys k;
  k.is_string = r.get<std::uint8_t>() != 0;
  k.ints = r.get_column<std::int64_t>();
  k.offsets = r.get_column<std::int64_t>();
  k.chars = r.get_text();
  return k;
}

void put_texts(detail::byte_writer& w, const std::vector<std::string>& v) {
  w.put<std::uint64_t>(v.size());
  for (const std::string& x : v) w.put_text(x);
}

std::vector<std::string> get_texts(detail::byte_reader& r) {
  const auto n = r.get<std::uint64_t>();
  std::vector<std::string> v;
  for (std::uint64_t i = 0; i < n; ++i) v.push_back(r.get_text());  // each text checks its length
  return v;
}

}  // namespace

static std::string ledger_payload(const tier_ledger::impl& s) {
  detail::byte_writer w;
  w.put<std::uint32_t>(1);  // layout
  w.put<std::uint8_t>(detail::host_is_little_endian() ? 1 : 0);
  w.put<std::uint64_t>(s.versions.size());
  for (std::size_t v = 0; v < s.versions.size(); ++v) {
    const policy_version& x = s.versions[v];
    w.put_text(x.label);
    w.put<std::int32_t>(x.effective_from);
    w.put_text(x.fingerprint);
    put_texts(w, x.rules.tiers);
    w.put<std::uint64_t>(x.rules.transitions.size());
    for (const tier_transition& t : x.rules.transitions) {
      w.put<std::int32_t>(t.upgrade_after);
      w.put<std::int32_t>(t.downgrade_after);
      w.put<std::uint8_t>(static_cast<std::uint8_t>(t.downgrade_to));
    }
    w.put<std::int32_t>(x.rules.protect_new_days);
    put_texts(w, x.rule_names);
    w.put_column(s.version_tiers[v]);
  }
  put_texts(w, s.tier_names);
  w.put<std::uint8_t>(s.config.frequency.has_value());
  w.put<std::uint8_t>(static_cast<std::uint8_t>(s.config.frequency.value_or(assessment_frequency::month)));
  const tier_overrides& o = s.overrides;
  put_keys(w, o.customer);
  put_texts(w, o.tier);
  w.put_column(o.from);
  w.put_column(o.to);
  w.put_column(o.kind);
  put_texts(w, o.reason);
  put_texts(w, o.operator_name);
  put_keys(w, s.keys);
  // Customer states, field by field.
  std::vector<std::int32_t> held, since, below, raw, rule, first, orank, rcount;
  std::vector<override_kind> active;
  std::vector<std::int16_t> recent;
  for (const customer_state& c : s.states) {
    held.push_back(c.held);
    since.push_back(c.since);
    below.push_back(c.below);
    raw.push_back(c.raw);
    rule.push_back(c.rule);
    first.push_back(c.first_purchase);
    orank.push_back(c.override_rank);
    rcount.push_back(c.recent_count);
    active.push_back(c.active);
    recent.insert(recent.end(), c.recent.begin(), c.recent.end());
  }
  for (const auto* col : {&held, &since, &below, &raw, &rule, &first, &orank, &rcount}) w.put_column(*col);
  w.put_column(active);
  w.put_column(recent);
  w.put_column(s.open_spell);
  w.put_column(s.override_row);
  const spell_table& p = s.spells;
  w.put_column(p.customer);
  w.put_column(p.tier);
  w.put_column(p.from);
  w.put_column(p.to);
  w.put_column(p.reason);
  w.put_column(p.rule);
  w.put_column(p.version);
  w.put_column(p.previous_tier);
  const assessment_records& r = s.records;
  w.put_column(r.raw);
  w.put_column(r.rule);
  w.put_column(r.held);
  w.put_column(r.below);
  w.put_column(r.left);
  w.put_column(r.override_active);
  w.put_column(r.protected_new);
  w.put_column(s.dates);
  w.put_column(s.date_versions);
  w.put_column(s.record_offsets);
  w.put<std::int32_t>(s.current_version);
  return std::move(w.bytes());
}

static void ledger_from_payload(tier_ledger::impl& s, std::string_view payload, const char* f) {
  detail::byte_reader r(payload, f);
  if (r.get<std::uint32_t>() != 1) r.fail("a ledger layout this tierkit does not know");
  if (r.get<std::uint8_t>() != (detail::host_is_little_endian() ? 1 : 0)) r.fail("written with another byte order");
  const auto versions = r.get<std::uint64_t>();
  if (versions > 100000) r.fail("too many policy versions");
  for (std::uint64_t v = 0; v < versions; ++v) {
    policy_version x;
    x.label = r.get_text();
    x.effective_from = r.get<std::int32_t>();
    x.fingerprint = r.get_text();
    x.rules.tiers = get_texts(r);
    const auto transitions = r.get<std::uint64_t>();
    if (transitions > 32767) r.fail("too many transitions");
    for (std::uint64_t t = 0; t < transitions; ++t) {
      tier_transition tt;
      tt.upgrade_after = r.get<std::int32_t>();
      tt.downgrade_after = r.get<std::int32_t>();
      const auto to = r.get<std::uint8_t>();
      if (to > 1) r.fail("a downgrade target");
      tt.downgrade_to = static_cast<downgrade_target>(to);
      x.rules.transitions.push_back(tt);
    }
    x.rules.protect_new_days = r.get<std::int32_t>();
    x.rule_names = get_texts(r);
    s.versions.push_back(std::move(x));
    s.version_tiers.push_back(r.get_column<std::int32_t>());
  }
  s.tier_names = get_texts(r);
  const bool has_frequency = r.get<std::uint8_t>() != 0;
  const auto frequency = r.get<std::uint8_t>();
  if (frequency > static_cast<std::uint8_t>(assessment_frequency::year)) r.fail("a frequency");
  if (has_frequency) s.config.frequency = static_cast<assessment_frequency>(frequency);
  tier_overrides& o = s.overrides;
  o.customer = get_keys(r);
  o.tier = get_texts(r);
  o.from = r.get_column<std::int32_t>();
  o.to = r.get_column<std::int32_t>();
  o.kind = r.get_column<override_kind>();
  for (override_kind k : o.kind) {
    if (static_cast<int>(k) > static_cast<int>(override_kind::floor)) r.fail("an override kind");
  }
  o.reason = get_texts(r);
  o.operator_name = get_texts(r);
  s.keys = get_keys(r);
  std::vector<std::vector<std::int32_t>> cols(8);
  for (auto& c : cols) c = r.get_column<std::int32_t>();
  const std::vector<override_kind> active = r.get_column<override_kind>();
  const std::vector<std::int16_t> recent = r.get_column<std::int16_t>();
  const std::size_t n = cols[0].size();
  constexpr std::size_t depth = max_upgrade_after - 1;
  for (const auto& c : cols) {
    if (c.size() != n) r.fail("customer state columns of different lengths");
  }
  if (active.size() != n || recent.size() != n * depth) r.fail("customer state columns of different lengths");
  // Room for what the next assessment appends (its records, new customers, their spells):
  // columns loaded at their exact size would each be moved whole by the first advance.
  const std::size_t more_customers = n / 8 + 1024, more_records = n + more_customers;
  s.states.reserve(n + more_customers);
  s.states.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    customer_state& c = s.states[i];
    c.held = cols[0][i];
    c.since = cols[1][i];
    c.below = cols[2][i];
    c.raw = cols[3][i];
    c.rule = cols[4][i];
    c.first_purchase = cols[5][i];
    c.override_rank = cols[6][i];
    c.recent_count = cols[7][i];
    c.active = active[i];
    if (static_cast<int>(c.active) > static_cast<int>(override_kind::floor)) r.fail("an override kind");
    std::copy(recent.begin() + static_cast<std::ptrdiff_t>(i * depth),
              recent.begin() + static_cast<std::ptrdiff_t>((i + 1) * depth), c.recent.begin());
  }
  s.open_spell = r.get_column<std::int64_t>(more_customers);
  s.override_row = r.get_column<std::int64_t>(more_customers);
  spell_table& p = s.spells;
  p.customer = r.get_column<std::uint32_t>(more_customers);
  p.tier = r.get_column<std::int32_t>(more_customers);
  p.from = r.get_column<std::int32_t>(more_customers);
  p.to = r.get_column<std::int32_t>(more_customers);
  p.reason = r.get_column<change_reason>(more_customers);
  p.rule = r.get_column<std::int32_t>(more_customers);
  p.version = r.get_column<std::int32_t>(more_customers);
  p.previous_tier = r.get_column<std::int32_t>(more_customers);
  assessment_records& rec = s.records;
  rec.raw = r.get_column<std::int16_t>(more_records);
  rec.rule = r.get_column<std::int32_t>(more_records);
  rec.held = r.get_column<std::int16_t>(more_records);
  rec.below = r.get_column<std::int16_t>(more_records);
  rec.left = r.get_column<std::int16_t>(more_records);
  rec.override_active = r.get_column<override_kind>(more_records);
  rec.protected_new = r.get_column<std::uint8_t>(more_records);
  s.dates = r.get_column<std::int32_t>();
  s.date_versions = r.get_column<std::int32_t>();
  s.record_offsets = r.get_column<std::int64_t>();
  s.current_version = r.get<std::int32_t>();
  if (!r.done()) r.fail("bytes after the ledger");
}

namespace {

// Everything a loaded ledger's code relies on: lengths agree, indices are in range.
void check_ledger(const tier_ledger::impl& s, const char* f) {
  auto bad = [&](const char* what) { throw format_error(std::string(f) + ": inconsistent ledger payload (" + what + ")"); };
  if (s.versions.empty() || s.version_tiers.size() != s.versions.size()) bad("versions");
  for (std::size_t v = 0; v < s.versions.size(); ++v) {
    try {
      s.versions[v].rules.validate(f);
    } catch (const invalid_input&) {
      bad("transition rules");
    }
    if (s.version_tiers[v].size() != s.versions[v].rules.tiers.size()) bad("version tiers");
    for (std::int32_t id : s.version_tiers[v]) {
      if (id < 0 || static_cast<std::size_t>(id) >= s.tier_names.size()) bad("tier ids");
    }
  }
  try {
    s.overrides.validate(f);
  } catch (const invalid_input&) {
    bad("overrides");
  }
  const std::size_t n = s.states.size();
  if (s.keys.size() != n || s.open_spell.size() != n || s.override_row.size() != n) bad("customers");
  if (s.keys.is_string && (s.keys.offsets.empty() ? n != 0 : (s.keys.offsets.front() != 0 ||
      !std::is_sorted(s.keys.offsets.begin(), s.keys.offsets.end()) ||
      static_cast<std::size_t>(s.keys.offsets.back()) != s.keys.chars.size()))) bad("keys");
  const auto tiers = static_cast<std::int32_t>(s.tier_names.size());
  const auto versions = static_cast<std::int32_t>(s.versions.size());
  const spell_table& p = s.spells;
  const std::size_t m = p.customer.size();
  for (std::size_t len : {p.tier.size(), p.from.size(), p.to.size(), p.reason.size(), p.rule.size(),
                          p.version.size(), p.previous_tier.size()}) {
    if (len != m) bad("spell columns");
  }
  for (std::size_t i = 0; i < m; ++i) {
    if (p.customer[i] >= n || p.tier[i] < 0 || p.tier[i] >= tiers || p.version[i] < 0 ||
        p.version[i] >= versions || p.previous_tier[i] < no_tier || p.previous_tier[i] >= tiers ||
        static_cast<int>(p.reason[i]) > static_cast<int>(change_reason::policy_changed)) bad("spells");
  }
  for (std::int64_t o : s.open_spell) {
    if (o < -1 || o >= static_cast<std::int64_t>(m)) bad("open spells");
  }
  for (std::int64_t o : s.override_row) {
    if (o < -1 || o >= static_cast<std::int64_t>(s.overrides.size())) bad("override rows");
  }
  const assessment_records& r = s.records;
  const std::size_t k = r.held.size();
  for (std::size_t len : {r.raw.size(), r.rule.size(), r.below.size(), r.left.size(), r.override_active.size(),
                          r.protected_new.size()}) {
    if (len != k) bad("record columns");
  }
  for (std::size_t i = 0; i < k; ++i) {
    if (r.held[i] < 0 || r.held[i] >= tiers || r.raw[i] < 0 || r.raw[i] >= tiers ||
        static_cast<int>(r.override_active[i]) > static_cast<int>(override_kind::floor)) bad("records");
  }
  if (s.record_offsets.size() != s.dates.size() + 1 || s.record_offsets.front() != 0 ||
      !std::is_sorted(s.record_offsets.begin(), s.record_offsets.end()) ||
      static_cast<std::size_t>(s.record_offsets.back()) != k ||
      !std::is_sorted(s.dates.begin(), s.dates.end()) || s.date_versions.size() != s.dates.size()) bad("assessment dates");
  for (std::size_t d = 0; d < s.dates.size(); ++d) {
    if (s.date_versions[d] < 0 || s.date_versions[d] >= versions) bad("assessment versions");
    if (static_cast<std::size_t>(s.record_offsets[d + 1] - s.record_offsets[d]) > n) bad("record offsets");
  }
  if (s.current_version < -1 || s.current_version >= versions) bad("current version");
  for (const customer_state& c : s.states) {
    if (c.held < no_tier || c.recent_count < 0 || c.recent_count > max_upgrade_after - 1) bad("customer states");
  }
}

}  // namespace

std::string to_bytes(const tier_ledger& l) { return wrap("tier_ledger", ledger_payload(*l.impl_)); }

std::string wrap_envelope(const std::string& kind, const std::string& payload) {
  if (kind.empty() || kind.size() > 64) throw invalid_input("tierkit.wrap_envelope: a kind of 1 to 64 characters");
  return wrap(kind, payload);
}

std::string unwrap_envelope(std::string_view bytes, const std::string& kind) {
  const char* f = "tierkit.unwrap_envelope";
  unwrapped u = unwrap(bytes, f);
  if (u.kind != kind) throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "', not a '" + kind + "'");
  return std::string(u.payload);
}

namespace {
struct history_payload {
  customer_history* h;
  template <class Archive>
  void serialize(Archive& ar, const unsigned) {
    archive_keys(ar, h->customer);
    archive_column(ar, h->first_purchase);
    archive_column(ar, h->last_purchase);
  }
};
}  // namespace

std::string to_bytes(const customer_history& h) {
  customer_history copy = h;
  return save("customer_history", history_payload{&copy});
}

customer_history customer_history_from_bytes(const std::string& bytes) {
  const char* f = "tierkit.customer_history.from_bytes";
  const unwrapped u = unwrap(bytes, f);
  if (u.kind != "customer_history") throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "'");
  customer_history h;
  try {
    // The bounded archive, as every loader: a declared length is checked against the bytes
    // left before anything is allocated.
    std::istringstream ss{std::string(u.payload)};
    detail::bounded_text_iarchive ia(ss, u.payload.size());
    history_payload p{&h};
    ia >> p;
  } catch (const std::exception& e) {
    throw format_error(std::string(f) + ": unreadable payload (" + e.what() + ")");
  }
  const std::size_t n = h.customer.size();
  if (h.first_purchase.size() != n || h.last_purchase.size() != n ||
      (h.customer.is_string && (h.customer.offsets.empty() || h.customer.offsets.front() != 0 ||
                                static_cast<std::size_t>(h.customer.offsets.back()) != h.customer.chars.size() ||
                                !std::is_sorted(h.customer.offsets.begin(), h.customer.offsets.end())))) {
    throw format_error(std::string(f) + ": inconsistent columns");
  }
  // Days within the supported dates (or none), as a profile gives them: recency and tenure
  // are differences of days.
  for (const auto* days : {&h.first_purchase, &h.last_purchase}) {
    for (std::int32_t d : *days) {
      if (d != no_day && !is_supported_day(d)) {
        throw format_error(std::string(f) + ": a day outside the supported dates");
      }
    }
  }
  return h;
}

std::string to_bytes(const period_table& t) { return wrap("period_table", detail::period_table_payload(t)); }

period_table period_table_from_bytes(const std::string& bytes) {
  const char* f = "tierkit.period_table.from_bytes";
  const unwrapped u = unwrap(bytes, f);
  if (u.kind != "period_table") throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "'");
  return detail::period_table_from_payload(u.payload);
}

// Finished profiles: every column raw, lengths checked on load.
std::string to_bytes(const profile& p) {
  detail::byte_writer w;
  w.put<std::uint32_t>(1);  // layout
  w.put<std::uint8_t>(detail::host_is_little_endian() ? 1 : 0);
  w.put<std::uint8_t>(p.customer.is_string);
  w.put_column(p.customer.ints);
  w.put_column(p.customer.offsets);
  w.put_text(p.customer.chars);
  for (const auto* v : {&p.first_purchase, &p.last_purchase, &p.recency, &p.tenure, &p.previous_purchase}) w.put_column(*v);
  for (const auto* v : {&p.frequency, &p.purchase_days, &p.transactions, &p.returns, &p.channels, &p.categories}) w.put_column(*v);
  for (const auto* v : {&p.median_gap, &p.monetary, &p.gross_sales, &p.returns_value, &p.average_order_value, &p.quantity}) w.put_column(*v);
  w.put_column(p.series_offsets);
  w.put_column(p.series_period);
  w.put_column(p.series_net);
  w.put<std::int32_t>(p.as_of);
  w.put<std::uint8_t>(p.window_start.has_value());
  w.put<std::int32_t>(p.window_start.value_or(0));
  w.put_text(p.time_zone);
  w.put<std::uint8_t>(static_cast<std::uint8_t>(p.period));
  w.put<std::uint8_t>(static_cast<std::uint8_t>(p.has_orders | (p.has_quantity << 1) | (p.has_channels << 2) |
                                                (p.has_categories << 3) | (p.has_purchase_days << 4)));
  detail::put_report(w, p.report);
  return wrap("profile", w.bytes());
}

profile profile_from_bytes(const std::string& bytes) {
  const char* f = "tierkit.profile.from_bytes";
  const unwrapped u = unwrap(bytes, f);
  if (u.kind != "profile") throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "', not a 'profile'");
  detail::byte_reader r(u.payload, f);
  if (r.get<std::uint32_t>() != 1) r.fail("a layout this tierkit does not know");
  if (r.get<std::uint8_t>() != (detail::host_is_little_endian() ? 1 : 0)) r.fail("written with another byte order");
  profile p;
  p.customer.is_string = r.get<std::uint8_t>() != 0;
  p.customer.ints = r.get_column<std::int64_t>();
  p.customer.offsets = r.get_column<std::int64_t>();
  p.customer.chars = r.get_text();
  for (auto* v : {&p.first_purchase, &p.last_purchase, &p.recency, &p.tenure, &p.previous_purchase}) *v = r.get_column<std::int32_t>();
  for (auto* v : {&p.frequency, &p.purchase_days, &p.transactions, &p.returns, &p.channels, &p.categories}) *v = r.get_column<std::int64_t>();
  for (auto* v : {&p.median_gap, &p.monetary, &p.gross_sales, &p.returns_value, &p.average_order_value, &p.quantity}) *v = r.get_column<double>();
  p.series_offsets = r.get_column<std::int64_t>();
  p.series_period = r.get_column<std::int32_t>();
  p.series_net = r.get_column<double>();
  p.as_of = r.get<std::int32_t>();
  const bool has_start = r.get<std::uint8_t>() != 0;
  const auto start = r.get<std::int32_t>();
  if (has_start) p.window_start = start;
  p.time_zone = r.get_text();
  const auto period = r.get<std::uint8_t>();
  if (period > static_cast<std::uint8_t>(period_kind::year)) r.fail("the period");
  p.period = static_cast<period_kind>(period);
  const auto flags = r.get<std::uint8_t>();
  p.has_orders = flags & 1;
  p.has_quantity = flags & 2;
  p.has_channels = flags & 4;
  p.has_categories = flags & 8;
  p.has_purchase_days = flags & 16;
  p.report = detail::get_report(r);
  if (!r.done()) r.fail("bytes after the profile");
  // Every column the code indexes by row must have a row per customer.
  const customer_keys& k = p.customer;
  if (k.is_string ? (k.offsets.empty() || k.offsets.front() != 0 || !std::is_sorted(k.offsets.begin(), k.offsets.end()) ||
                     static_cast<std::size_t>(k.offsets.back()) != k.chars.size() || !k.ints.empty())
                  : (!k.offsets.empty() || !k.chars.empty())) {
    r.fail("customer keys");
  }
  const std::size_t n = p.size();
  for (std::size_t len : {p.first_purchase.size(), p.last_purchase.size(), p.recency.size(), p.tenure.size(),
                          p.frequency.size(), p.transactions.size(), p.returns.size(), p.monetary.size(),
                          p.gross_sales.size(), p.returns_value.size(), p.average_order_value.size()}) {
    if (len != n) r.fail("columns of different lengths");
  }
  auto optional_column = [&](std::size_t len, bool present) {
    if (len != (present ? n : 0)) r.fail("an optional column of the wrong length");
  };
  optional_column(p.purchase_days.size(), p.has_purchase_days);
  optional_column(p.previous_purchase.size(), p.has_purchase_days);
  optional_column(p.median_gap.size(), p.has_purchase_days);
  optional_column(p.quantity.size(), p.has_quantity);
  optional_column(p.channels.size(), p.has_channels);
  optional_column(p.categories.size(), p.has_categories);
  if (!p.series_offsets.empty() && (p.series_offsets.size() != n + 1 || p.series_offsets.front() != 0 ||
                                    !std::is_sorted(p.series_offsets.begin(), p.series_offsets.end()) ||
                                    static_cast<std::size_t>(p.series_offsets.back()) != p.series_net.size() ||
                                    p.series_net.size() != p.series_period.size())) {
    r.fail("spend series");
  }
  return p;
}

// Partial profile states: their own raw payload (columns of plain values, every length
// checked on load), inside the envelope.
std::string to_bytes(const profile_state& s) { return wrap("profile_state", detail::profile_state_payload(s)); }

profile_state profile_state_from_bytes(const std::string& bytes) {
  const char* f = "tierkit.profile_state.from_bytes";
  const unwrapped u = unwrap(bytes, f);
  if (u.kind != "profile_state") {
    throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "', not a 'profile_state'");
  }
  return detail::profile_state_from_payload(u.payload);
}

tier_ledger tier_ledger_from_bytes(const std::string& bytes) {
  const char* f = "tierkit.tier_ledger.from_bytes";
  const unwrapped u = unwrap(bytes, f);
  if (u.kind != "tier_ledger") throw format_error(std::string(f) + ": the bytes hold a '" + u.kind + "', not a 'tier_ledger'");
  tier_ledger l;
  ledger_from_payload(*l.impl_, u.payload, f);
  check_ledger(*l.impl_, f);
  // What is not saved is rebuilt: the key dictionary and the override events.
  tier_ledger::impl& s = *l.impl_;
  for (std::size_t i = 0; i < s.keys.size(); ++i) {
    const auto c = s.keys.is_string ? s.dict.insert(s.keys.string_at(i)) : s.dict.insert(s.keys.ints[i]);
    if (c != i) throw format_error(std::string(f) + ": inconsistent ledger payload (repeated keys)");
  }
  s.rebuild_events();
  return l;
}

void write_file(const std::string& path, const std::string& bytes) {
  // Policy: written to a new file beside the target and renamed onto it only when all of
  // it is written (and, on POSIX systems, flushed to the disk, where a full disk may first
  // show); a failure removes the new file and leaves an existing target as it was.
  namespace fs = std::filesystem;
  const std::string fn = "tierkit.write_file";
  fs::path target(path);
  std::error_code ec;
  if (fs::is_symlink(fs::symlink_status(target, ec))) {  // not found: not a link
    target = fs::weakly_canonical(target, ec);            // replace the file, keep the link
    if (ec) throw format_error(fn + ": cannot resolve '" + path + "': " + ec.message());
  }
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::random_device random;
  fs::path tmp;
  std::FILE* f = nullptr;
  for (int attempt = 0; f == nullptr; ++attempt) {
    char suffix[32];
    std::snprintf(suffix, sizeof suffix, ".tierkit-%08x.tmp", static_cast<unsigned>(random()));
    tmp = dir / ("." + target.filename().string() + suffix);
    f = std::fopen(tmp.string().c_str(), "wbx");  // exclusive: never someone else's file
    if (f == nullptr && (errno != EEXIST || attempt == 100)) {
      throw format_error(fn + ": cannot create a file in '" + dir.string() + "' to write '" +
                         path + "': " + std::strerror(errno));
    }
  }
  auto fail = [&](const std::string& why) {
    if (f != nullptr) std::fclose(f);
    std::remove(tmp.string().c_str());
    throw format_error(fn + ": writing '" + path + "' failed (" + why +
                       "); an existing file there is left as it was");
  };
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    fail(std::strerror(errno));
  }
  if (std::fflush(f) != 0) fail(std::strerror(errno));
#if defined(__unix__) || defined(__APPLE__)
  if (::fsync(::fileno(f)) != 0) fail(std::strerror(errno));
#endif
  const int closed = std::fclose(f);
  f = nullptr;
  if (closed != 0) fail(std::strerror(errno));
  const fs::perms old = fs::status(target, ec).permissions();
  if (!ec && old != fs::perms::unknown) fs::permissions(tmp, old, ec);  // the old file's bits
  fs::rename(tmp, target, ec);
  if (ec) fail(ec.message());
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw format_error("tierkit.read_file: cannot open '" + path + "'");
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace tierkit
