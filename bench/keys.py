"""flytekit's cache key on flytekit's Python stack, timed, for the benchmark in bench/run.ts.

The algorithm and the generated classes come from test/compat/oracle.py (the reference the
differential key tests check against); run it with /usr/bin/python3 (Debian's python3-protobuf
with its C++ backend, python3-joblib).

As a program: one JSON request per line on stdin, one JSON answer per line on stdout:

  {"load": {"name": str, "task": str, "version": str, "inputs": base64 LiteralMap bytes}}
  -> {"key": str}            parses the inputs (not timed) and keeps them under "name";
  {"time": {"name": str, "iterations": int}}
  -> {"us": float}           one timing round: µs per call over "iterations" calls;
  {"info": true}
  -> the versions of Python, protobuf (and its backend) and joblib.

The timed call is flytekit.core.local_cache._calculate_cache_key on the parsed LiteralMap:
recursive hash placement, a new LiteralMap, SerializeToString(deterministic=True), joblib.hash.
The caller runs the rounds (interleaved with its own) and takes the median.

As a module (bench/store.py): L (the generated literals_pb2) and cache_key.
"""
import base64
import json
import os
import sys
import time

# The key algorithm and the generated classes: the differential tests' oracle.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "compat"))
from oracle import L, cache_key, joblib  # noqa: E402


def round_time(fn, iterations):
    start = time.perf_counter()
    for _ in range(iterations):
        fn()
    return (time.perf_counter() - start) / iterations * 1e6


def info():
    from google.protobuf import __version__ as protobuf_version
    from google.protobuf.internal import api_implementation
    return {
        "python": sys.version.split()[0],
        "protobuf": f"{protobuf_version} ({api_implementation.Type()} backend)",
        "joblib": joblib.__version__,
    }


LOADED = {}


def answer(request):
    if request.get("info"):
        return info()
    if "load" in request:
        load = request["load"]
        inputs = L.LiteralMap.FromString(base64.b64decode(load["inputs"]))
        task, version = load["task"], load["version"]
        LOADED[load["name"]] = lambda: cache_key(task, version, inputs, frozenset())
        return {"key": LOADED[load["name"]]()}
    timed = request["time"]
    return {"us": round_time(LOADED[timed["name"]], timed["iterations"])}


def main():
    for line in sys.stdin:
        if line.strip():
            sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
