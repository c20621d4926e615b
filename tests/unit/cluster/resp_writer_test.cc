// The RESP command writer (cluster/resp_writer.h): exact bytes, binary-safe
// arguments, and commands appended to a buffer that is reused.
#include "cluster/resp_writer.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

using namespace std::string_literals;

TEST(RespWriter, AnArrayOfBulkStrings) {
    std::string out;
    RespWriter(out).command({"SET", "k", "value"});
    EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n");
}

TEST(RespWriter, EmptyAndBinaryArguments) {
    std::string out;
    RespWriter(out).command({"ECHO", "", std::string_view("\r\n\0", 3)});
    EXPECT_EQ(out, "*3\r\n$4\r\nECHO\r\n$0\r\n\r\n$3\r\n\r\n\0\r\n"s);
}

TEST(RespWriter, CommandsAppendToTheBufferWhichKeepsItsCapacity) {
    std::string out;
    RespWriter w(out);
    w.command({"PING"});
    w.command({"INCR", "n"});
    EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
    const size_t capacity = out.capacity();
    out.clear();
    w.command({"PING"});
    EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n");
    EXPECT_EQ(out.capacity(), capacity);
}

}  // namespace
}  // namespace ringcast
