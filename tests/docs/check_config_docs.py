#!/usr/bin/env python3
"""docs/configuration.md must list every key of the built-in configuration with
its actual default, and nothing that does not exist. Run by `make test`."""
import re
import sys
import tomllib


def render(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"%s"' % value
    if isinstance(value, list):
        return "[" + ", ".join(render(v) for v in value) + "]"
    return str(value)


def main():
    defaults_path, docs_path = sys.argv[1], sys.argv[2]
    with open(defaults_path, "rb") as f:
        defaults = tomllib.load(f)
    documented = {}
    section = None
    for line in open(docs_path, encoding="utf-8"):
        m = re.match(r"^### `\[(\w+)\]`", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r"^\| `(\w+)` \| `(.*?)` \|", line)
        if m and section:
            documented[f"{section}.{m.group(1)}"] = m.group(2)
    problems = []
    for sec, keys in defaults.items():
        for key, value in keys.items():
            path = f"{sec}.{key}"
            if path not in documented:
                problems.append(f"{path} is not documented in {docs_path}")
            elif documented[path] != render(value):
                problems.append(f"{path}: docs say {documented[path]}, default is {render(value)}")
    for path in documented:
        sec, key = path.split(".")
        if key not in defaults.get(sec, {}):
            problems.append(f"{path} is documented but is not a configuration key")
    for p in problems:
        print(p)
    print(f"{len(documented)} keys documented, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
