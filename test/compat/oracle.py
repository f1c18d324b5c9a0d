"""flytekit's cache key, computed by the reference stack: Python protobuf, joblib.

flytekit keys its model classes (flytekit.models), not protobuf messages: a LiteralMap is keyed
as _calculate_cache_key(task, version, LiteralMap.from_flyte_idl(inputs), ignore). as_models()
below models what that round trip does to the messages (our own model of it, by the messages'
descriptors and a table of rules, checked against flytekit's own keys in
test/compat/vectors/flytekit_keys.json by test/compat/vectors.test.ts).

With --flytekit DIR (the flytekit/ folder of a flytekit source tree), keys come from flytekit's
own code instead: flytekit.core.local_cache._calculate_cache_key on
flytekit.models.literals.LiteralMap.from_flyte_idl(inputs). This is how
scripts/flytekit_vectors.ts makes the vectors; the tests never need flytekit.

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

As a module (bench/keys.py): L (the generated literals_pb2), joblib, cache_key (the bare
algorithm, timed by the benchmark), model_cache_key and key_bytes (flytekit's key by our model).
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


def flytekit_dir():
    """The DIR of --flytekit DIR, or None."""
    args = sys.argv[1:] if __name__ == "__main__" else []
    if "--flytekit" not in args:
        return None
    i = args.index("--flytekit")
    if i + 1 >= len(args) or not os.path.isfile(os.path.join(args[i + 1], "core", "local_cache.py")):
        sys.exit("--flytekit DIR: DIR must be the flytekit/ folder of a flytekit source tree")
    return os.path.abspath(args[i + 1])


FLYTEKIT = flytekit_dir()


def load_literals():
    out = tempfile.mkdtemp(prefix="ltc-oracle-")
    # flytekit's models import flyteidl's admin and event messages too (lazily): those stay on
    # disk until the process exits.
    keep = FLYTEKIT is not None
    try:
        # protoc finds google/protobuf/*.proto (Timestamp, Duration, Struct) among its own includes.
        files = ["flyteidl/core/literals.proto", "flyteidl/core/types.proto"]
        if keep:
            files = sorted(
                f"flyteidl/{folder}/{name}"
                for folder in ("core", "admin", "event")
                for name in os.listdir(os.path.join(PROTOS, "flyteidl", folder))
                if name.endswith(".proto")
            )
        subprocess.run(
            ["protoc", f"--proto_path={PROTOS}", f"--python_out={out}", *files],
            check=True, stderr=subprocess.DEVNULL if keep else None,
        )
        sys.path.insert(0, out)
        try:
            from flyteidl.core import literals_pb2  # noqa: E402
        finally:
            if not keep:
                sys.path.remove(out)
        return literals_pb2
    finally:
        # Once imported, the generated modules are no longer needed on disk.
        if keep:
            import atexit
            atexit.register(shutil.rmtree, out, ignore_errors=True)
        else:
            shutil.rmtree(out, ignore_errors=True)


L = load_literals()
import joblib  # noqa: E402
from google.protobuf import json_format  # noqa: E402
from google.protobuf.descriptor import FieldDescriptor  # noqa: E402


def load_flytekit():
    """flytekit's key function and LiteralMap model, without its package __init__."""
    import importlib
    import types
    package = types.ModuleType("flytekit")
    package.__path__ = [FLYTEKIT]
    package.lazy_module = importlib.import_module
    sys.modules["flytekit"] = package
    from flytekit.core.local_cache import _calculate_cache_key
    from flytekit.models.literals import LiteralMap as ModelLiteralMap
    return _calculate_cache_key, ModelLiteralMap


# ---------------------------------------------------------------------------------------------
# What flytekit's models make of the messages: the rules of src/keys/flytekit_models.ts, applied by
# descriptor. Fields are named "<message full name>.<field name>".

# Message fields a model always builds, set or not (as their default message).
MATERIALIZED = {
    "flyteidl.core.Blob.metadata",
    "flyteidl.core.BlobMetadata.type",
    "flyteidl.core.Schema.type",
    "flyteidl.core.Union.value",
    "flyteidl.core.Union.type",
    "flyteidl.core.StructuredDataset.metadata",
    "flyteidl.core.StructuredDatasetMetadata.structured_dataset_type",
    "flyteidl.core.StructuredDatasetType.DatasetColumn.literal_type",
    "flyteidl.core.TypeAnnotation.annotations",
}
# Struct fields a model holds as a dict (MessageToDict, then json.dumps and Parse back): True
# when an empty one is left out.
JSON_STRUCTS = {
    "flyteidl.core.LiteralType.metadata": True,
    "flyteidl.core.TypeAnnotation.annotations": False,
}
# Message fields a model keeps as the protobuf message it was given.
KEPT = {"flyteidl.core.Scalar.generic"}
# Messages a model cannot write back.
REFUSED = {"flyteidl.core.Error": "flytekit cannot key a Scalar.error"}
TIMES = {"google.protobuf.Timestamp", "google.protobuf.Duration"}


