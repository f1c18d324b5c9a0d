// A second process for local_task_cache.test.ts: `get` reads the parent's entry, `set` writes one.
import { LocalTaskCache } from "../../../src/core/local_task_cache.ts";
import { integer, literalMap, string } from "../../support/literals.ts";

if (process.argv[2] === "get") {
  const hit = await LocalTaskCache.get(
    "t",
    "v1",
    literalMap({ a: integer(1n), run_id: string("r-1") }),
    [],
  );
  const value = hit?.literals.o0?.value;
  const text = value?.case === "scalar" && value.value.value.case === "primitive"
    ? value.value.value.value.value.value
    : "";
  console.log(hit === undefined ? "miss" : `hit ${String(text)}`);
} else {
  await LocalTaskCache.set(
    "t",
    "v1",
    literalMap({ a: integer(2n) }),
    [],
    literalMap({ o0: string("from child") }),
  );
}
await LocalTaskCache.close();
