/**
 * Part 4: stored bytes damaged under a TaskCache, in each adapter's own storage:
 *
 * - FsAdapter files (here): truncated at random lengths, random bits flipped (in the header and
 *   in the value), replaced with random bytes of random length, with the magic kept and the rest
 *   random, extended, or replaced with another entry's file;
 * - Deno KV records (test/faults/deno/kv_damage.ts, in Deno): heads, chunks, metadata and read
 *   times replaced with random values by raw `kv.set`, chunks deleted, added or swapped;
 * - IndexedDB records (test/faults/browser_page.ts, in Chromium, Firefox and WebKit): raw puts
 *   of random bytes and random values into the `entries` store (and the `meta` store).
 *
 * Every get through TaskCache must be a miss or the exact original value (never a wrong value,
 * never a throw), and `entries()` and `stats()` must not throw (nor list malformed entries).
 *
 * @module
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsAdapter } from "../../src/adapters/fs.ts";
import { TaskCache } from "../../src/core/task_cache.ts";
import {
  absorbReport,
  clip,
  DENO,
  denoAvailable,
  FAULTS,
  LineChild,
  type Part,
  type PartContext,
  withTimeout,
} from "./common.ts";
import {
  DAMAGE_SIZES,
  damageEntries,
  type DamageEntry,
  hex,
  judgeEntries,
  judgeRead,
  LARGE_SIZE,
  randomBytes,
  randomLength,
} from "./damage_support.ts";
import { browserDamage } from "./browser_tabs.ts";

export const damage: Part = async (ctx) => {
  const share = ctx.budgetMs / 3;
  await fileDamage(ctx, Date.now() + share);
  await kvDamage(ctx, share);
  await browserDamage(ctx, Math.max(3_000, ctx.remaining() - 3_000));
};

const FILE_KINDS = ["truncate", "flip", "random", "magic-kept", "extend", "foreign", "flip-header"];

async function fileDamage(ctx: PartContext, until: number): Promise<void> {
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-damage-"));
  ctx.undoIfKilled("rm", directory);
  try {
    const cache = new TaskCache(new FsAdapter({ directory }), { maxSize: Infinity });
    const entries = damageEntries([...DAMAGE_SIZES, LARGE_SIZE]);
    // Each entry's file, found as the one name a set adds.
    const files: { entry: DamageEntry; path: string; original: Uint8Array; lastDamage?: string }[] =
      [];
    for (const entry of entries) {
      const before = new Set(readdirSync(directory));
      await cache.set(entry.taskName, entry.version, entry.inputs, [], entry.outputs);
      const name = readdirSync(directory).find((file) => !before.has(file))!;
      const path = join(directory, name);
      files.push({ entry, path, original: new Uint8Array(readFileSync(path)) });
    }
    const restore = () => {
      for (const file of files) writeFileSync(file.path, file.original);
    };
    let rounds = 0;
    while (Date.now() < until) {
      rounds++;
      // Mostly one file at a time; sometimes several at once, then a listing.
      const many = ctx.random.chance(0.1);
      const targets = many
        ? ctx.random.shuffle(files).slice(0, 2 + ctx.random.below(files.length - 1))
        : [ctx.random.pick(
          // The 4 MiB file is slow to rewrite: rarely.
          ctx.random.chance(0.05) ? files : files.filter((file) => file.original.length < 1e6),
        )];
      for (const target of targets) {
        const kind = ctx.random.pick(FILE_KINDS);
        const damaged = damageFile(ctx, kind, target.original, files);
        writeFileSync(target.path, damaged.bytes);
        ctx.count(`fault.file-${kind}`);
        target.lastDamage = damaged.what;
      }
      if (many || ctx.random.chance(0.1)) {
        ctx.count("op.entries");
        const problem = await judgeEntries(cache);
        if (problem !== undefined) {
          const damages = targets.map((target) =>
            `${target.lastDamage} (${target.original.length}-byte file)`
          );
          ctx.violation("file-listing", `${problem}, after: ${damages.join("; ")}`);
        }
      }
      for (const target of targets) {
        ctx.count("op.get");
        const judged = await judgeRead(cache, target.entry);
        if ("problem" in judged) {
          ctx.violation(
            "file-wrong-read",
            `${target.lastDamage} of ${target.entry.bytes.length}-byte entry: ${judged.problem}`,
          );
        } else ctx.count(`result.file-${judged.outcome}`);
      }
      restore();
    }
    ctx.count("fault.file-rounds", rounds);
    // Intact again: every entry reads exactly.
    for (const file of files) {
      const judged = await judgeRead(cache, file.entry);
      if (!("outcome" in judged) || judged.outcome !== "exact") {
        ctx.violation(
          "file-wrong-read",
          `restored entry does not read back: ${JSON.stringify(judged)}`,
        );
      }
    }
    await cache.close();
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

interface DamagedFile {
  bytes: Uint8Array;
  what: string;
}

function damageFile(
  ctx: PartContext,
  kind: string,
  original: Uint8Array,
  files: { original: Uint8Array }[],
): DamagedFile {
  const random = ctx.random;
  switch (kind) {
    case "truncate": {
      const length = random.chance(0.5)
        ? random.below(Math.min(original.length, 200))
        : random.below(original.length);
      return { bytes: original.subarray(0, length), what: `truncated to ${length}` };
    }
    case "flip":
    case "flip-header": {
      const bytes = original.slice();
      const count = 1 + random.below(random.chance(0.7) ? 1 : 8);
      const positions: number[] = [];
      for (let i = 0; i < count; i++) {
        const limit = kind === "flip-header" ? Math.min(bytes.length, 64) : bytes.length;
        const position = random.below(limit);
        bytes[position]! ^= 1 << random.below(8);
        positions.push(position);
      }
      return { bytes, what: `bits flipped at ${positions.join(",")}` };
    }
    case "random": {
      const length = randomLength(random, original.length);
      return { bytes: randomBytes(random, length), what: `replaced with ${length} random bytes` };
    }
    case "magic-kept": {
      const bytes = randomBytes(random, Math.max(4, randomLength(random, original.length)));
      bytes.set(original.subarray(0, 4));
      return { bytes, what: `magic and ${bytes.length - 4} random bytes` };
    }
    case "extend": {
      const extra = randomBytes(random, 1 + random.below(64));
      const bytes = new Uint8Array(original.length + extra.length);
      bytes.set(original);
      bytes.set(extra, original.length);
      return { bytes, what: `extended by ${extra.length} bytes` };
    }
    default: {
      const other = random.pick(files).original;
      return {
        bytes: other,
        what: `replaced with another entry's file (${hex(other.subarray(0, 4))})`,
      };
    }
  }
}

/** The Deno KV damage, in a Deno process (test/faults/deno/kv_damage.ts). */
async function kvDamage(ctx: PartContext, budgetMs: number): Promise<void> {
  if (!ctx.require(denoAvailable(), "Deno KV damage", `${DENO} is missing (npm ci installs it)`)) {
    return;
  }
  const directory = await mkdtemp(join(tmpdir(), "ltc-faults-kvdamage-"));
  ctx.undoIfKilled("rm", directory);
  const child = new LineChild(DENO, [
    "run",
    "-A",
    "--unstable-kv",
    join(FAULTS, "deno", "kv_damage.ts"),
    join(directory, "cache.kv"),
    String(ctx.subSeed()),
    String(Math.max(2_000, budgetMs - 2_000)),
  ], { env: { ...process.env, NO_COLOR: "1" } });
  ctx.count("processes");
  try {
    const line = await withTimeout(
      child.nextLine(budgetMs + 30_000, "the Deno KV damage process"),
      budgetMs + 30_000,
      "the Deno KV damage process",
    );
    const exit = await withTimeout(child.exited, 10_000, "the Deno KV damage process's exit");
    absorbReport(ctx, "kv-process-failed", line, exit, child.stderr);
  } catch (error) {
    ctx.violation("hang", `${String(error)}: ${clip(child.stderr)}`);
  } finally {
    child.kill();
    await child.exited;
    await rm(directory, { recursive: true, force: true });
  }
}
