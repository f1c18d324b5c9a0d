/**
 * The report of `npm run bench` as Markdown (bench/report.md), from the figures of one run.
 *
 * @module
 */
import { browserTable } from "./browser.ts";
import { denoTable } from "./deno_report.ts";
import { DISK_ROUNDS, diskGoalsTable, diskTable } from "./disk.ts";
import { KEY_ROUNDS, keyScaleTable, keysTable, keysVerdicts, LINEAR } from "./keys.ts";
import { MD5_GOAL, md5Table } from "./md5.ts";
import {
  MEMORY_SIDES,
  type MemoryResult,
  memoryTable,
  memoryVariantsTable,
  multiple,
} from "./memory.ts";
import { flytekitSection } from "./flytekit.ts";
import { redisSection } from "./redis.ts";
import { type BenchReport, goalsTable } from "./report.ts";
import {
  FIRST_SET_GOAL_US,
  FLAT,
  flatTable,
  SCALE_BATCH,
  SCALE_ROUNDS,
  SCALE_SIZES,
  type ScaleResult,
  scaleTable,
  setWithRecount,
} from "./scale.ts";
import { formatMicros, sig3 } from "./stats.ts";

const NOT_MEASURED = "(not measured in this run: see the notes)\n";

/** The run: when, how long, on what, under what load (a Markdown list). */
export function runLines(r: BenchReport): string {
  const m = r.machine;
  return `- Run: ${m.date}, the whole \`npm run bench\` took ${sig3(r.seconds)} s (${
    sig3(r.seconds / 60)
  } min)
- CPU: ${m.cpu}, ${m.cores} cores; ${m.memoryGiB} GiB RAM; ${m.os}, Linux ${m.kernel}
- Node ${m.node}; Deno ${m.deno}; Python ${m.python}${
    m.pythonModules ? ` (${m.pythonModules})` : ""
  }; ${[m.chromium, m.firefox, m.webkit].filter(Boolean).join("; ")}
- Load average (1 min) when the run started: ${m.load.start.toFixed(2)}, when it ended: ${
    m.load.end?.toFixed(2) ?? "?"
  } (on ${m.cores} cores: other work on the machine weighs on every figure)
`;
}

function header(r: BenchReport): string {
  return `# local-task-cache benchmark

${runLines(r)}
Every figure is the median of repeated rounds (after a warm-up round), 3 significant digits;
the sides of a comparison run in the same run, taking turns within each round. A ratio is the
other side's time divided by ours: above 1x, we are faster (except where a column says
\`ours / ...\`). On a shared VM figures move by tens of percent from run to run; the ratios,
measured side by side, move less.

![The figures of this run as a chart](report.svg)
`;
}

/** How many goals were met, then the goals table. */
export function goalsSummary(r: BenchReport): string {
  const missed = r.goals.filter((g) => g.met === false).length;
  const unknown = r.goals.filter((g) => g.met === undefined).length;
  return `${r.goals.length - missed - unknown} of ${r.goals.length} goals met in this run${
    missed > 0 ? `; **${missed} NOT met**` : ""
  }${unknown > 0 ? `; ${unknown} not measured` : ""}.

${goalsTable(r.goals)}`;
}

function goalsSection(r: BenchReport): string {
  return `## Goals

${goalsSummary(r)}`;
}

