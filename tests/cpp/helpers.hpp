#pragma once
// Test helpers: a transactions batch that owns its vectors.
#include <tierkit/tierkit.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct owned_batch {
  std::vector<std::int64_t> customer;
  std::vector<std::string> customer_text;
  std::vector<std::string_view> customer_views;
  std::vector<std::int32_t> day;
  std::vector<double> amount;
  std::vector<std::int64_t> order;
  std::vector<std::string> order_text;  // used instead of `order` when not empty
  std::vector<std::string_view> order_views;
  std::vector<double> quantity;

  tierkit::transactions view() {
    tierkit::transactions tx;
    if (!customer_text.empty()) {
      customer_views.assign(customer_text.begin(), customer_text.end());
      tx.customer = tierkit::string_column("customer", customer_views.data(), customer_views.size());
    } else {
      tx.customer = tierkit::int64_column("customer", customer.data(), customer.size());
    }
    tx.time = tierkit::day_column("day", day.data(), day.size());
    tx.amount = tierkit::float64_column("amount", amount.data(), amount.size());
    if (!order_text.empty()) {
      order_views.assign(order_text.begin(), order_text.end());
      tx.order = tierkit::string_column("order", order_views.data(), order_views.size());
    } else if (!order.empty()) {
      tx.order = tierkit::int64_column("order", order.data(), order.size());
    }
    if (!quantity.empty()) {
      tx.quantity = tierkit::float64_column("quantity", quantity.data(), quantity.size());
    }
    return tx;
  }

  // Rows [from, to) as a batch of views into this one.
  tierkit::transactions slice(std::int64_t from, std::int64_t to) {
    tierkit::transactions tx = view();
    for (tierkit::column_view* c : {&tx.customer, &tx.time, &tx.amount}) {
      c->offset = from;
      c->length = to - from;
    }
    for (auto* c : {&tx.order, &tx.quantity}) {
      if (*c) {
        (*c)->offset = from;
        (*c)->length = to - from;
      }
    }
    return tx;
  }
};

inline std::int32_t day_of(int y, int m, int d) { return tierkit::days_from_civil(y, m, d); }
