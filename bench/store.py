"""flytekit's own store, timed: Python diskcache (Debian python3-diskcache) holding protobuf bytes
under flytekit's keys, for the benchmark in bench/run.ts. Run it with /usr/bin/python3.

One JSON request per line on stdin, one JSON answer per line on stdout:

  {"open": {"dir": str, "task": str, "version": str,
            "values": [base64 LiteralMap bytes stored for the i-th inputs of a round, ...]}}
  -> {"ok": true}
      opens two new diskcache.Cache directories under "dir", one per path below;
  {"round": {"inputs": [base64 LiteralMap bytes, ...], "keys": [our key of each inputs, ...],
             "offset": n}}
  -> {"keys": [Python's key of each inputs], "set": µs, "get": µs,
      "set_keyed": µs, "get_keyed": µs}
      one turn: sets every entry (the i-th with value "offset" + i of "open"), then gets
      every entry, on each path:
        set / get              diskcache alone: cache.set(key, bytes), cache.get(key), with
                               our keys and bytes made beforehand (only the store is timed);
        set_keyed / get_keyed  flytekit's LocalTaskCache.set / get: the key computed from the
                               inputs (flytekit's algorithm, bench/keys.py), then
                               value.SerializeToString() + cache.set, or cache.get +
                               LiteralMap.ParseFromString.
      Each round should bring new inputs, as a cache sets new entries after misses.
The caches are closed at the end of stdin.
"""
import base64
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keys  # noqa: E402  (compiles the protos; flytekit's key algorithm)
import diskcache  # noqa: E402

L = keys.L


class Store:
    def __init__(self, request):
        self.task, self.version = request["task"], request["version"]
        self.value_bytes = [base64.b64decode(value) for value in request["values"]]
        self.value_messages = [L.LiteralMap.FromString(value) for value in self.value_bytes]
        self.plain = diskcache.Cache(os.path.join(request["dir"], "diskcache"))
        self.keyed = diskcache.Cache(os.path.join(request["dir"], "diskcache_keyed"))

    def key(self, inputs):
        return keys.cache_key(self.task, self.version, inputs)

    def round(self, request):
        inputs = [L.LiteralMap.FromString(base64.b64decode(i)) for i in request["inputs"]]
        our_keys = request["keys"]
        offset = request.get("offset", 0)
        values = self.value_bytes[offset:offset + len(inputs)]
        messages = self.value_messages[offset:offset + len(inputs)]
        cache, key, n = self.plain, self.key, len(inputs)
        reply = {"keys": [key(i) for i in inputs]}

        # diskcache alone, on our keys (the caller checks they are Python's too).
        start = time.perf_counter()
        for k, value in zip(our_keys, values):
            cache.set(k, value)
        middle = time.perf_counter()
        got = [cache.get(k) for k in our_keys]
        end = time.perf_counter()
        if got != values:
            raise AssertionError("diskcache: a get returned another value")
        reply["set"], reply["get"] = (middle - start) / n * 1e6, (end - middle) / n * 1e6

        # flytekit's LocalTaskCache.set / get.
        cache = self.keyed
        start = time.perf_counter()
        for i, message in zip(inputs, messages):
            cache.set(key(i), message.SerializeToString())
        middle = time.perf_counter()
        got = []
        for i in inputs:
            outputs = L.LiteralMap()
            outputs.ParseFromString(cache.get(key(i)))
            got.append(outputs)
        end = time.perf_counter()
        if got != messages:
            raise AssertionError("diskcache (flytekit path): a get returned another value")
        reply["set_keyed"], reply["get_keyed"] = (middle - start) / n * 1e6, (end - middle) / n * 1e6
        return reply

    def close(self):
        self.plain.close()
        self.keyed.close()


store = None
try:
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        if "open" in request:
            store = Store(request["open"])
            reply = {"ok": True}
        else:
            reply = store.round(request["round"])
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
finally:
    if store is not None:
        store.close()