function keysSection(r: BenchReport): string {
  return `## Keys: \`calculateCacheKey\` in Node, Deno and the browsers vs flytekit's Python stack

Time per call, median of ${KEY_ROUNDS} rounds after a warm-up round; the seven sides (each its
own process, or a browser page) take turns within each round. Ours: \`calculateCacheKey\` as
exported in Node (MD5 from \`node:crypto\`); the same in Node with \`#runtime\` pointed at the
browser module, so its MD5 is the portable one of src/keys/md5.ts; in Deno (\`#runtime\` of
deno.json: MD5 from \`node:crypto\`); bundled for the browser by esbuild in a page of each
browser engine of the tests (Chromium and Firefox headless, WebKit's MiniBrowser on Xvfb;
portable MD5). Python (/usr/bin/python3, the generated classes of literals.proto and
types.proto, compiled with protoc): recursive hash placement, new LiteralMap,
\`SerializeToString(deterministic=True)\`, \`joblib.hash\`, on the parsed inputs (parsing not
timed). Every side must give Node's key. Cases (bench/inputs.ts): (a) flytekit's stable-key
example (an untyped dict of 1000 ints as MessagePack, an int, a float, a bool); (b) 1000 integer
inputs; (c) one 1 MiB Binary. The floor is the least work a key of the case needs in a runtime
with nothing of ours in it: \`Object.keys\` of the inputs and a sort of the names, and
\`node:crypto\`'s MD5 of the final bytes (made beforehand), measured in Node and in Deno; "Node /
floor" and "Deno / floor" are how far ours is from it, and "Python / Deno's floor" the most any
key code could reach in Deno. Each side keys the same inputs again and again, as a task called
again does: ours then reuses the sorted order of the last key's input names (checked name by
name; past 10,000 names, for as long as the inputs object lives), where the floor sorts every
time, so for (b) ours can come below the floor's sort; a first key of new names sorts as the
floor does.

${r.keys === undefined ? NOT_MEASURED : keysTable(r.keys)}
The goals by runtime (issue 16; Firefox and WebKit have Chromium's):

${r.keys === undefined ? NOT_MEASURED : keysVerdicts(r.keys)}
Python's time for (c) depends on glibc's malloc: served from fresh \`mmap\`s, its 1 MiB buffers
cost page faults (about 10 ms a key on this VM); once the process has freed a large block, as
keys.py does while loading its inputs, glibc's dynamic mmap threshold rises above 1 MiB and
they come from the heap (about 2 ms). The figure above is the second, Python's favourable case,
as in a long-running flytekit process.
`;
}

function md5Section(r: BenchReport): string {
  return `## MD5: the portable one of src/keys/md5.ts vs @noble/hashes and node:crypto

Throughput (MB/s, 10^6 bytes a second) of one digest of a buffer, the median of 9 rounds, the
sides taking turns: \`md5Hex\` of src/keys/md5.ts (what keys use where there is no native MD5, as
in browsers), \`@noble/hashes\`' MD5 (what they used before) and \`node:crypto\`'s, in Node and
in a Chromium page. Every side must give node:crypto's digest. Goal: in Chromium, at least
${MD5_GOAL}x @noble/hashes' speed.

${r.md5 === undefined ? NOT_MEASURED : md5Table(r.md5)}`;
}

function keyScaleSection(r: BenchReport): string {
  return `## Keys at scale: 1 to 100,000 integer inputs

Time per \`calculateCacheKey\` call in Node (as exported) and in Python, on inputs of \`n\`
integer literals (\`x0\` = 0 ... \`x<n-1>\`), median of 9 rounds, the sides taking turns. Goal:
linear, the cost per literal at 100,000 within ${LINEAR}x of the cost at 1,000. The floor is
what any key code must do that grows with the inputs, in Node with nothing of ours in it: the
input names listed (\`Object.keys\`) and each input's literal read once; how its cost per literal
grows is the engine's (V8 keeps an object of many properties as a dictionary, whose listing sorts
them by insertion order, and whose reads miss the processor's caches).

${r.keyScale === undefined ? NOT_MEASURED : keyScaleTable(r.keyScale)}`;
}

function diskSection(r: BenchReport): string {
  return `## Disk: set and get of one output, key computation included

µs per operation, median of ${DISK_ROUNDS} rounds after a warm-up round; each round sets new
entries (new inputs, so new keys, as a cache does after a miss), then gets them. Each store has
its own new temporary directory; within each round the stores take turns of a tenth of its
entries (set, then get), in an order rotating from turn to turn, so that a drift in the
machine's load (the disk's write-back, memory handed back) falls on every store alike.
The output is a LiteralMap holding one Binary of the size shown; the inputs a small LiteralMap
(an integer, a string, a float) varying per entry.

- ours: \`TaskCache.set\` / \`get\` over \`FsAdapter\` (key, deterministic protobuf bytes, the
  adapter's write; get parses the LiteralMap);
- cacache and unstorage (fs driver, \`setItemRaw\` / \`getItemRaw\`): the same work around the
  store: key by \`calculateCacheKey\`, value by \`toBinary\`, \`fromBinary\` on get;
- diskcache (Python, flytekit's own store, \`diskcache.Cache(dir)\`): "flytekit path" is what
  flytekit's \`LocalTaskCache\` does: the key in Python, then \`SerializeToString()\` +
  \`cache.set\`, or \`cache.get\` + \`ParseFromString\` (flytekit's further conversion to its
  model classes is left out, to its advantage); "store only" times \`cache.set(key, bytes)\` /
  \`cache.get(key)\` alone, on our keys and bytes.

${r.disk === undefined ? NOT_MEASURED : diskTable(r.disk)}
### Disk goals

${r.disk === undefined ? NOT_MEASURED : diskGoalsTable(r.disk)}`;
}

