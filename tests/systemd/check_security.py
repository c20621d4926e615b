#!/usr/bin/env python3
"""The generated ringcastd.service must rate an exposure of at most 2.0 by
`systemd-analyze security --offline=true` (systemd 252 and later analyse a unit
file without systemd running). Skips (exit 77) where systemd-analyze is absent
(Debian's package `systemd`: the Makefile's TEST_DEBS).

usage: check_security.py UNIT [MAX]
"""
import re
import shutil
import subprocess
import sys

SKIP = 77


def main() -> int:
    unit = sys.argv[1]
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 2.0
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        print("SKIP: systemd-analyze is not installed (Debian package systemd)")
        return SKIP
    run = subprocess.run([analyze, "security", "--offline=true", "--no-pager", unit],
                         capture_output=True, text=True, timeout=60)
    out = run.stdout + run.stderr
    if "--offline" in out and "unrecognized option" in out:
        print(f"SKIP: {analyze} cannot analyse offline (systemd older than 252)")
        return SKIP
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    if not m:
        print(f"cannot read the exposure level from systemd-analyze:\n{out}")
        return 1
    score = float(m.group(1))
    # What is still open, to see what to tighten when the score rises.
    for line in out.splitlines():
        if line.startswith("✗"):
            print(line)
    print(f"{unit}: exposure {score} (at most {limit})")
    return 0 if score <= limit else 1


if __name__ == "__main__":
    sys.exit(main())
