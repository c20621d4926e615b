// Strict base64url: one accepted spelling per byte string, nothing else.
#include "auth/base64url.h"

#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "support/random.h"

namespace ringcast {
namespace {

std::optional<std::string> decode(std::string_view s) {
    std::string out;
    if (!base64url_decode(s, &out)) return std::nullopt;
    return out;
}

TEST(AuthBase64Url, KnownVectors) {
    // RFC 4648 §10, without padding and with the URL alphabet.
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64url_encode("\xfb\xff\xfe"), "-__-");
    EXPECT_EQ(decode("Zm9vYg"), "foob");
    EXPECT_EQ(decode("-__-"), "\xfb\xff\xfe");
    EXPECT_EQ(decode(""), "");
}

TEST(AuthBase64Url, RefusesEverythingElse) {
    for (std::string_view bad :
         {"Zg==", "Zg=", "Z", "Zm9vY", "+w", "/w", "Zm 9v", "Zm9v\n", "Zh", "Zm9", "Zm8x\xc3\xa9"})
        EXPECT_EQ(decode(bad), std::nullopt) << bad;
    // "Zh" and "Zm9" differ from "Zg" / "Zm8" only in bits that encode nothing.
    EXPECT_EQ(decode(std::string_view("Zg\0", 3)), std::nullopt);
}

TEST(AuthBase64Url, RoundTripsRandomBytes) {
    test::Rng rng(test::test_seed());
    for (int i = 0; i < 500; ++i) {
        std::string bytes(rng.below(70), '\0');
        for (char& c : bytes)
            c = char(rng.below(256));
        std::string text = base64url_encode(bytes);
        EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
        EXPECT_EQ(decode(text), bytes);
    }
}

}  // namespace
}  // namespace ringcast
