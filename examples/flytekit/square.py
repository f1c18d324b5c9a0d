"""The Python side of the example: a task cached on flytekit's code path.

flytekit runs `@task(cache=True, cache_version="1") def square(n: int) -> int` through
LocalTaskCache: the key from the task name, version and inputs, the outputs' LiteralMap bytes in
diskcache at ~/.flyte/local-cache. flytekit is not installed here, so this script does exactly
what flytekit's local_cache.py does, with the reproduction the tests use
(test/compat/flytekit_cache.py: Debian's python3-diskcache, python3-protobuf, python3-joblib).

    /usr/bin/python3 examples/flytekit/square.py 3
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "test", "compat"))
from flytekit_cache import LocalTaskCache, LiteralMap, oracle  # noqa: E402

L = oracle.L
TASK, VERSION = "examples.flytekit.square", "1"


def integer(n):
    return L.Literal(scalar=L.Scalar(primitive=L.Primitive(integer=n)))


def square(n):
    inputs = LiteralMap(literals={"n": integer(n)})
    outputs = LocalTaskCache.get(TASK, VERSION, inputs, ())
    if outputs is not None:
        return outputs.literals["o0"].scalar.primitive.integer, "hit"
    result = n * n
    LocalTaskCache.set(TASK, VERSION, inputs, (), LiteralMap(literals={"o0": integer(result)}))
    return result, "miss: computed and stored"


if __name__ == "__main__":
    n = int(sys.argv[1])
    result, how = square(n)
    print(f"python: square({n}) = {result} ({how})")
