#include "runtime/item_table.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace pocketrec::runtime {
namespace {

TEST(ItemTable, HoldsEveryFieldAndFindsEveryId) {
  ItemTable table;
  table.add("m1", "Heat (1995)", "Action|Crime", 0);
  table.add("m2", "", "", 7);
  table.add("m3", "Up", "Animation", 0);
  table.finish("t");
  ASSERT_EQ(table.size(), 3u);
  EXPECT_EQ(table.id(0), "m1");
  EXPECT_EQ(table.title(0), "Heat (1995)");
  EXPECT_EQ(table.title(1), "");
  // Counts and genres that start late still line up with their items.
  EXPECT_EQ(table.count(0), 0u);
  EXPECT_EQ(table.count(1), 7u);
  EXPECT_EQ(table.count(2), 0u);
  Item heat = table.item(0);
  EXPECT_EQ(heat.genres, (std::vector<std::string>{"Action", "Crime"}));
  EXPECT_TRUE(table.item(1).genres.empty());
  EXPECT_EQ(table.item(2).genres, (std::vector<std::string>{"Animation"}));
  EXPECT_EQ(table.genre_count(0), 2u);
  // C strings for the C API.
  EXPECT_EQ(std::strlen(table.id(2).data()), 2u);
  EXPECT_STREQ(table.title(0).data(), "Heat (1995)");
  for (uint32_t i = 0; i < 3; ++i) EXPECT_EQ(table.find(table.id(i)), i);
  EXPECT_FALSE(table.find("m4"));
  EXPECT_FALSE(table.find(""));
  EXPECT_THROW(table.item(3), Error);
}

TEST(ItemTable, ManyItemsCollideAndAreStillFound) {
  ItemTable table;
  for (int i = 0; i < 50000; ++i) table.add(std::to_string(i * 7), "", i % 3 ? "a" : "", i % 5);
  table.finish("t");
  for (int i = 0; i < 50000; ++i) ASSERT_EQ(table.find(std::to_string(i * 7)), uint32_t(i));
  EXPECT_FALSE(table.find("3"));
  EXPECT_EQ(table.count(4), 4u);
  EXPECT_EQ(table.genre_count(3), 0u);
  EXPECT_EQ(table.genre_count(4), 1u);
  // Well under the 190 bytes an item of a vector<Item> with a hash map took.
  EXPECT_LT(table.bytes(), 50000u * 40);
}

TEST(ItemTable, RepeatedIdsAreAnError) {
  ItemTable table;
  table.add("a", "", "", 0);
  table.add("b", "", "", 0);
  table.add("a", "", "", 0);
  try {
    table.finish("model.tflite");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("model.tflite: item id 'a' appears twice"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace pocketrec::runtime
