// xi::printable and xi::glyph_at: what text from a user or a file looks like on a terminal.

#include <xigrad/autodiff/printable.hpp>

#include <gtest/gtest.h>

#include <string>

namespace xi {
namespace {

TEST(PrintableTest, OrdinaryTextIsUnchanged) {
  EXPECT_EQ(printable("ChestPain=typical"), "ChestPain=typical");
  EXPECT_EQ(printable("ξ1 → ∂L/∂w, café"), "ξ1 → ∂L/∂w, café");
  EXPECT_EQ(printable(""), "");
}

TEST(PrintableTest, ControlsBecomeEscapes) {
  EXPECT_EQ(printable("a\x1b[31mb"), "a\\x1b[31mb");
  EXPECT_EQ(printable(std::string("4\0", 2)), "4\\0");
  EXPECT_EQ(printable("a\tb\nc\rd\x7f"), "a\\tb\\nc\\rd\\x7f");
  EXPECT_EQ(printable("back\\slash"), "back\\\\slash");
}

TEST(PrintableTest, C1ControlsBidiOverridesAndBadUtf8) {
  EXPECT_EQ(printable("\xC2\x9B"
                      "31m"),
            "\\u009b31m");  // CSI as a C1 control
  EXPECT_EQ(printable("abc\xE2\x80\xAE"
                      "fed"),
            "abc\\u202efed");                               // right-to-left override
  EXPECT_EQ(printable("\xFF\xC3"), "\\xff\\xc3");           // stray and truncated bytes
  EXPECT_EQ(printable("\xE0\x80\x80"), "\\xe0\\x80\\x80");  // overlong
  EXPECT_EQ(printable("\xED\xA0\x80"), "\\xed\\xa0\\x80");  // surrogate
}

TEST(PrintableTest, LongTextKeepsItsStartAndEnd) {
  EXPECT_EQ(printable("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(printable("abcdefghijk", 10), "abcdef…ijk");
  EXPECT_EQ(printable("ξξξξξξξξξξξξ", 4), "ξξ…ξ");
}

TEST(PrintableTest, GlyphAt) {
  const std::string s = "aξ\x1b\xC2\x9B\xFF";
  EXPECT_EQ(glyph_at(s, 0).bytes, 1U);
  EXPECT_TRUE(glyph_at(s, 0).safe);
  EXPECT_EQ(glyph_at(s, 1).bytes, 2U);
  EXPECT_TRUE(glyph_at(s, 1).safe);
  EXPECT_FALSE(glyph_at(s, 3).safe);
  EXPECT_EQ(glyph_at(s, 4).bytes, 2U);
  EXPECT_FALSE(glyph_at(s, 4).safe);
  EXPECT_EQ(glyph_at(s, 6).bytes, 1U);
  EXPECT_FALSE(glyph_at(s, 6).safe);
}

}  // namespace
}  // namespace xi
