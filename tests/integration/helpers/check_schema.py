#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""check_schema.py SCHEMA EVENTS: validate every JSON line of EVENTS against
docs/events.schema.json (draft 2020-12). Prints one line per invalid event
(line number, the best-matching error, the path) and exits 1 if any; exit 2
when python3-jsonschema is missing."""
import json
import sys

try:
    import jsonschema
    jsonschema.Draft202012Validator  # noqa: B018 (needs jsonschema >= 4)
except (ImportError, AttributeError):
    print("python3-jsonschema (draft 2020-12) not installed")
    sys.exit(2)

v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
bad = 0
for n, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    errs = list(v.iter_errors(json.loads(line)))
    if errs:
        bad += 1
        e = jsonschema.exceptions.best_match(errs)
        where = "/".join(map(str, e.absolute_path))
        print(f"line {n}: {e.message[:200]} at /{where}")
sys.exit(1 if bad else 0)
