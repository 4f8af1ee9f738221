#pragma once
// Arrow C data interface structures (ArrowSchema, ArrowArray) to tierkit column views, in
// place. No Python here: the bindings call it on the structures inside PyCapsules
// (arrow_import.hpp), and the fuzz target fuzz/fuzz_arrow.cpp on structures it builds, so
// that both go through the same code.
#include <string>

#include "arrow_c.hpp"
#include "tierkit/column.hpp"

namespace tierkit::python {

// The view of `array` (described by `schema`) named `name` in messages. Checks what the
// structures themselves say (the format string, the number of buffers, lengths and offsets
// that are not negative, a dictionary on both sides) and throws tierkit::schema_error for
// types tierkit does not read or structures that do not match their format. The buffers'
// contents are the producer's promise (Arrow's C interface carries no buffer sizes).
column_view column_from_arrow(const ArrowSchema& schema, const ArrowArray& array,
                              const std::string& name);

}  // namespace tierkit::python
