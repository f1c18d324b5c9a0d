"""flytekit's cache key, computed by the reference stack: Python protobuf, joblib.

Compiles flyteidl/core/{literals,types}.proto from the npm package @flyteorg/flyteidl with
protoc, then serves requests, one JSON object per line on stdin, one answer per line on stdout:

  {"task": str, "version": str, "ignore": [str], "inputs": base64 LiteralMap bytes}
      -> {"key": str}                      (or {"error": str})
  the same with "debug": true
      -> {"key": str, "bytes": base64 of the deterministic serialization}

The key algorithm is flytekit.core.local_cache._calculate_cache_key, over the generated classes.
Run it with /usr/bin/python3 (Debian's python3-protobuf, python3-joblib).
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTOS = os.path.join(ROOT, "node_modules", "@flyteorg", "flyteidl", "protos")


def load_literals():
    out = tempfile.mkdtemp(prefix="ltc-oracle-")
    try:
        subprocess.run(
            ["protoc", f"--proto_path={PROTOS}", f"--python_out={out}",
             "flyteidl/core/literals.proto", "flyteidl/core/types.proto"],
            check=True,
        )
        sys.path.insert(0, out)
        from flyteidl.core import literals_pb2  # noqa: E402
        return literals_pb2
    finally:
        # Once imported, the generated modules are no longer needed on disk.
        shutil.rmtree(out, ignore_errors=True)


L = load_literals()
import joblib  # noqa: E402


def recursive_hash_placement(literal):
    # flytekit.core.local_cache._recursive_hash_placement
    if literal.hash:
        return L.Literal(hash=literal.hash)
    kind = literal.WhichOneof("value")
    if kind == "collection":
        placed = [recursive_hash_placement(item) for item in literal.collection.literals]
        return L.Literal(collection=L.LiteralCollection(literals=placed))
    if kind == "map":
        placed = {name: recursive_hash_placement(value) for name, value in literal.map.literals.items()}
        return L.Literal(map=L.LiteralMap(literals=placed))
    return literal


def key_bytes(inputs, ignore=frozenset()):
    # flytekit.core.local_cache._calculate_cache_key, up to the hash
    placed = {
        name: recursive_hash_placement(value)
        for name, value in inputs.literals.items()
        if name not in ignore
    }
    return L.LiteralMap(literals=placed).SerializeToString(deterministic=True)


def cache_key(task, version, inputs, ignore=frozenset()):
    return f"{task}-{version}-{joblib.hash(key_bytes(inputs, ignore))}"


def answer(request):
    inputs = L.LiteralMap.FromString(base64.b64decode(request["inputs"]))
    task, version, ignore = request["task"], request["version"], set(request.get("ignore", []))
    reply = {"key": cache_key(task, version, inputs, ignore)}
    if request.get("debug"):
        reply["bytes"] = base64.b64encode(key_bytes(inputs, ignore)).decode()
    return reply


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as error:  # reported to the caller, who decides
            reply = {"error": f"{type(error).__name__}: {error}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
