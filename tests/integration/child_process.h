#pragma once
// Starting a program under test the one way every test does: stdin, stdout and
// stderr from and to files, default signal dispositions and an empty signal
// mask (whatever the test runner set), our environment minus the variables
// that would change what is tested, plus the test's own; and a pidfd to await
// its exit with a deadline.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "deadline.h"

namespace ringcast::itest {

struct SpawnOptions {
    std::string in_path = "/dev/null";
    std::string out_path;
    std::string err_path;
    std::string cwd;                     // "" = ours
    std::vector<std::string> drop_env;   // prefixes ("NOTIFY_SOCKET=") left out
    std::vector<std::string> extra_env;  // "NAME=value", added
};

struct Child {
    pid_t pid = -1;
    int pidfd = -1;  // readable once the child has exited
};

// Runs `bin` with `args`. On failure pid is -1 and *error says why.
Child spawn_child(const std::string& bin, const std::vector<std::string>& args,
                  const SpawnOptions& o, std::string* error);

// Awaits the child's exit through its pidfd and reaps it: its exit code (128+N
// if killed by signal N), or nullopt if it is still running at the deadline.
std::optional<int> await_exit(pid_t pid, int pidfd, const Deadline& d);

}  // namespace ringcast::itest
