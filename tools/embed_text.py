#!/usr/bin/env python3
"""Turns a text file into a C++ source defining `extern const char NAME[]`.

Used at build time to compile default.toml into the daemon, so that the file in
the source tree is the single source of the defaults and their documentation.
"""
import sys


def main() -> int:
    if len(sys.argv) != 4:
        print("usage: embed_text.py INPUT OUTPUT SYMBOL", file=sys.stderr)
        return 2
    src, dst, symbol = sys.argv[1:]
    data = open(src, "rb").read()
    body = ",".join(str(b) for b in data)
    with open(dst, "w") as out:
        out.write("// Generated from %s by tools/embed_text.py. Do not edit.\n" % src.split("/")[-1])
        out.write("namespace ringcast {\n")
        out.write("extern const char %s[];\n" % symbol)
        out.write("const char %s[] = {%s%s0};\n" % (symbol, body, "," if body else ""))
        out.write("}  // namespace ringcast\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
