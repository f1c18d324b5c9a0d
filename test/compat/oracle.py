"""flytekit's cache key, computed by the reference stack: Python protobuf, joblib.

Compiles flyteidl/core/{literals,types}.proto from the npm package @flyteorg/flyteidl with
protoc (not through the buf.yaml of that folder: its dependencies are on a remote registry),
then serves requests, one JSON object per line on stdin, one answer per line on stdout, flushed
after each line, in the order of the requests:

  {"task": str, "version": str, "ignore": [str], "inputs": base64 LiteralMap bytes}
      -> {"key": str}                      (or {"error": str})
  the same with "debug": true
      -> {"key": str, "bytes": base64 of the deterministic serialization that is hashed}
  the same with "bench": n (n >= 1 calls per round)
      -> {"key": str, "seconds_per_call": float, "rounds": [float]}
         the median over 5 rounds of n calls of the full Python path, from the parsed LiteralMap
         message (parsing is not timed): hash placement, a new LiteralMap,
         SerializeToString(deterministic=True), joblib.hash;
  {"info": true}
      -> {"python": str, "protobuf": str, "backend": str, "joblib": str}

The key algorithm is flytekit.core.local_cache._calculate_cache_key, as FLYTEKIT_KEYS.md states it,
over the generated classes. Run it with /usr/bin/python3 (Debian's python3-protobuf with its C++
backend, python3-joblib).

As a module (test/bench/keys.py): L (the generated literals_pb2), joblib, cache_key, key_bytes.
"""
import base64
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTOS = os.path.join(ROOT, "node_modules", "@flyteorg", "flyteidl", "protos")


def load_literals():
    out = tempfile.mkdtemp(prefix="ltc-oracle-")
    try:
        # protoc finds google/protobuf/*.proto (Timestamp, Duration, Struct) among its own includes.
        subprocess.run(
            ["protoc", f"--proto_path={PROTOS}", f"--python_out={out}",
             "flyteidl/core/literals.proto", "flyteidl/core/types.proto"],
            check=True,
        )
        sys.path.insert(0, out)
        try:
            from flyteidl.core import literals_pb2  # noqa: E402
        finally:
            sys.path.remove(out)
        return literals_pb2
    finally:
        # Once imported, the generated modules are no longer needed on disk.
        shutil.rmtree(out, ignore_errors=True)


L = load_literals()
import joblib  # noqa: E402

BENCH_ROUNDS = 5


def recursive_hash_placement(literal):
    # flytekit.core.local_cache._recursive_hash_placement: the hash first, then collections and
    # maps (without the outer literal's metadata); anything else (scalars, offloaded metadata,
    # with their metadata and all) unchanged.
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
    # flytekit.core.local_cache._calculate_cache_key, up to the hash: a new LiteralMap.
    placed = {
        name: recursive_hash_placement(value)
        for name, value in inputs.literals.items()
        if name not in ignore
    }
    return L.LiteralMap(literals=placed).SerializeToString(deterministic=True)


def cache_key(task, version, inputs, ignore=frozenset()):
    return f"{task}-{version}-{joblib.hash(key_bytes(inputs, ignore))}"


def info():
    from google.protobuf import __version__ as protobuf_version
    from google.protobuf.internal import api_implementation
    return {
        "python": sys.version.split()[0],
        "protobuf": protobuf_version,
        "backend": api_implementation.Type(),
        "joblib": joblib.__version__,
    }


def bench(task, version, inputs, ignore, calls):
    rounds = []
    for _ in range(BENCH_ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            cache_key(task, version, inputs, ignore)
        rounds.append((time.perf_counter() - start) / calls)
    return statistics.median(rounds), rounds


def answer(request):
    if request.get("info"):
        return info()
    inputs = L.LiteralMap.FromString(base64.b64decode(request["inputs"]))
    task, version = request["task"], request["version"]
    ignore = frozenset(request.get("ignore", []))
    reply = {"key": cache_key(task, version, inputs, ignore)}
    if request.get("debug"):
        reply["bytes"] = base64.b64encode(key_bytes(inputs, ignore)).decode()
    calls = request.get("bench")
    if calls is not None:
        if not isinstance(calls, int) or isinstance(calls, bool) or calls < 1:
            raise ValueError(f"bench must be a positive integer, got {calls!r}")
        reply["seconds_per_call"], reply["rounds"] = bench(task, version, inputs, ignore, calls)
    return reply


def serve(answer):
    """Answers one JSON request per line of stdin with one JSON line on stdout, flushed."""
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
    serve(answer)
