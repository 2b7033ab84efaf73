#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
# check_prom.py FILE: strict check of a Prometheus text exposition (format
# 0.0.4) as sealwatch writes it; prints the problems and exits 1, or exits 0.
# Rules: HELP then TYPE before a family's samples, each family once; names
# [a-zA-Z_:][a-zA-Z0-9_:]* prefixed sealwatch_; counters end in _total;
# label names valid, values quoted with only \\ \" \n escapes; no duplicate
# series; values parse as floats; the text ends with a newline.
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(r"^(%s)(\{(%s(?:,%s)*)?\})? (\S+)$" % (NAME, LABEL, LABEL))
text = open(sys.argv[1], encoding="utf-8").read()
errors = []
if not text.endswith("\n"):
    errors.append("does not end with a newline")
help_seen, types, series, closed = {}, {}, set(), set()
current = None
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        parts = line.split(" ", 3)
        name = parts[2]
        if not re.fullmatch(NAME, name) or len(parts) < 4:
            errors.append("%d: bad HELP" % n)
        if name in help_seen:
            errors.append("%d: second HELP for %s" % (n, name))
        if current and current != name:
            closed.add(current)
        help_seen[name] = True
        current = name
    elif line.startswith("# TYPE "):
        parts = line.split(" ")
        if len(parts) != 4 or parts[3] not in ("counter", "gauge", "untyped", "histogram", "summary"):
            errors.append("%d: bad TYPE line" % n)
            continue
        if parts[2] in types:
            errors.append("%d: second TYPE for %s" % (n, parts[2]))
        if parts[2] != current:
            errors.append("%d: TYPE %s not right after its HELP" % (n, parts[2]))
        types[parts[2]] = parts[3]
    elif line.startswith("#") or not line:
        errors.append("%d: unexpected line %r" % (n, line))
    else:
        m = SAMPLE.match(line)
        if not m:
            errors.append("%d: malformed sample %r" % (n, line))
            continue
        name, labels, value = m.group(1), m.group(3) or "", m.group(4)
        if name not in types:
            errors.append("%d: sample of %s without HELP/TYPE" % (n, name))
        if name != current or name in closed:
            errors.append("%d: sample of %s outside its family's block" % (n, name))
        if not name.startswith("sealwatch_"):
            errors.append("%d: %s lacks the sealwatch_ prefix" % (n, name))
        if types.get(name) == "counter" and not name.endswith("_total"):
            errors.append("%d: counter %s does not end in _total" % (n, name))
        key = (name, labels)
        if key in series:
            errors.append("%d: duplicate series %s{%s}" % (n, name, labels))
        series.add(key)
        try:
            v = float(value)
        except ValueError:
            errors.append("%d: value %r is not a float" % (n, value))
            continue
        if types.get(name) == "counter" and v < 0:
            errors.append("%d: negative counter" % n)
for e in errors:
    print(e)
sys.exit(1 if errors else 0)
