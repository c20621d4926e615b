#!/usr/bin/env python3
"""The documents must name only what exists. Run by `make test`.

Read: README.md, docs/*.md, clients/node/README.md, clients/browser/README.md and every
src/*/README.md.
Checked:
- paths into the repository (src/..., tests/..., docs/..., bench/..., include/...,
  tools/..., systemd/..., clients/..., fuzz/..., subprojects/...): the file or folder
  exists. `{a,b}` alternatives and `*` globs are expanded, a `:line` suffix is
  ignored, a path may be relative to the document's folder (clients/node/README.md
  names src/index.ts), and `dir/name` may be a build target that dir/meson.build
  declares ('ringcast-load');
- relative links ([text](file.md#anchor)): the file exists and so does the heading
  (GitHub's anchors: lower case, punctuation dropped, spaces to hyphens, -1, -2 for
  repeated headings);
- names in backticks that read as code: `CamelCase` types, `kConstants`,
  `Type::member` and `function()` occur in the code, comments left out (a stale
  comment does not keep a stale name alive); in a folder's README, a `lower_case`
  name is a file of that folder, another folder of src/, or a name in the code.

Usage: check_doc_references.py REPO_ROOT
"""
import glob
import os
import re
import subprocess
import sys

# Paths the documents name on purpose that are not in the repository, and why.
NOT_OURS = {
    "src/lib/sse/": "an application's own module, in the Node client's porting example",
}

# Names in backticks that are not ours, and whose they are.
NOT_OUR_NAMES = {
    "EventSource": "the browser's SSE client",
    "io_uring_setup_buf_ring": "liburing's (2.4+), named as what ringcast does without",
}

TOP = r"(?:src|tests|bench|docs|include|tools|systemd|clients|fuzz|subprojects)"
PATH = re.compile(r"(?<![\w./-])(" + TOP + r"/[\w./{},*+-]*[\w}*])")
LINK = re.compile(r"\]\(([^)\s]+)\)")
TICK = re.compile(r"`([^`\n]+)`")
CODE_SUFFIXES = (".cc", ".h", ".ts", ".mjs", ".cts", ".py", ".toml", ".build", ".in", ".conf")


def documents():
    return (["README.md", "clients/node/README.md", "clients/browser/README.md"]
            + sorted(glob.glob("docs/*.md"))
            + sorted(glob.glob("src/*/README.md")))


def expand(path):
    m = re.search(r"\{([^}]*)\}", path)
    if not m:
        return [path]
    out = []
    for alt in m.group(1).split(","):
        out += expand(path[: m.start()] + alt + path[m.end():])
    return out


def is_target(path):
    folder, name = os.path.split(path)
    build = os.path.join(folder, "meson.build")
    return os.path.isfile(build) and ("'%s'" % name) in open(build).read()


def path_exists(path, doc):
    if any(path.startswith(p) for p in NOT_OURS):
        return True
    for p in expand(path):
        p = p.rstrip(".")
        here = os.path.join(os.path.dirname(doc), p)
        if "*" in p:
            if not glob.glob(p) and not glob.glob(here):
                return False
        elif not (os.path.exists(p) or os.path.exists(here) or is_target(p)):
            return False
    return True


def anchors(md):
    found = set()
    in_code = False
    for line in open(md).read().splitlines():
        if line.startswith("```"):
            in_code = not in_code
        m = re.match(r"#+ (.*)$", line)
        if in_code or not m:
            continue
        slug = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-")
        anchor, n = slug, 1
        while anchor in found:
            anchor, n = "%s-%d" % (slug, n), n + 1
        found.add(anchor)
    return found


def strip_comments(path, text):
    if path.endswith((".py", ".toml", ".build", ".in", ".conf")):
        return re.sub(r"(?m)#.*$", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"(?m)(^|[^:\"'])//.*$", r"\1", text)


def code_words():
    files = subprocess.run(["git", "ls-files"], capture_output=True, text=True,
                           check=True).stdout.split()
    words = set()
    for f in files:
        if f.endswith(CODE_SUFFIXES) and not f.startswith("subprojects/"):
            text = strip_comments(f, open(f, errors="replace").read())
            words.update(re.findall(r"[A-Za-z_]\w*", text))
    return words


def code_names(token):
    """The identifiers a backticked token stands for, if it reads as code."""
    if re.fullmatch(r"[A-Z][a-z0-9]+(?:[A-Z]\w*)?|k[A-Z]\w+", token):
        return [token]
    if re.fullmatch(r"[A-Z]\w*::~?\w+(?:\(\))?", token):
        return re.findall(r"\w+", token)
    if re.fullmatch(r"[a-z_]\w*\(\)", token):
        return [token[:-2]]
    return []


def check(doc, words, problems):
    folder = os.path.dirname(doc) if doc.startswith("src/") else None
    for n, line in enumerate(open(doc).read().splitlines(), 1):
        where = "%s:%d" % (doc, n)
        for m in PATH.finditer(line):
            path = re.sub(r":\d.*$", "", m.group(1)).rstrip("/")
            if not path_exists(path, doc):
                problems.append("%s: %s does not exist" % (where, path))
        for m in LINK.finditer(line):
            target = m.group(1)
            if re.match(r"\w+:", target):
                continue  # https:, mailto:
            path, _, anchor = target.partition("#")
            file = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
            if not os.path.exists(file):
                problems.append("%s: link to %s: no such file" % (where, target))
            elif anchor and file.endswith(".md") and anchor not in anchors(file):
                problems.append("%s: link to %s: no such heading" % (where, target))
        for m in TICK.finditer(line):
            token = m.group(1)
            if folder and re.fullmatch(r"[a-z_][a-z0-9_]*", token):
                if not (glob.glob("%s/%s.*" % (folder, token)) or os.path.isdir("src/" + token)
                        or token in words):
                    problems.append("%s: `%s` is no file of %s and no name in the code"
                                    % (where, token, folder))
                continue
            if os.path.exists(token):
                continue  # a file at the root (`Makefile`)
            missing = [w for w in code_names(token) if w not in words and w not in NOT_OUR_NAMES]
            if missing:
                problems.append("%s: `%s`: %s occurs nowhere in the code"
                                % (where, token, ", ".join(missing)))


def main():
    os.chdir(sys.argv[1])
    words = code_words()
    problems = []
    for doc in documents():
        check(doc, words, problems)
    if problems:
        print("\n".join(problems))
        print("%d reference(s) to something that does not exist" % len(problems))
        return 1
    print("every path, link and name in %d documents exists" % len(documents()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
