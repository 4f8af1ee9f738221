#pragma once
// Shared declarations of the binding files: one bind_<area> function per area, and the
// helpers that hand C++ vectors to numpy without copying and bind persistence.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "tierkit/serialization.hpp"
#include "tierkit/strategy.hpp"

namespace tierkit::python {

void bind_errors(pybind11::module_& m);
void bind_calendar(pybind11::module_& m);
void bind_profile(pybind11::module_& m);
void bind_attributes(pybind11::module_& m);
void bind_demo(pybind11::module_& m);
void bind_strategies(pybind11::module_& m);
void bind_balances(pybind11::module_& m);
void bind_policy(pybind11::module_& m);
void bind_period_table(pybind11::module_& m);
void bind_over_time(pybind11::module_& m);
void bind_clv(pybind11::module_& m);
void bind_kmeans(pybind11::module_& m);
void bind_groups(pybind11::module_& m);
void bind_households(pybind11::module_& m);

// A score table as {name: {"kind", "values", "valid" | "labels"}} (bind_strategies.cpp).
pybind11::dict score_table_dict(score_table t);
void bind_service(pybind11::module_& m);

// Objects that some calls read with the GIL released and others change (RuleTable,
// MetricTable): a change while another thread reads would free what that thread reads.
// A call reading such an object without the GIL holds a shared_use of it for the call (made
// before the GIL is released, ended after it is taken back); a call changing it first calls
// refuse_shared_use, which throws invalid_input naming `what` while any reader is at work.
// Both run with the GIL held, so no read can begin between the check and the change.
class shared_use {
 public:
  explicit shared_use(const void* object);
  ~shared_use();
  shared_use(const shared_use&) = delete;
  shared_use& operator=(const shared_use&) = delete;

 private:
  const void* object_;
};
void refuse_shared_use(const void* object, const char* what, const char* object_name);
void bind_pseudonym(pybind11::module_& m);

// A numpy argument as a contiguous array of T (converted when it is another dtype or
// strided), and its values copied into a vector.
template <class T>
using array_in = pybind11::array_t<T, pybind11::array::c_style | pybind11::array::forcecast>;

template <class T>
std::vector<T> to_vector(const array_in<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

// A read-only numpy view of `v`, kept alive by `owner` (the Python object owning v).
template <class T>
pybind11::array_t<T> numpy_view(const std::vector<T>& v, pybind11::handle owner) {
  if (v.empty()) return pybind11::array_t<T>(0);
  pybind11::array_t<T> a({static_cast<pybind11::ssize_t>(v.size())}, {sizeof(T)}, v.data(), owner);
  pybind11::detail::array_proxy(a.ptr())->flags &= ~pybind11::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

// to_bytes, from_bytes and pickling through tierkit's persistence envelope; `From` reads
// the bytes back (format_error on bad input).
template <class T, T (*From)(const std::string&)>
void bind_persistence(pybind11::class_<T>& c) {
  c.def("to_bytes", [](const T& x) { return pybind11::bytes(tierkit::to_bytes(x)); })
      .def_static("from_bytes", [](const pybind11::bytes& b) { return From(std::string(b)); })
      .def(pybind11::pickle([](const T& x) { return pybind11::bytes(tierkit::to_bytes(x)); },
                            [](const pybind11::bytes& b) { return From(std::string(b)); }));
}

// `==` by value between two objects of T; another type gives NotImplemented, so Python tries
// the other side and `model == 3` is False rather than a TypeError. (Defining __eq__ makes
// the class unhashable, as a mutable value should be.)
template <class T>
void bind_equality(pybind11::class_<T>& c) {
  c.def("__eq__", [](const T& a, const pybind11::object& b) -> pybind11::object {
    if (!pybind11::isinstance<T>(b)) return pybind11::reinterpret_borrow<pybind11::object>(Py_NotImplemented);
    return pybind11::bool_(a == b.cast<const T&>());
  }, pybind11::arg("other"));
}

// A numpy array owning `v` (moved to the heap, freed with the array): no copy of the data.
template <class T>
pybind11::array_t<T> numpy_from(std::vector<T>&& v) {
  auto* heap = new std::vector<T>(std::move(v));
  pybind11::capsule owner(heap, [](void* p) { delete static_cast<std::vector<T>*>(p); });
  return pybind11::array_t<T>({static_cast<pybind11::ssize_t>(heap->size())}, {sizeof(T)}, heap->data(), owner);
}

// Bytes of a std::string as a read-only uint8 numpy view, kept alive by `owner`.
inline pybind11::array_t<std::uint8_t> numpy_bytes(const std::string& s, pybind11::handle owner) {
  if (s.empty()) return pybind11::array_t<std::uint8_t>(0);
  pybind11::array_t<std::uint8_t> a({static_cast<pybind11::ssize_t>(s.size())}, {1},
                                    reinterpret_cast<const std::uint8_t*>(s.data()), owner);
  pybind11::detail::array_proxy(a.ptr())->flags &= ~pybind11::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

}  // namespace tierkit::python