/** Plain words on the size limit's cost at the largest size of each adapter. */
function recountWords(result: ScaleResult): string {
  return Object.entries(result).map(([name, points]) => {
    const last = points.at(-1)!;
    const entries = last.entries.toLocaleString("en-US");
    const fillSeconds = (last.fillSet * last.entries) / 1e6;
    return `- ${name} at ${entries} entries: the first set of a new \`TaskCache\` took ${
      formatMicros(last.firstSet)
    }, against ${formatMicros(last.set)} for a set after it; folded into a minute of sets, a ` +
      `set costs ${formatMicros(setWithRecount(last))}. The slowest round's sets took ${
        formatMicros(last.setSlowestRound)
      } each (the median round: ${formatMicros(last.set)}). Its fill took ${
        sig3(fillSeconds)
      } s in all; its slowest single set took ${formatMicros(last.fillSlowest)}.`;
  }).join("\n") + "\n";
}

function scaleSection(r: BenchReport): string {
  const largest = (SCALE_SIZES.at(-1)!).toLocaleString("en-US");
  const short = r.scale === undefined
    ? []
    : Object.entries(r.scale).filter(([, points]) => points.length < SCALE_SIZES.length);
  return `## The cache at scale: 100 to ${largest} entries

Time per \`set\` of a new entry and per \`get\` of a stored one through \`TaskCache\` (key
included) in caches of 100, 1,000, 10,000 and ${largest} entries of 1 KiB outputs: over
\`FsAdapter\` (a directory per size) and \`MemoryAdapter\` (the baseline) in Node, over
\`DenoKvAdapter\` (a KV file per size) in Deno${
    short.length === 0
      ? ""
      : ` (${
        short.map(([name, points]) =>
          `${name} up to ${points.at(-1)!.entries.toLocaleString("en-US")} entries`
        ).join(", ")
      }: see \`--deno-scale-max\`)`
  }. Each adapter runs in a process of its own (bench/scale.ts, scale_core.ts). Every
cache is filled first, by sequential sets through one \`TaskCache\` (their mean time and the
slowest are shown), and the files are flushed (\`sync\`). Then ${SCALE_ROUNDS} rounds (after a
warm-up round) in which every size and every adapter take turns, in rotating orders: ${SCALE_BATCH}
sets of new entries, then gets of ${SCALE_BATCH} distinct entries picked at random (100 at 100
entries), then the new entries are deleted (untimed), so the size stays put; medians of the
rounds. The gets of a cache start at least 1.05 s after its previous ones, so every get is the
first read of its entry within the read-time resolution (1 s) and writes its read time, at
every size, as most hits of a task cache do. Goal: flat, the time of the slowest size within
${FLAT}x of the fastest (across all sizes: the smallest size's time alone is the noisiest),
with the size limit's recount folded into the set time (below).

${r.scale === undefined ? NOT_MEASURED : scaleTable(r.scale)}
${r.scale === undefined ? "" : flatTable(r.scale)}
The size limit: \`TaskCache\` checks the stored bytes against its \`maxSize\` (default 1 GiB;
${largest} x 1 KiB is about 100 MiB, under it, so nothing is evicted) on every store. Where the
adapter keeps a running total of the values' sizes (\`storedBytes\`: \`FsAdapter\`'s journal
shared by every process on the directory, \`MemoryAdapter\`'s own), a store reads it and lists
nothing; other adapters are counted by listing every entry, on a \`TaskCache\`'s first store and
again on a store once 60 s have passed. The last column of the first table, the first set of a
new \`TaskCache\` over the entries, shows which: a listing grows with the entries. "Set, recount
folded in" spreads that extra cost (first set less a set) over a minute of back-to-back sets,
as a user of a listing adapter pays it. Goal: at ${largest} entries, the first set of a new
\`TaskCache\` and the steady state (the recount a store pays once a minute, the first set less a
set) each under ${FIRST_SET_GOAL_US / 1000} ms. At the largest size:

${r.scale === undefined ? NOT_MEASURED : recountWords(r.scale)}`;
}

