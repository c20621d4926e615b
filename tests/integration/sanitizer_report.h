#pragma once
// A report of AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer in
// what a program under test printed. In the sanitizer build (build-san,
// docs/testing.md) ringcastd and the ringcast tool are sanitized too: each
// report ends the program (halt_on_error, -fno-sanitize-recover), and the
// harness turns it into a failure of the test that ran the program, whether or
// not that test looked at how the program ended. Elsewhere no program prints one.
#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace ringcast::itest {

// The report's first line, or empty when `output` holds none.
inline std::string sanitizer_report(std::string_view output) {
    for (std::string_view mark : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                  "runtime error: ", "ERROR: UndefinedBehaviorSanitizer"}) {
        size_t at = output.find(mark);
        if (at == std::string_view::npos) continue;
        size_t start = output.rfind('\n', at);
        start = start == std::string_view::npos ? 0 : start + 1;
        return std::string(output.substr(start, output.find('\n', at) - start));
    }
    return {};
}

// Fails the current test if `output` (of `program`) holds a sanitizer report.
inline void expect_no_sanitizer_report(std::string_view program, const std::string& output) {
    std::string first = sanitizer_report(output);
    if (first.empty()) return;
    std::string tail =
        output.size() > 12000 ? "...\n" + output.substr(output.size() - 12000) : output;
    ADD_FAILURE() << program << " reported: " << first << "\n---- its output ----\n"
                  << tail << "---- end ----";
}

}  // namespace ringcast::itest
