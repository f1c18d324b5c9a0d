"""flytekit's LocalTaskCache, reproduced on Debian's python3-diskcache, for the DiskcacheAdapter
tests: the store code of flytekit/core/local_cache.py (flyteorg/flytekit, main) as it is, with the
key from test/compat/oracle.py (flytekit's _calculate_cache_key over the generated classes).

flytekit's module opens diskcache.Cache("~/.flyte/local-cache"): run this script with HOME set to
the directory under which the test wants ".flyte/local-cache". Run it with /usr/bin/python3.

One JSON request per line on stdin, one JSON answer per line on stdout (oracle.serve):

  {"op": "key", "task", "version", "inputs": b64 LiteralMap, "ignore": [str]} -> {"key"}
  {"op": "set", ... as "key", "value": b64 LiteralMap}  LocalTaskCache.set -> {"key"}
  {"op": "get", ... as "key"}  LocalTaskCache.get -> {"key", "value": b64 LiteralMap | null}
        (the LiteralMap parsed from the stored bytes, serialized again; an unpickled object
        that is not bytes is flytekit's ValueError, reported as "error")
  {"op": "check"} -> {"warnings": [str], "len": int, "volume": int, "rows": int,
                      "size_sum": int, "files": int}
        Cache.check() on a fresh Cache of the directory, len(cache), cache.volume(), and the
        rows, SUM(size) and .val files counted independently
  {"op": "fix"} -> {"warnings": [str]}  Cache.check(fix=True) until it finds nothing to fix (at
        most 3 rounds: removing a file can leave its folders empty), then Cache.check()
  {"op": "raw_set", "key": str, "bytes": b64 | absent, "pickle": any JSON | absent}
        cache.set(key, bytes) or cache.set(key, <the JSON value as a Python object>, pickled)
  {"op": "raw_get", "key"} -> {"value": b64 | null}  cache.get(key) for bytes values
  {"op": "limit", "size_limit": int} -> {}  reopens the cache with this size_limit (kept in the
        Settings table, as diskcache keeps it)
  {"op": "fill", "prefix": str, "count": int, "size": int} -> {"len", "volume"}
        cache.set(prefix + i, os.urandom(size)) for each i: Python's own writes and culling
  {"op": "clear"} -> {"removed": int}  LocalTaskCache.clear()
  {"op": "churn", "seconds": float, "seed": int, "task", "version",
   "inputs": [b64 LiteralMap per key number], "values": [[key number, b64 LiteralMap], ...]}
        -> {"counters": {op: n}, "reads": [[key, writer, seq, md5 hex of the stored bytes]],
            "problems": [str]}
        for `seconds`, a random mix on flytekit's path: LocalTaskCache.get (the stamp of what it
        reads checked, the read reported once per distinct value), set of one of `values`,
        cache.delete, and now and then LocalTaskCache.clear
  {"op": "lock", "seconds": float} -> {"locked": true}  once another connection (a thread of
        this process) holds SQLite's write lock (BEGIN IMMEDIATE, as a diskcache writer takes
        it); it commits after `seconds`, meanwhile this process answers further requests
  {"op": "sql", "statement": str, "params": [...]} -> {"rows": [[...]]}  one statement on
        cache.db in its own sqlite3 connection, committed (for tests that damage rows)
"""
import base64
import hashlib
import os
import random
import struct
import threading
import time
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (compiles the protos; flytekit's key algorithm)
from diskcache import Cache  # noqa: E402

LiteralMap = oracle.L.LiteralMap

# flytekit/core/local_cache.py
CACHE_LOCATION = "~/.flyte/local-cache"


class LocalTaskCache(object):
    """flytekit's class, store for store (the key function is the oracle's)."""

    _cache: Cache
    _initialized: bool = False

    @staticmethod
    def initialize():
        LocalTaskCache._cache = Cache(CACHE_LOCATION)
        LocalTaskCache._initialized = True

    @staticmethod
    def clear():
        if not LocalTaskCache._initialized:
            LocalTaskCache.initialize()
        return LocalTaskCache._cache.clear()

    @staticmethod
    def get(task_name, cache_version, input_literal_map, cache_ignore_input_vars):
        if not LocalTaskCache._initialized:
            LocalTaskCache.initialize()
        serialized_obj = LocalTaskCache._cache.get(
            oracle.cache_key(task_name, cache_version, input_literal_map, cache_ignore_input_vars)
        )
        if serialized_obj is None:
            return None
        if isinstance(serialized_obj, bytes):
            pb_literal_map = LiteralMap()
            pb_literal_map.ParseFromString(serialized_obj)
            return pb_literal_map
        raise ValueError(f"Unexpected object type {type(serialized_obj)}")

    @staticmethod
    def set(task_name, cache_version, input_literal_map, cache_ignore_input_vars, value):
        if not LocalTaskCache._initialized:
            LocalTaskCache.initialize()
        LocalTaskCache._cache.set(
            oracle.cache_key(task_name, cache_version, input_literal_map, cache_ignore_input_vars),
            value.SerializeToString(),
        )


def arguments(request):
    inputs = LiteralMap.FromString(base64.b64decode(request["inputs"]))
    return request["task"], request["version"], inputs, frozenset(request.get("ignore", []))


def cache():
    if not LocalTaskCache._initialized:
        LocalTaskCache.initialize()
    return LocalTaskCache._cache


def check():
    directory = os.path.expanduser(CACHE_LOCATION)
    fresh = Cache(directory)
    try:
        warnings = [str(w.message) for w in fresh.check()]
        length, volume = len(fresh), fresh.volume()
    finally:
        fresh.close()
    con = sqlite3.connect(os.path.join(directory, "cache.db"))
    try:
        rows, size_sum = con.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM Cache").fetchone()
    finally:
        con.close()
    files = sum(
        1 for _, _, names in os.walk(directory) for name in names if name.endswith(".val")
    )
    return {"warnings": warnings, "len": length, "volume": volume, "rows": rows,
            "size_sum": size_sum, "files": files}


def churn(request):
    rng = random.Random(request["seed"])
    task, version = request["task"], request["version"]
    keys = [oracle.cache_key(task, version, LiteralMap.FromString(base64.b64decode(i)))
            for i in request["inputs"]]
    values = [(key, base64.b64decode(value)) for key, value in request["values"]]
    counters, reads, seen, problems = {}, [], set(), []
    end = time.monotonic() + request["seconds"]
    while time.monotonic() < end:
        n = rng.randrange(len(keys))
        choice = rng.random()
        if choice < 0.55:
            op = "get"
            stored = cache().get(keys[n])
            if stored is not None:
                op = "hit"
                try:
                    literal = LiteralMap.FromString(stored).literals["v"]
                    stamp = literal.scalar.binary.value[:12]
                    key, writer, seq = struct.unpack(">III", stamp)
                except Exception as error:
                    problems.append(f"key {n}: unparsable value ({error})")
                    continue
                if key != n:
                    problems.append(f"key {n}: the value of key {key}")
                digest = hashlib.md5(stored).hexdigest()
                if (writer, seq, digest) not in seen:
                    seen.add((writer, seq, digest))
                    reads.append([n, writer, seq, digest])
        elif choice < 0.9:
            op = "set"
            key, value = values[rng.randrange(len(values))]
            cache().set(keys[key], value)
        elif choice < 0.995:
            op = "delete"
            cache().delete(keys[n])
        else:
            op = "clear"
            LocalTaskCache.clear()
        counters[op] = counters.get(op, 0) + 1
    return {"counters": counters, "reads": reads, "problems": problems}


def answer(request):
    op = request["op"]
    if op == "key":
        return {"key": oracle.cache_key(*arguments(request))}
    if op == "set":
        value = LiteralMap.FromString(base64.b64decode(request["value"]))
        LocalTaskCache.set(*arguments(request), value)
        return {"key": oracle.cache_key(*arguments(request))}
    if op == "get":
        found = LocalTaskCache.get(*arguments(request))
        value = None if found is None else base64.b64encode(found.SerializeToString()).decode()
        return {"key": oracle.cache_key(*arguments(request)), "value": value}
    if op == "check":
        return check()
    if op == "fix":
        fresh = Cache(os.path.expanduser(CACHE_LOCATION))
        try:
            for _ in range(3):
                if not fresh.check(fix=True):
                    break
            return {"warnings": [str(w.message) for w in fresh.check()]}
        finally:
            fresh.close()
    if op == "raw_set":
        if "pickle" in request:
            cache().set(request["key"], request["pickle"])
        else:
            cache().set(request["key"], base64.b64decode(request["bytes"]))
        return {}
    if op == "raw_get":
        value = cache().get(request["key"])
        return {"value": None if value is None else base64.b64encode(value).decode()}
    if op == "limit":
        cache().close()
        LocalTaskCache._cache = Cache(CACHE_LOCATION, size_limit=request["size_limit"])
        return {}
    if op == "fill":
        for i in range(request["count"]):
            cache().set(f"{request['prefix']}{i}", os.urandom(request["size"]))
        return {"len": len(cache()), "volume": cache().volume()}
    if op == "lock":
        locked = threading.Event()

        def hold():
            con = sqlite3.connect(
                os.path.join(os.path.expanduser(CACHE_LOCATION), "cache.db"), isolation_level=None
            )
            con.execute("BEGIN IMMEDIATE")
            locked.set()
            time.sleep(request["seconds"])
            con.execute("COMMIT")
            con.close()

        threading.Thread(target=hold, daemon=True).start()
        locked.wait()
        return {"locked": True}
    if op == "churn":
        return churn(request)
    if op == "sql":
        con = sqlite3.connect(os.path.join(os.path.expanduser(CACHE_LOCATION), "cache.db"))
        try:
            rows = con.execute(request["statement"], request.get("params", [])).fetchall()
            con.commit()
        finally:
            con.close()
        return {"rows": [list(row) for row in rows]}
    if op == "clear":
        return {"removed": LocalTaskCache.clear()}
    raise ValueError(f"unknown op {op!r}")


if __name__ == "__main__":
    oracle.serve(answer)
