// The CLI's tables: which columns are numbers (right-aligned) and how they render.
#include "cli/table.h"

#include <gtest/gtest.h>

namespace ringcast::cli {
namespace {

TEST(IsNumber, TakesJsonNumbersOnly) {
    for (const char* yes : {"0", "-12", "3.5", "1e9", "2E-3", "-0.25e+10", "10"})
        EXPECT_TRUE(is_number(yes)) << yes;
    for (const char* no : {"", "-", "127.0.0.1", "1.2.3", "01", "1.", ".5", "1e", "e5", "1-2",
                           "abc", "12 ", "+1", "::1"})
        EXPECT_FALSE(is_number(no)) << no;
}

TEST(Table, AlignsNumbersRightAndAddressesLeft) {
    Table t({"id", "ip", "events"});
    t.add({"a", "127.0.0.1", "5"});
    t.add({"bb", "10.1.2.30", "1200"});
    EXPECT_EQ(t.render(""),
              "id  ip         events\n"
              "a   127.0.0.1       5\n"
              "bb  10.1.2.30    1200\n");
}

TEST(Table, ATextColumnStaysLeftAlignedThoughItsCellsAreDigits) {
    Table t({"connection", "user", "events"});
    t.set_text(1);
    t.add({"c0-1", "42", "5"});
    t.add({"c0-2", "7", "12"});
    EXPECT_EQ(t.render(""),
              "connection  user  events\n"
              "c0-1        42         5\n"
              "c0-2        7         12\n");
}

}  // namespace
}  // namespace ringcast::cli
