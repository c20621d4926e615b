#!/usr/bin/env python3
"""Runs one libFuzzer target over its committed corpus, then fuzzes it for a while.

    run_fuzzer.py --seconds S [--runs N] [--seed N] [--fresh] --out DIR TARGET CORPUS [DICT]

Every file of CORPUS (fuzz/corpus/<target>/, in git) runs first: an input that
once crashed stays a regression test. Then libFuzzer mutates for S seconds (at
most N runs). New inputs it finds go to DIR/corpus and crashes to DIR/crashes,
never into CORPUS: copying one into git is a deliberate step (fuzz/README.md).
--fresh empties DIR first (the meson tests do; make fuzz keeps DIR, so that its
corpus grows from one run to the next).

Exits with the target's status (non-zero on a crash, a leak, a timeout or a
failed property) and prints the executions, for make fuzz's summary.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--seconds', type=int, required=True)
    ap.add_argument('--runs', type=int, default=-1)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--fresh', action='store_true')
    ap.add_argument('--out', required=True)
    ap.add_argument('target')
    ap.add_argument('corpus')
    ap.add_argument('dict', nargs='?')
    a = ap.parse_args()

    name = os.path.basename(a.target)
    if a.fresh:
        shutil.rmtree(a.out, ignore_errors=True)
    new_corpus = os.path.join(a.out, 'corpus')
    crashes = os.path.join(a.out, 'crashes')
    os.makedirs(new_corpus, exist_ok=True)
    os.makedirs(crashes, exist_ok=True)

    cmd = [a.target,
           '-max_total_time=%d' % a.seconds,
           '-timeout=20',             # seconds for one input: a hang is a finding
           '-rss_limit_mb=2048',
           '-print_final_stats=1',
           '-artifact_prefix=' + crashes + '/']
    if a.runs >= 0:
        cmd.append('-runs=%d' % a.runs)
    if a.seed:
        cmd.append('-seed=%d' % a.seed)
    if a.dict:
        cmd.append('-dict=' + a.dict)
    # The first directory receives what is new; the committed corpus is read only.
    cmd += [new_corpus, a.corpus]

    print('$ ' + ' '.join(cmd), flush=True)
    started = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          errors='replace')
    out = proc.stdout
    # libFuzzer's progress lines are many; keep the start, the end and any report.
    lines = out.splitlines()
    if proc.returncode == 0 and len(lines) > 60:
        lines = lines[:20] + ['... (%d lines)' % (len(lines) - 40)] + lines[-20:]
    print('\n'.join(lines))

    execs = re.search(r'stat::number_of_executed_units:\s*(\d+)', out)
    print('%s: %s executions in %d s, %d new inputs in %s' % (
        name, execs.group(1) if execs else '?', round(time.monotonic() - started),
        len(os.listdir(new_corpus)), new_corpus))
    if proc.returncode != 0:
        found = sorted(os.listdir(crashes))
        print('%s FAILED (exit %d). The input is in %s: %s' % (
            name, proc.returncode, crashes, ', '.join(found) or '(none written)'))
        print('Reproduce: %s %s/<file>. Once fixed, copy the file into %s so that it '
              'stays a regression test.' % (a.target, crashes, a.corpus))
    return proc.returncode


if __name__ == '__main__':
    sys.exit(main())
