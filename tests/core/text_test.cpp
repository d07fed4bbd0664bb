#include "core/text.hpp"

#include <gtest/gtest.h>

namespace pocketrec {

TEST(Text, SplitKeepsEmptyFields) {
  auto parts = split("a::b::::c", "::");
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "a");
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(parts[3], "c");
}

TEST(Text, SplitWhitespaceSkipsRuns) {
  auto parts = split_whitespace("  1 \t 22\r");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1], "22");
}

TEST(Text, ParseIntRejectsGarbage) {
  EXPECT_EQ(parse_int(" 42 "), 42);
  EXPECT_FALSE(parse_int("4x2"));
  EXPECT_FALSE(parse_int(""));
  EXPECT_FALSE(parse_int("99999999999999999999999"));
}

TEST(Text, ParseDouble) {
  EXPECT_DOUBLE_EQ(*parse_double("3.5"), 3.5);
  EXPECT_FALSE(parse_double("three"));
}

TEST(Text, Latin1BecomesUtf8) {
  // "Café" in Latin-1: 0xE9 for é.
  std::string latin1 = "Caf\xE9";
  EXPECT_EQ(latin1_to_utf8(latin1), "Caf\xC3\xA9");
  // Already UTF-8 text passes through unchanged.
  EXPECT_EQ(latin1_to_utf8("Caf\xC3\xA9"), "Caf\xC3\xA9");
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_FALSE(is_valid_utf8("\xE9t\xE9"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));  // truncated sequence
}

}  // namespace pocketrec
