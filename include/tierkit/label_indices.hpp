#pragma once
// Label codes as the indices and validity bitmap of an Arrow dictionary column.
//
// Strategies give label columns as codes into a list of label texts, a negative code for a
// missing label. Arrow wants indices within the dictionary and a validity bitmap (bit i,
// least significant first, set when row i is present) only where rows are missing. One pass
// on all cores writes both, checks every code against the number of labels and narrows the
// indices to 8 bits when the labels allow (a pandas categorical of few labels has 8-bit
// codes too): a quarter of the memory of 32-bit codes for the next reader.
#include <cstddef>
#include <cstdint>

namespace tierkit {

struct label_index_counts {
  std::int64_t missing = 0;       // negative codes: null rows
  std::int64_t out_of_range = 0;  // codes >= the number of labels: an error for the caller
};

// The index type for `labels` labels: 8 bits up to 128 labels (indices 0..127), else 32.
inline bool label_indices_fit_8_bits(std::size_t labels) noexcept { return labels <= 128; }

// indices[i] = codes[i] for codes in [0, labels), 0 for the others (missing or out of
// range; the validity bit says which rows hold a label). `validity` receives (n + 7) / 8
// bytes, the bits beyond n cleared. `indices` and `validity` must not overlap `codes`.
// threads: 0 = as many as the rows call for (one per 65,536 rows, up to all cores).
// 8-bit indices take at most 128 labels (invalid_input otherwise).
label_index_counts label_indices(const std::int32_t* codes, std::size_t n, std::size_t labels,
                                 std::int8_t* indices, std::uint8_t* validity, unsigned threads = 0);
label_index_counts label_indices(const std::int32_t* codes, std::size_t n, std::size_t labels,
                                 std::int32_t* indices, std::uint8_t* validity, unsigned threads = 0);
label_index_counts label_indices(const std::int8_t* codes, std::size_t n, std::size_t labels,
                                 std::int8_t* indices, std::uint8_t* validity, unsigned threads = 0);

// True when every code is in [0, labels): 8-bit codes then are Arrow's indices as they are
// (no copy, no bitmap). Reads the codes once at most: it stops at the first block of 4,096
// holding a missing or out-of-range code (columns with missing labels are common).
bool label_codes_are_indices(const std::int8_t* codes, std::size_t n, std::size_t labels, unsigned threads = 0);

}  // namespace tierkit
