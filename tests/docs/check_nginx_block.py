#!/usr/bin/env python3
"""docs/operations.md must show docs/nginx/ringcast.conf exactly, in an ```nginx block,
so that the configuration readers copy is the one the nginx integration test runs
(tests/integration/nginx_proxy_test.cc). Run by `make test`.

Usage: check_nginx_block.py docs/nginx/ringcast.conf docs/operations.md
"""
import re
import sys


def main():
    conf_path, docs_path = sys.argv[1], sys.argv[2]
    conf = open(conf_path, encoding="utf-8").read()
    docs = open(docs_path, encoding="utf-8").read()
    blocks = re.findall(r"^```nginx\n(.*?)^```", docs, re.S | re.M)
    if not blocks:
        print(f"{docs_path}: no ```nginx block; it must show {conf_path}")
        return 1
    if conf not in blocks:
        print(f"{docs_path}: its ```nginx block differs from {conf_path}; "
              "copy the file into the block unchanged")
        return 1
    print(f"{docs_path} shows {conf_path} as it is")
    return 0


if __name__ == "__main__":
    sys.exit(main())
