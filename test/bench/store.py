"""flytekit's own store, timed: Python diskcache (Debian python3-diskcache) storing protobuf
bytes under flytekit's keys, for the benchmark in test/bench/run.ts.

One JSON request per line on stdin:
  {"dir": str, "task": str, "version": str,
   "rounds": [[base64 LiteralMap bytes of inputs, ...], ...],   (the first round warms up)
   "values": [base64 bytes stored for the i-th inputs of a round, ...]}
Every round stores new keys, as a cache does after a miss. One JSON answer per line: the keys
of all rounds, and microseconds per operation (median over rounds) for
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


def answer(request):
    task, version = request["task"], request["version"]
    values = [base64.b64decode(value) for value in request["values"]]
    key = lambda inputs: oracle.cache_key(task, version, inputs, set())  # noqa: E731
    rounds = [
        [oracle.L.LiteralMap.FromString(base64.b64decode(inputs)) for inputs in round_inputs]
        for round_inputs in request["rounds"]
    ]
    keys = [[key(inputs) for inputs in round_inputs] for round_inputs in rounds]
    times = {"keys": [k for round_keys in keys for k in round_keys]}

    def set_plain(round_keys):
        for k, value in zip(round_keys, values):
            cache.set(k, value)

    def get_plain(round_keys):
        for k, value in zip(round_keys, values):
            if cache.get(k) != value:
                raise AssertionError("diskcache returned other bytes")

    def set_keyed(round_inputs):
        for inputs, value in zip(round_inputs, values):
            cache.set(key(inputs), value)

    def get_keyed(round_inputs):
        for inputs, value in zip(round_inputs, values):
            if cache.get(key(inputs)) != value:
                raise AssertionError("diskcache returned other bytes")

    # Each pair runs on a fresh cache, so every set makes a new entry.
    for name, rounds_of, store, load in [
        ("", keys, set_plain, get_plain),
        ("_keyed", rounds, set_keyed, get_keyed),
    ]:
        directory = os.path.join(request["dir"], "cache" + name)
        cache = diskcache.Cache(directory)
        try:
            # Set then get, round by round, as the JS stores are timed.
            set_samples, get_samples = [], []
            for index, entries in enumerate(rounds_of):
                start = time.perf_counter()
                store(entries)
                middle = time.perf_counter()
                load(entries)
                end = time.perf_counter()
                if index > 0:
                    set_samples.append((middle - start) / len(entries) * 1e6)
                    get_samples.append((end - middle) / len(entries) * 1e6)
            times["set" + name] = statistics.median(set_samples)
            times["get" + name] = statistics.median(get_samples)
        finally:
            cache.close()
    return times


for line in sys.stdin:
    if line.strip():
        sys.stdout.write(json.dumps(answer(json.loads(line))) + "\n")
        sys.stdout.flush()
