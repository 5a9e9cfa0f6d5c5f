#!/usr/bin/env python3
"""Extracts the request schemas the model fake validates against from OpenAI's OpenAPI document.

Usage: extract-requests.py OPENAPI.json OUT.json

Takes `CreateResponse` and `CreateChatCompletionRequest` from components.schemas with the closure
of their $refs, unchanged apart from the $ref targets, which move from #/components/schemas/X to
#/$defs/X so that the file is one JSON Schema (draft 2020-12) document. Keys are sorted so the
output is reproducible. See Tests/Fixtures/PROVENANCE.md.
"""
import hashlib, json, sys

ROOTS = ["CreateResponse", "CreateChatCompletionRequest"]
PREFIX = "#/components/schemas/"


def main(source, target):
    raw = open(source, "rb").read()
    spec = json.loads(raw)
    schemas = spec["components"]["schemas"]
    wanted, queue = set(), list(ROOTS)
    while queue:
        name = queue.pop()
        if name in wanted:
            continue
        wanted.add(name)
        stack = [schemas[name]]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str):
                    if not ref.startswith(PREFIX):
                        sys.exit("unexpected $ref " + ref)
                    queue.append(ref[len(PREFIX):])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)

    def rewrite(node):
        if isinstance(node, dict):
            return {k: (PREFIX_NEW + v[len(PREFIX):] if k == "$ref" and isinstance(v, str) else rewrite(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    document = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$comment": "Slice of openai/openai-openapi openapi.json (info.version %s, sha256 %s): %s and their $ref closure."
        % (spec["info"]["version"], hashlib.sha256(raw).hexdigest(), ", ".join(ROOTS)),
        "$defs": {name: rewrite(schemas[name]) for name in sorted(wanted)},
    }
    with open(target, "w") as out:
        json.dump(document, out, indent=1, sort_keys=True)
        out.write("\n")
    print("%d schemas written to %s" % (len(wanted), target))


PREFIX_NEW = "#/$defs/"

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
