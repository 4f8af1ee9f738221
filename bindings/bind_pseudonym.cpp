// Keyed pseudonyms of id columns (tierkit/pseudonym.hpp) for tierkit.pseudonymise.
#include <pybind11/pybind11.h>

#include "arrow_import.hpp"
#include "bindings.hpp"
#include "tierkit/pseudonym.hpp"

namespace py = pybind11;

namespace tierkit::python {

void bind_pseudonym(py::module_& m) {
  // The pseudonyms of an Arrow array's rows, 32 hex digits each, as one bytes object (null
  // rows: 32 '0' digits; the caller masks them).
  m.def("pseudonyms", [](const py::tuple& capsules, const std::string& name, const py::bytes& key,
                         unsigned threads) {
    const column_view ids = import_arrow_column(capsules, name);
    const std::string secret(key);
    std::string out;
    {
      py::gil_scoped_release release;
      out = pseudonyms(ids, secret, threads);
    }
    return py::bytes(out);
  }, py::arg("capsules"), py::arg("name"), py::arg("key"), py::arg("threads") = 0);
  m.def("hmac_sha256", [](const py::bytes& key, const py::bytes& message) {
    const sha256_digest d = hmac_sha256(std::string(key), std::string(message));
    return py::bytes(reinterpret_cast<const char*>(d.data()), d.size());
  }, py::arg("key"), py::arg("message"));
  m.attr("MIN_PSEUDONYM_KEY_BYTES") = min_pseudonym_key_bytes;
}

}  // namespace tierkit::python
