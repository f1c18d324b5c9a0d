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
  {"op": "raw_set", "key": str, "bytes": b64 | absent, "pickle": any JSON | absent}
        cache.set(key, bytes) or cache.set(key, <the JSON value as a Python object>, pickled)
  {"op": "raw_get", "key"} -> {"value": b64 | null}  cache.get(key) for bytes values
  {"op": "limit", "size_limit": int} -> {}  reopens the cache with this size_limit (kept in the
        Settings table, as diskcache keeps it)
  {"op": "fill", "prefix": str, "count": int, "size": int} -> {"len", "volume"}
        cache.set(prefix + i, os.urandom(size)) for each i: Python's own writes and culling
  {"op": "clear"} -> {"removed": int}  LocalTaskCache.clear()
  {"op": "sql", "statement": str, "params": [...]} -> {"rows": [[...]]}  one statement on
        cache.db in its own sqlite3 connection, committed (for tests that damage rows)
"""
import base64
import os
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
