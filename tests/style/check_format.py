#!/usr/bin/env python3
"""Every C++ file of the tree is formatted as .clang-format says. Run by `make test`.

    check_format.py CLANG_FORMAT SOURCE_ROOT

Walks src/, include/, tests/, bench/ and fuzz/ for *.cc and *.h, and runs
`clang-format --dry-run -Werror` on them in batches; a file that would change is
named with the first lines clang-format would change, and the fix is
`clang-format -i FILE`.
"""
import os
import subprocess
import sys

FOLDERS = ("src", "include", "tests", "bench", "fuzz")


def sources(root):
    for folder in FOLDERS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, folder)):
            dirnames[:] = sorted(d for d in dirnames if d not in ("node_modules", "corpus"))
            for name in sorted(filenames):
                if name.endswith((".cc", ".h")):
                    yield os.path.join(dirpath, name)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    clang_format, root = sys.argv[1], sys.argv[2]
    files = list(sources(root))
    bad = []
    for i in range(0, len(files), 50):
        batch = files[i:i + 50]
        r = subprocess.run([clang_format, "--dry-run", "-Werror", *batch],
                           capture_output=True, text=True)
        if r.returncode != 0:
            for line in r.stderr.splitlines():
                if ": error:" in line:
                    path = line.split(":", 1)[0]
                    if path not in bad:
                        bad.append(path)
            if not bad:
                sys.exit("clang-format failed: " + r.stderr[:2000])
    if bad:
        print("%d of %d files are not formatted as .clang-format says; fix with "
              "`clang-format -i FILE`:" % (len(bad), len(files)))
        for path in bad:
            print("  " + os.path.relpath(path, root))
        sys.exit(1)
    print("%d files formatted" % len(files))


if __name__ == "__main__":
    main()
