#!/usr/bin/env python3
"""docs/configuration.md must list every key of the built-in configuration with
its actual default, and nothing that does not exist. Run by `make test`.

Tables (`[server]`) are documented under a heading "### `[server]`", one row per key:
"| `key` | `default` | meaning |". Inline-table values are rendered as
`{ max = 0, window = "1s" }`.

Arrays of tables (`[[endpoint]]`) hold several blocks, so their keys' defaults (the
values an omitted key takes) come from a commented template in default.toml:

    #   [[endpoint]]
    #   path = "/api/example"   # comment
    #   channels = []           # comment

and are documented under "### `[[endpoint]]`". A key every block must set is
documented with "required" instead of a default. Every key used by a built-in block
must be in the template, and every documented key too.
"""
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
    if isinstance(value, dict):
        return "{ " + ", ".join("%s = %s" % (k, render(v)) for k, v in value.items()) + " }"
    return str(value)


def template(defaults_text, name):
    """The keys and defaults of the commented [[name]] template, or None."""
    lines = defaults_text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^#\s+\[\[%s\]\]\s*$" % re.escape(name), line):
            body = []
            for following in lines[i + 1:]:
                m = re.match(r"^#\s+(\w+\s*=.*)$", following)
                if not m:
                    break
                body.append(m.group(1))
            return tomllib.loads("\n".join(body))
    return None


def read_docs(docs_path):
    """{(section, is_array): {key: default or None for "required"}}"""
    documented = {}
    section = None
    for line in open(docs_path, encoding="utf-8"):
        m = re.match(r"^### `(\[\[(\w+)\]\]|\[(\w+)\])`", line)
        if m:
            section = (m.group(2), True) if m.group(2) else (m.group(3), False)
            documented.setdefault(section, {})
            continue
        if line.startswith("## "):
            section = None
            continue
        m = re.match(r"^\| `(\w+)` \| (?:`(.*?)`|(required)) \|", line)
        if m and section:
            documented[section][m.group(1)] = m.group(2)
    return documented


def main():
    defaults_path, docs_path = sys.argv[1], sys.argv[2]
    defaults_text = open(defaults_path, encoding="utf-8").read()
    defaults = tomllib.loads(defaults_text)
    documented = read_docs(docs_path)
    problems = []

    for sec, value in defaults.items():
        if isinstance(value, dict):
            docs = documented.get((sec, False), {})
            for key, default in value.items():
                path = f"{sec}.{key}"
                if key not in docs:
                    problems.append(f"{path} is not documented in {docs_path}")
                elif docs[key] is None or docs[key] != render(default):
                    problems.append(f"{path}: docs say {docs[key] or 'required'}, "
                                    f"default is {render(default)}")
            continue
        # An array of tables: the template gives each key's default.
        keys = template(defaults_text, sec)
        if keys is None:
            problems.append(f"[[{sec}]]: no commented `#   [[{sec}]]` template in {defaults_path}")
            continue
        docs = documented.get((sec, True), {})
        for i, block in enumerate(value):
            for key in block:
                if key not in keys:
                    problems.append(f"{sec}[{i}].{key} is not in the [[{sec}]] template")
        for key, default in keys.items():
            path = f"[[{sec}]] {key}"
            if key not in docs:
                problems.append(f"{path} is not documented in {docs_path}")
            elif docs[key] is None:
                missing = [i for i, block in enumerate(value) if key not in block]
                if missing:
                    problems.append(f"{path} is documented as required, but built-in block(s) "
                                    f"{missing} do not set it")
            elif docs[key] != render(default):
                problems.append(f"{path}: docs say {docs[key]}, default is {render(default)}")

    for (sec, is_array), docs in documented.items():
        for key in docs:
            if is_array:
                known = isinstance(defaults.get(sec), list) and key in (
                    template(defaults_text, sec) or {})
                name = f"[[{sec}]] {key}"
            else:
                known = isinstance(defaults.get(sec), dict) and key in defaults[sec]
                name = f"{sec}.{key}"
            if not known:
                problems.append(f"{name} is documented but is not a configuration key")

    for p in problems:
        print(p)
    count = sum(len(d) for d in documented.values())
    print(f"{count} keys documented, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
