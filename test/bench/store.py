"""flytekit's own store, timed: Python diskcache (Debian python3-diskcache) storing protobuf
bytes under flytekit's keys, for the benchmark in test/bench/run.ts.

One JSON request per line on stdin:
  {"dir": str, "task": str, "version": str, "rounds": int,
   "entries": [{"inputs": base64 LiteralMap bytes, "value": base64 bytes}]}
One JSON answer per line: microseconds per operation (median over rounds) for
  set / get            diskcache alone, with the keys computed beforehand
  set_keyed / get_keyed  flytekit's whole path: the key (as flytekit computes it), then diskcache
"""
import base64
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "compat"))
import oracle  # noqa: E402  (compiles the protos; flytekit's key algorithm)
import diskcache  # noqa: E402


def per_op(run, count, rounds):
    samples = []
    for _ in range(rounds + 1):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(samples[1:])  # the first round warms up


def answer(request):
    entries = [
        (oracle.L.LiteralMap.FromString(base64.b64decode(e["inputs"])), base64.b64decode(e["value"]))
        for e in request["entries"]
    ]
    task, version, rounds = request["task"], request["version"], request["rounds"]
    key = lambda inputs: oracle.cache_key(task, version, inputs, set())  # noqa: E731
    keys = [key(inputs) for inputs, _ in entries]
    cache = diskcache.Cache(request["dir"])
    try:
        def set_plain():
            for k, (_, value) in zip(keys, entries):
                cache.set(k, value)

        def get_plain():
            for k, (_, value) in zip(keys, entries):
                if cache.get(k) != value:
                    raise AssertionError("diskcache returned other bytes")

        def set_keyed():
            for inputs, value in entries:
                cache.set(key(inputs), value)

        def get_keyed():
            for inputs, value in entries:
                if cache.get(key(inputs)) != value:
                    raise AssertionError("diskcache returned other bytes")

        n = len(entries)
        return {
            "keys": keys,
            "set": per_op(set_plain, n, rounds),
            "get": per_op(get_plain, n, rounds),
            "set_keyed": per_op(set_keyed, n, rounds),
            "get_keyed": per_op(get_keyed, n, rounds),
        }
    finally:
        cache.close()


for line in sys.stdin:
    if line.strip():
        sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
        sys.stdout.flush()
