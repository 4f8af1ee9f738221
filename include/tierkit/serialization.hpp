#pragma once
// Persistence (opt-in header): models and segment tables to bytes and files and back.
//
// Format: tierkit's envelope around a Boost.Serialization text archive.
//   8 bytes   magic "TIERKIT" followed by 0x1A
//   uint32    format version (little-endian), currently 1
//   uint16    length of the kind, then the kind ("rfm", "abc", "lifecycle",
//             "value_potential", "asset_bands", "tier_policy",
//             "segment_table", "tier_ledger", "profile_state", "bg_nbd",
//             "pareto_nbd", "gamma_gamma", "clv", "kmeans", "cpp_grouped")
//   uint64    payload length
//   uint64    FNV-1a 64-bit checksum of the payload
//   payload   the text archive; every type carries a class version
// Loading checks the envelope (magic, version, kind, length, checksum) before parsing, and
// maps every failure, including a class version newer than this build knows, to
// tierkit::format_error. The kind must be a name (lowercase letters, digits, '_'; at most
// 64 bytes). While parsing, every length the payload declares (strings, vectors, maps) is
// checked against the bytes left in it before anything is allocated, so no file makes
// loading allocate much more than the file's own size. Model files are still trusted
// input only: the checks catch damage, version skew and absurd sizes, not every crafted
// value.
#include <cstdint>
#include <string>
#include <string_view>

#include "tierkit/abc.hpp"
#include "tierkit/asset_bands.hpp"
#include "tierkit/lifecycle.hpp"
#include "tierkit/over_time/assessment_profile.hpp"
#include "tierkit/over_time/ledger.hpp"
#include "tierkit/over_time/period_table.hpp"
#include "tierkit/policy.hpp"
#include "tierkit/profile.hpp"
#include "tierkit/rfm.hpp"
#include "tierkit/segments.hpp"
#include "tierkit/strategies/bg_nbd.hpp"
#include "tierkit/strategies/clv.hpp"
#include "tierkit/strategies/gamma_gamma.hpp"
#include "tierkit/strategies/kmeans.hpp"
#include "tierkit/strategies/pareto_nbd.hpp"
#include "tierkit/value_potential.hpp"

namespace tierkit {

// The envelope's format: 2 since the payload checksum runs over words (1: FNV-1a over
// bytes; format 1 bytes still load). The payloads' own layouts carry versions of their own.
inline constexpr std::uint32_t format_version = 2;

std::string to_bytes(const rfm_model& m);
std::string to_bytes(const abc_model& m);
std::string to_bytes(const segment_table& t);
std::string to_bytes(const lifecycle_model& m);
std::string to_bytes(const value_potential_model& m);
std::string to_bytes(const asset_band_model& m);
std::string to_bytes(const tier_policy& p);
std::string to_bytes(const tier_ledger& l);
std::string to_bytes(const profile_state& s);  // a partial profile state (raw columns)
std::string to_bytes(const profile& p);        // a finished profile (raw columns)
profile profile_from_bytes(const std::string& bytes);

rfm_model rfm_model_from_bytes(const std::string& bytes);
abc_model abc_model_from_bytes(const std::string& bytes);
segment_table segment_table_from_bytes(const std::string& bytes);
lifecycle_model lifecycle_model_from_bytes(const std::string& bytes);
value_potential_model value_potential_model_from_bytes(const std::string& bytes);
asset_band_model asset_band_model_from_bytes(const std::string& bytes);
tier_policy tier_policy_from_bytes(const std::string& bytes);
tier_ledger tier_ledger_from_bytes(const std::string& bytes);
profile_state profile_state_from_bytes(const std::string& bytes);
std::string to_bytes(const bg_nbd_model& m);
std::string to_bytes(const pareto_nbd_model& m);
std::string to_bytes(const gamma_gamma_model& m);
std::string to_bytes(const clv_model& m);
bg_nbd_model bg_nbd_model_from_bytes(const std::string& bytes);
pareto_nbd_model pareto_nbd_model_from_bytes(const std::string& bytes);
gamma_gamma_model gamma_gamma_model_from_bytes(const std::string& bytes);
clv_model clv_model_from_bytes(const std::string& bytes);
std::string to_bytes(const kmeans_model& m);
kmeans_model kmeans_model_from_bytes(const std::string& bytes);
std::string to_bytes(const customer_history& h);
std::string to_bytes(const period_table& t);
period_table period_table_from_bytes(const std::string& bytes);
customer_history customer_history_from_bytes(const std::string& bytes);

// The envelope around a payload of your own kind (checked: magic, version, kind, length,
// checksum), for containers of several tierkit objects.
std::string wrap_envelope(const std::string& kind, const std::string& payload);
std::string unwrap_envelope(std::string_view bytes, const std::string& kind);

// The kind named in an envelope (format_error when the envelope is not valid).
std::string envelope_kind(const std::string& bytes);

// Whole-file helpers; errors name the path (format_error for unreadable files).
// write_file writes a new file beside `path` and renames it onto `path` only when all of it
// is written: a failure (a full disk, a read-only directory) leaves an existing file as it
// was, and no reader sees a half-written one. It takes the old file's permission bits and
// follows a symbolic link, replacing the file the link points to.
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

}  // namespace tierkit