/** The memory figures in plain words. */
function memoryWords(m: MemoryResult): string {
  const { ours, raw } = m.figures;
  const phrase = (phase: "set" | "get") =>
    `${sig3(ours[phase].deltaMiB)} MiB above the baseline (${
      multiple(ours[phase].deltaMiB / m.outputMiB)
    } the output), the floor ${sig3(raw[phase].deltaMiB)} MiB (${
      multiple(raw[phase].deltaMiB / m.outputMiB)
    })`;
  return `In plain words: storing a ${m.outputMiB} MiB output through \`TaskCache\` over ` +
    `\`FsAdapter\` peaked at ${phrase("set")}; reading it back peaked at ${phrase("get")}.\n`;
}

function memorySection(r: BenchReport): string {
  const m = r.memory;
  return `## Peak memory of a 100 MiB output

\`TaskCache.set\` and \`get\` over \`FsAdapter\` of a LiteralMap holding one ${
    m?.outputMiB ?? 100
  } MiB Binary, side by side with ${MEMORY_SIDES.raw} of the same ${m?.outputMiB ?? 100} MiB.
Each phase of each side runs in a child process of its own (bench/memory.ts), ${
    m?.repeats ?? 3
  } times, taking turns, each after a \`sync\` (so that what the side before it wrote is on disk and
its write-back does not slow this one); the figure is the median of the peak resident set size
during the one operation minus the resident set size just before it (${
    m?.method ?? "VmHWM after resetting it minus VmRSS before"
  }), after a warm-up on a small value and a garbage collection. Before a \`set\` the output is in
memory already (it is not counted); after a \`get\` the output read is (the floor of a read is
the output's size, 1x).

${m === undefined ? NOT_MEASURED : memoryTable(m) + "\n" + memoryWords(m)}
### In Node and Deno, over files and Deno KV

The same ${m?.outputMiB ?? 100} MiB output through \`TaskCache\` over \`FsAdapter\` and
\`DenoKvAdapter\` (Deno's own KV in Deno, \`@deno/kv\` in Node), in Node and in Deno, beside raw
\`writeFileSync\` / \`readFileSync\` of the same bytes in the same runtime (the floor), and for
Deno KV raw \`Deno.Kv\` records of the same bytes (63 KiB each, 12 to a commit, as the adapter
writes them; listed back in batches of 32): the store's own floor. Goals
(issue 16): storing within 2x of the raw write's time, at a peak of at most 1.5x the output (the
output itself included: what storing adds stays under half of it); reading at 1x.

${m?.variants === undefined ? NOT_MEASURED : memoryVariantsTable(m)}`;
}

function denoSection(r: BenchReport): string {
  return `## Deno: DenoKvAdapter vs raw Deno.Kv and FsAdapter

Time per operation in Deno (on KV files and a directory in the temporary directory), the median
of the rounds (40 at 1 KiB, 20 at 1 MiB, after 3 warm-up rounds) of short turns: in each round,
every side sets a few new entries (10 of 1 KiB, 3 of 1 MiB) and gets them back. Ours includes
the key and the LiteralMap's bytes, raw \`Deno.Kv\` stores the same bytes under the same key
string (only up to 64 KiB). Goal: at 1 KiB, within 1.2x of raw Deno KV.

${r.deno === undefined ? NOT_MEASURED : denoTable(r.deno)}`;
}

function browserSection(r: BenchReport): string {
  return `## Browser: IndexedDbAdapter vs idb-keyval and localforage, in Chromium, Firefox and WebKit

Time per operation in one page of each engine (Debian's Chromium and Firefox ESR, headless, and
WebKitGTK's MiniBrowser), median of 7 rounds with the sides taking turns; ours is \`TaskCache\` over \`IndexedDbAdapter\` (key, LiteralMap bytes, parse on
get), idb-keyval and localforage store the same bytes under the same keys (key and bytes made
the same way, parsed on get). Goal: within 1.2x of idb-keyval.

${r.browser === undefined ? NOT_MEASURED : browserTable(r.browser)}`;
}

function notesSection(r: BenchReport): string {
  if (r.notes.length + r.mismatches.length === 0) return "";
  return `## Notes

${
    [...r.mismatches.map((m) => `**KEY MISMATCH**: ${m}`), ...r.notes].map((n) => `- ${n}`).join(
      "\n",
    )
  }
`;
}

export function markdown(r: BenchReport): string {
  return [
    header(r),
    goalsSection(r),
    keysSection(r),
    md5Section(r),
    keyScaleSection(r),
    diskSection(r),
    flytekitSection(r.flytekit, NOT_MEASURED),
    scaleSection(r),
    memorySection(r),
    denoSection(r),
    browserSection(r),
    redisSection(r.redis, NOT_MEASURED),
    notesSection(r),
  ].filter((s) => s !== "").join("\n");
}