def python_time(message):
    """A Timestamp or Duration as Python holds it: datetime or timedelta (may raise)."""
    if message.DESCRIPTOR.full_name == "google.protobuf.Timestamp":
        return message.ToDatetime()
    return message.ToTimedelta()


def as_models(message):
    """A copy of `message` as flytekit's models give it back: from_flyte_idl, to_flyte_idl."""
    name = message.DESCRIPTOR.full_name
    if name in REFUSED:
        raise TypeError(REFUSED[name])
    out = type(message)()
    if name in TIMES:
        value = python_time(message)
        if name == "google.protobuf.Timestamp":
            out.FromDatetime(value)
        else:
            out.FromTimedelta(value)
        return out
    for field in message.DESCRIPTOR.fields:
        full = f"{name}.{field.name}"
        source = getattr(message, field.name)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            target = getattr(out, field.name)
            nested = field.message_type.fields_by_name["value"].message_type is not None
            for key, value in source.items():
                if nested:
                    target[key].CopyFrom(as_models(value))
                else:
                    target[key] = value
        elif field.label == FieldDescriptor.LABEL_REPEATED:
            if field.message_type is None:
                getattr(out, field.name).extend(source)
            else:
                for item in source:
                    getattr(out, field.name).add().CopyFrom(as_models(item))
        elif field.message_type is None:
            if field.containing_oneof is None or message.HasField(field.name):
                setattr(out, field.name, source)
        elif full in JSON_STRUCTS:
            if full in MATERIALIZED or message.HasField(field.name):
                value = json_format.MessageToDict(source)
                if value or not JSON_STRUCTS[full]:
                    getattr(out, field.name).SetInParent()
                    json_format.Parse(json.dumps(value), getattr(out, field.name))
        elif full in KEPT:
            if message.HasField(field.name):
                getattr(out, field.name).CopyFrom(source)
        elif full in MATERIALIZED or message.HasField(field.name):
            getattr(out, field.name).CopyFrom(as_models(source))
    return out


def check_times(message):
    """Converts every Timestamp and Duration inside `message` to Python (which may raise)."""
    if message.DESCRIPTOR.full_name in TIMES:
        python_time(message)
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is not None:
                for item in value.values():
                    check_times(item)
        elif field.label == FieldDescriptor.LABEL_REPEATED:
            for item in value:
                check_times(item)
        else:
            check_times(value)

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


def bare_key_bytes(inputs, ignore=frozenset()):
    # The algorithm on protobuf messages, up to the hash: a new LiteralMap of the placed literals.
    placed = {
        name: recursive_hash_placement(value)
        for name, value in inputs.literals.items()
        if name not in ignore
    }
    return L.LiteralMap(literals=placed).SerializeToString(deterministic=True)


def cache_key(task, version, inputs, ignore=frozenset()):
    """The algorithm on protobuf messages, without the models' normalization: the benchmark
    times this one (bench/keys.py); it equals flytekit's key wherever the models change
    nothing (primitives at microsecond precision, binaries, collections and maps of them)."""
    return f"{task}-{version}-{joblib.hash(bare_key_bytes(inputs, ignore))}"


def key_bytes(inputs, ignore=frozenset()):
    # flytekit.core.local_cache._calculate_cache_key, up to the hash: a new LiteralMap, of the
    # placed literals as flytekit's models give them back. Every input becomes a model first,
    # ignored or cut down to its hash too: times they cannot hold fail there.
    check_times(inputs)
    placed = {
        name: as_models(recursive_hash_placement(value))
        for name, value in inputs.literals.items()
        if name not in ignore
    }
    return L.LiteralMap(literals=placed).SerializeToString(deterministic=True)


def model_cache_key(task, version, inputs, ignore=frozenset()):
    """flytekit's key, by our model of its model classes: what the oracle answers."""
    return f"{task}-{version}-{joblib.hash(key_bytes(inputs, ignore))}"


if FLYTEKIT is not None:
    _flytekit_key, _ModelLiteralMap = load_flytekit()

    def model_cache_key(task, version, inputs, ignore=frozenset()):  # noqa: F811
        return _flytekit_key(task, version, _ModelLiteralMap.from_flyte_idl(inputs), tuple(ignore))

    def key_bytes(inputs, ignore=frozenset()):  # noqa: F811
        raise ValueError("debug bytes are not available with --flytekit")


def info():
    from google.protobuf import __version__ as protobuf_version
    from google.protobuf.internal import api_implementation
    return {
        "python": sys.version.split()[0],
        "protobuf": protobuf_version,
        "backend": api_implementation.Type(),
        "joblib": joblib.__version__,
        "keys": "flytekit" if FLYTEKIT is not None else "model",
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
    reply = {"key": model_cache_key(task, version, inputs, ignore)}
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
