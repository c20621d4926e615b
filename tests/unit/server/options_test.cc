// The daemon's conversion of [store] into StoreOptions (where the file lives)
// and of [web] into WebOptions (the embedded pages, or a folder).
#include "server/options.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

Config defaults() {
    Config c;
    std::string err;
    EXPECT_TRUE(load_config(c, "", &err)) << err;
    return c;
}

TEST(StoreOptionsFromConfig, DefaultsLiveInTheDataDirectory) {
    Config c = defaults();
    c.data_dir = "/var/lib/ringcast";
    StoreOptions o = store_options(c);
    EXPECT_EQ(o.path, "/var/lib/ringcast/ringcast.db");
    EXPECT_FALSE(o.sync_full);
    EXPECT_EQ(o.flush_interval_ms, 10u);
    EXPECT_EQ(o.max_pending, 1'000'000u);
}

TEST(StoreOptionsFromConfig, AbsoluteAndEmptyPaths) {
    Config c = defaults();
    c.data_dir = "./var";
    c.store_path = "/srv/keeps.db";
    c.store_sync = "full";
    StoreOptions o = store_options(c);
    EXPECT_EQ(o.path, "/srv/keeps.db");
    EXPECT_TRUE(o.sync_full);
    c.store_path = "";
    EXPECT_EQ(store_options(c).path, "") << "no store";
    c.store_path = "sub/keeps.db";
    EXPECT_EQ(store_options(c).path, "./var/sub/keeps.db");
}

TEST(WebOptionsFromConfig, TheEmbeddedPagesOrAFolderMadeAbsolute) {
    Config c = defaults();
    constexpr EmbeddedFile kFiles[] = {{"demo/index.html", "<p>", "", "h"}};
    WebOptions o = web_options(c, kFiles);
    EXPECT_TRUE(o.enabled) << "on by default";
    EXPECT_EQ(o.root, "") << "the embedded pages";
    EXPECT_EQ(o.files.size(), 1u);

    c.web_root = "build/./pages/";
    o = web_options(c, kFiles);
    EXPECT_EQ(o.root, (std::filesystem::current_path() / "build/pages/").string())
        << "against the working directory, normalized";
    c.web_root = "/srv/pages";
    c.web_enabled = false;
    o = web_options(c, kFiles);
    EXPECT_EQ(o.root, "/srv/pages");
    EXPECT_FALSE(o.enabled);
}

}  // namespace
}  // namespace ringcast
