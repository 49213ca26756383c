#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Validate vctl's JSON output against a schema of test/vctl/schema/.

usage: check_schema.py SCHEMA [FILE]

FILE (default stdin) holds one or more JSON documents (vctl -j prints one
per line; --watch prints several). Every one must validate, and there must
be at least one. Exit 0 valid, 1 invalid, 77 when python3-jsonschema is
missing (meson's skip).
"""
import json
import pathlib
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (scripts/setup.sh installs it)")
    sys.exit(77)


def make_validator(schema_path, schema):
    """$ref "common.json#/..." resolves against the schema's own directory."""
    schema["$id"] = schema_path.as_uri()
    try:
        # jsonschema >= 4.18: the referencing library.
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT7
    except ImportError:
        # Debian 12's jsonschema 4.10: RefResolver fetches file:// URIs itself.
        resolver = jsonschema.RefResolver(base_uri=schema["$id"], referrer=schema)
        return jsonschema.Draft7Validator(schema, resolver=resolver)
    resources = []
    for path in schema_path.parent.glob("*.json"):
        contents = json.loads(path.read_text())
        contents["$id"] = path.as_uri()
        resources.append((path.as_uri(), Resource.from_contents(contents, default_specification=DRAFT7)))
    return jsonschema.Draft7Validator(schema, registry=Registry().with_resources(resources))


def documents(text):
    dec = json.JSONDecoder()
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return
        doc, i = dec.raw_decode(text, i)
        yield doc


def main():
    schema_path = pathlib.Path(sys.argv[1]).resolve()
    schema = json.loads(schema_path.read_text())
    text = open(sys.argv[2]).read() if len(sys.argv) > 2 else sys.stdin.read()
    validator = make_validator(schema_path, schema)
    try:
        docs = list(documents(text))
    except json.JSONDecodeError as e:
        print(f"{schema_path.name}: not JSON: {e}: {text[:200]!r}")
        return 1
    if not docs:
        print(f"{schema_path.name}: no JSON document in the output")
        return 1
    bad = 0
    for n, doc in enumerate(docs):
        for err in validator.iter_errors(doc):
            where = "/".join(str(p) for p in err.absolute_path)
            print(f"{schema_path.name}: document {n}: at /{where}: {err.message[:300]}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
