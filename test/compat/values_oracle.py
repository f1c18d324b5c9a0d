"""flytekit's conversion of Python values to literals, and its cache keys, on the reference stack.

For test/compat/values_oracle.test.ts: it builds, from Python values, the literals flytekit builds
(FLYTEKIT_KEYS.md, "flytekit's own conversion of common Python values"), MessagePack bytes as
msgpack.packb(v, use_bin_type=True) writes them, and keys with test/compat/oracle.py's cache_key.
Run it with /usr/bin/python3 (Debian's python3-protobuf, python3-joblib, python3-msgpack).

One JSON request per line on stdin, one answer per line on stdout, in order:

  {"op": "pack", "value": V}
      -> {"bytes": base64 of msgpack.packb(value, use_bin_type=True)}   (or {"error": str})
  {"op": "key", "task": str, "version": str, "ignore": [str], "inputs": [[name, N], ...]}
      -> {"key": str, "literals": base64 of the LiteralMap (plain SerializeToString)}

A Python value V is tagged JSON, so that nothing is lost on the way:
  {"int": "123"}              int (decimal string: any size)
  {"float": "1.5"}            float(s): also "nan", "inf", "-inf", "-0"
  {"str": s}  {"bool": b}  {"none": true}  {"bytes": base64}
  {"list": [V, ...]}          list
  {"dict": [[V, V], ...]}     dict, in the order of the pairs
  {"datetime_ms": "123"}      the UTC datetime 123 ms after the epoch
  {"timedelta_us": "123"}     timedelta(microseconds=123)
  {"timedelta_ms": "1.5"}     timedelta(milliseconds=float(s)): Python's own rounding

A literal N is {"kind": K, ...} with an optional "hash" (flytekit's HashMethod):
  K in int, float, str, bool, datetime, timedelta, none, msgpack: {"kind": K, "value": V}
  {"kind": "list", "items": [N, ...]}            list[T]       -> Literal.collection
  {"kind": "map", "entries": [[str, N], ...]}    dict[str, T]  -> Literal.map
"""
import base64
import datetime
import json
import os
import sys

import msgpack
from google.protobuf import duration_pb2, timestamp_pb2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402  (compiles the flyteidl protos: L)

L = oracle.L
# Values nested 512 deep (msgpack's limit is 511) arrive as twice as deep JSON.
sys.setrecursionlimit(20000)
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def value_of(tagged):
    (tag, raw), = tagged.items()
    if tag == "int":
        return int(raw)
    if tag == "float":
        return float(raw)
    if tag == "str":
        return raw
    if tag == "bool":
        return bool(raw)
    if tag == "none":
        return None
    if tag == "bytes":
        return base64.b64decode(raw)
    if tag == "list":
        return [value_of(item) for item in raw]
    if tag == "dict":
        return {value_of(key): value_of(item) for key, item in raw}
    if tag == "datetime_ms":
        return EPOCH + datetime.timedelta(milliseconds=int(raw))
    if tag == "timedelta_us":
        return datetime.timedelta(microseconds=int(raw))
    if tag == "timedelta_ms":
        return datetime.timedelta(milliseconds=float(raw))
    raise ValueError(f"unknown tag {tag!r}")


def check(value, kind, *types):
    # bool is an int in Python: exact types, as flytekit's transformer for each type expects.
    if type(value) not in types:
        raise TypeError(f"{kind}: expected {types}, got {type(value).__name__}")


def primitive(kind, value):
    if kind == "int":
        check(value, kind, int)
        return L.Primitive(integer=value)
    if kind == "float":
        check(value, kind, float)
        return L.Primitive(float_value=value)
    if kind == "str":
        check(value, kind, str)
        return L.Primitive(string_value=value)
    if kind == "bool":
        check(value, kind, bool)
        return L.Primitive(boolean=value)
    if kind == "datetime":
        check(value, kind, datetime.datetime)
        timestamp = timestamp_pb2.Timestamp()
        timestamp.FromDatetime(value)
        return L.Primitive(datetime=timestamp)
    if kind == "timedelta":
        check(value, kind, datetime.timedelta)
        duration = duration_pb2.Duration()
        duration.FromTimedelta(value)
        return L.Primitive(duration=duration)
    return None


def literal_of(node):
    kind = node["kind"]
    if kind == "list":
        literal = L.Literal(collection=L.LiteralCollection(
            literals=[literal_of(item) for item in node["items"]]))
    elif kind == "map":
        literal = L.Literal(map=L.LiteralMap(
            literals={name: literal_of(item) for name, item in node["entries"]}))
    else:
        value = value_of(node["value"])
        if kind == "none":
            check(value, kind, type(None))
            literal = L.Literal(scalar=L.Scalar(none_type=L.Void()))
        elif kind == "msgpack":
            packed = msgpack.packb(value, use_bin_type=True)
            literal = L.Literal(scalar=L.Scalar(binary=L.Binary(value=packed, tag="msgpack")))
        else:
            prim = primitive(kind, value)
            if prim is None:
                raise ValueError(f"unknown kind {kind!r}")
            literal = L.Literal(scalar=L.Scalar(primitive=prim))
    if node.get("hash"):
        literal.hash = node["hash"]
    return literal


def answer(request):
    op = request["op"]
    if op == "pack":
        packed = msgpack.packb(value_of(request["value"]), use_bin_type=True)
        return {"bytes": base64.b64encode(packed).decode()}
    if op == "key":
        inputs = L.LiteralMap(
            literals={name: literal_of(node) for name, node in request["inputs"]})
        key = oracle.model_cache_key(request["task"], request["version"], inputs,
                               frozenset(request.get("ignore", [])))
        return {"key": key, "literals": base64.b64encode(inputs.SerializeToString()).decode()}
    raise ValueError(f"unknown op {op!r}")


if __name__ == "__main__":
    oracle.serve(answer)
