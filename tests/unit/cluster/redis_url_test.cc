// [cluster] redis URLs (cluster/redis_url.h): both forms with every part,
// percent-decoded credentials, and a clear error for each mistake, none of
// which quotes the password.
#include "cluster/redis_url.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

RedisEndpoint parse(std::string_view url) {
    RedisEndpoint e;
    std::string why;
    EXPECT_TRUE(parse_redis_url(url, &e, &why)) << url << ": " << why;
    return e;
}

std::string refused(std::string_view url) {
    RedisEndpoint e;
    std::string why;
    EXPECT_FALSE(parse_redis_url(url, &e, &why)) << url;
    return why;
}

TEST(RedisUrl, TcpWithDefaults) {
    RedisEndpoint e = parse("redis://redis.internal");
    EXPECT_FALSE(e.is_unix);
    EXPECT_EQ(e.host, "redis.internal");
    EXPECT_EQ(e.port, 6379);
    EXPECT_EQ(e.db, 0u);
    EXPECT_FALSE(e.has_password);
    EXPECT_EQ(e.describe(), "redis://redis.internal:6379");
}

TEST(RedisUrl, TcpWithEveryPart) {
    RedisEndpoint e = parse("redis://:p%40ss%3Aword@10.0.0.5:6380/2");
    EXPECT_EQ(e.host, "10.0.0.5");
    EXPECT_EQ(e.port, 6380);
    EXPECT_EQ(e.db, 2u);
    EXPECT_TRUE(e.has_password);
    EXPECT_EQ(e.user, "");
    EXPECT_EQ(e.password, "p@ss:word");
    EXPECT_EQ(e.describe(), "redis://10.0.0.5:6380/2");

    e = parse("redis://ringcast:secret@[::1]:7000/");
    EXPECT_EQ(e.host, "::1");
    EXPECT_EQ(e.port, 7000);
    EXPECT_EQ(e.user, "ringcast");
    EXPECT_EQ(e.password, "secret");
    EXPECT_EQ(e.describe(), "redis://[::1]:7000");
}

TEST(RedisUrl, UnixSocket) {
    RedisEndpoint e = parse("unix:///run/redis/redis.sock");
    EXPECT_TRUE(e.is_unix);
    EXPECT_EQ(e.path, "/run/redis/redis.sock");
    EXPECT_EQ(e.db, 0u);
    e = parse("unix://:pw@/run/redis.sock?db=5");
    EXPECT_EQ(e.path, "/run/redis.sock");
    EXPECT_EQ(e.db, 5u);
    EXPECT_EQ(e.password, "pw");
    EXPECT_EQ(e.describe(), "unix:///run/redis.sock?db=5");
}

TEST(RedisUrl, MistakesAreNamed) {
    EXPECT_NE(refused("http://localhost").find("unknown scheme"), std::string::npos);
    EXPECT_NE(refused("localhost:6379").find("unknown scheme"), std::string::npos);
    EXPECT_NE(refused("redis://").find("no host"), std::string::npos);
    EXPECT_NE(refused("redis://:pw@").find("no host"), std::string::npos);
    EXPECT_NE(refused("redis://host:0").find("port"), std::string::npos);
    EXPECT_NE(refused("redis://host:65536").find("port"), std::string::npos);
    EXPECT_NE(refused("redis://host:").find("port"), std::string::npos);
    EXPECT_NE(refused("redis://host:63x9").find("port"), std::string::npos);
    EXPECT_NE(refused("redis://host/x").find("database number"), std::string::npos);
    EXPECT_NE(refused("redis://[::1").find("']'"), std::string::npos);
    EXPECT_NE(refused("redis://secret@host").find("credentials"), std::string::npos);
    EXPECT_NE(refused("redis://:bad%zz@host").find("percent-escape"), std::string::npos);
    EXPECT_NE(refused("redis://:bad%2@host").find("percent-escape"), std::string::npos);
    EXPECT_NE(refused("unix://relative.sock").find("absolute"), std::string::npos);
    EXPECT_NE(refused("unix:///r.sock?database=1").find("?db=N"), std::string::npos);
    EXPECT_NE(refused("unix:///" + std::string(200, 'a')).find("longer"), std::string::npos);
    EXPECT_EQ(refused("redis://secret@host").find("secret"), std::string::npos);
}

}  // namespace
}  // namespace ringcast
