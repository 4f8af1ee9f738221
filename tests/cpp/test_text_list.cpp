#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "detail/text_list.hpp"

using tierkit::detail::text_list;

TEST_CASE("a text list finds the first equal text, comparing only texts of the string's length") {
  const std::string long_a(70, 'a'), long_b = std::string(69, 'a') + "b";
  const std::vector<std::string> texts = {"gold", "lost", "", long_a, "gold", long_b, "Lost"};
  const text_list list(texts);
  CHECK(list.find("gold") == 0);  // repeated: the first
  CHECK(list.find("lost") == 1);
  CHECK(list.find("Lost") == 6);
  CHECK(list.find("") == 2);
  CHECK(list.find(long_a) == 3);  // beyond 64 bytes: one shared length slot
  CHECK(list.find(long_b) == 5);
  CHECK(list.find(std::string(71, 'a')) == -1);
  CHECK(list.find("gol") == -1);
  CHECK(list.find("golf") == -1);
}
