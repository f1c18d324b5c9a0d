/**
 * The example notebook's code: one cell that counts primes through LocalTaskCache (IndexedDB by
 * default in a browser), and a panel listing the stored entries, with a clear button.
 */
import { create } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema, LiteralSchema, LocalTaskCache } from "../../src/mod.ts";
import { IndexedDbAdapter } from "../../src/adapters/indexeddb.ts";

const TASK = "notebook.primes_below";
const VERSION = "1";

function integer(value: bigint) {
  return create(LiteralSchema, {
    value: {
      case: "scalar",
      value: { value: { case: "primitive", value: { value: { case: "integer", value } } } },
    },
  });
}

function readInteger(outputs: LiteralMap): bigint | undefined {
  const literal = outputs.literals.o0?.value;
  if (literal?.case !== "scalar" || literal.value.value.case !== "primitive") return undefined;
  const primitive = literal.value.value.value.value;
  return primitive.case === "integer" ? primitive.value : undefined;
}

/** The slow cell: a sieve, on purpose. */
function primesBelow(n: number): bigint {
  const composite = new Uint8Array(n);
  let count = 0n;
  for (let i = 2; i < n; i++) {
    if (composite[i]) continue;
    count++;
    for (let j = i * i; j < n; j += i) composite[j] = 1;
  }
  return count;
}

const $ = (id: string) => document.getElementById(id)!;

async function listEntries() {
  // The same database LocalTaskCache uses by default.
  const keys = await new IndexedDbAdapter().keys();
  $("entries").replaceChildren(
    ...(keys.length === 0 ? ["(none)"] : keys).map((key) => {
      const item = document.createElement("li");
      item.textContent = key;
      return item;
    }),
  );
}

async function runCell() {
  const n = Number(($("n") as HTMLInputElement).value);
  const inputs = create(LiteralMapSchema, { literals: { n: integer(BigInt(n)) } });
  const started = performance.now();
  let outcome = "hit";
  let result = readInteger(
    (await LocalTaskCache.get(TASK, VERSION, inputs, [])) ?? create(LiteralMapSchema),
  );
  if (result === undefined) {
    outcome = "miss";
    result = primesBelow(n);
    await LocalTaskCache.set(
      TASK,
      VERSION,
      inputs,
      [],
      create(LiteralMapSchema, { literals: { o0: integer(result) } }),
    );
  }
  const ms = performance.now() - started;
  const line = document.createElement("div");
  line.innerHTML = `<span class="${outcome}">${outcome}</span> in ${
    ms.toFixed(1)
  } ms: ${result} primes below ${n}`;
  line.dataset.outcome = outcome;
  $("log").append(line);
  await listEntries();
}

$("run").addEventListener("click", () => void runCell());
$("clear").addEventListener("click", async () => {
  await LocalTaskCache.clear();
  await listEntries();
});
await listEntries();
document.body.dataset.ready = "true";
