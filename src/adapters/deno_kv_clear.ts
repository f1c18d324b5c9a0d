/**
 * How `DenoKvAdapter` removes entries: one entry whole (head, metadata and read time in one
 * commit, then its chunks), and `clear`, which sets a new clear epoch first (so that chunked
 * sets that started before it cannot commit after it), then removes each entry whole unless a
 * set replaced it meanwhile, the records no head goes with, the chunks of every generation of
 * an older epoch, and the leases.
 *
 * @module
 */
import {
  atomic,
  deleteKeys,
  keyOf,
  type KvEntryMaybe,
  type KvKey,
  type KvLike,
  listChunkKeys,
  listKeys,
} from "./deno_kv_atomic.ts";
import { baseOf, epochOf, type KvLayout } from "./deno_kv_format.ts";

/** Entries a `clear` removes per commit, each with a check (`@deno/kv` allows 10 checks). */
const CLEAR_BATCH = 10;

/**
 * Removes an entry's head, metadata and read time (one commit), then the chunks of every
 * generation but those of writers that started after it (they follow no head: base "0").
 */
export async function deleteEntry(kv: KvLike, layout: KvLayout, id: KvKey): Promise<void> {
  await atomic(kv).delete(layout.head(id)).delete(layout.meta(id)).delete(layout.read(id))
    .commit();
  const prefix = layout.chunks(id);
  await deleteKeys(
    kv,
    await listChunkKeys(kv, { prefix }, (chunk) => baseOf(chunk[prefix.length]) !== "0"),
  );
}

/** Removes every record under `layout`'s prefix but the epoch, and nothing else. */
export async function clearAll(kv: KvLike, layout: KvLayout): Promise<void> {
  // A new clear epoch first: chunked sets that started before it cannot commit after it.
  const bumped = await atomic(kv).set(layout.epoch(), Date.now()).commit();
  // Each entry whole (head, metadata, read time), unless a set replaced it meanwhile.
  const heads: KvEntryMaybe<unknown>[] = [];
  for await (const head of kv.list({ prefix: layout.part("h") })) heads.push(head);
  await deleteEach(
    kv,
    heads.map((head) => {
      const key = keyOf(head.key);
      const id = key.slice(layout.idAt);
      return {
        checks: [{ key, versionstamp: head.versionstamp }],
        deletes: [key, layout.meta(id), layout.read(id)],
      };
    }),
  );
  // Metadata and read times that no head goes with any more.
  for (const part of ["m", "r"]) {
    const orphans = await listKeys(kv, layout.part(part));
    await deleteEach(
      kv,
      orphans.map((key) => ({
        checks: [{ key: layout.head(key.slice(layout.idAt)), versionstamp: null }],
        deletes: [key],
      })),
    );
  }
  // Chunks of every generation started before the new epoch; leases.
  await deleteKeys(
    kv,
    await listChunkKeys(
      kv,
      { prefix: layout.part("c") },
      (chunk) => epochOf(chunk[chunk.length - 2]) !== bumped.versionstamp,
    ),
  );
  await deleteKeys(kv, await listKeys(kv, layout.part("l")));
}

/**
 * Commits each deletion with its checks, many to a commit; a commit whose check fails (a set
 * meanwhile) is redone one deletion at a time, and those whose checks fail are left alone.
 */
async function deleteEach(
  kv: KvLike,
  items: { checks: { key: KvKey; versionstamp: string | null }[]; deletes: KvKey[] }[],
): Promise<void> {
  const commitOf = (batch: typeof items) => {
    const operation = atomic(kv);
    for (const { checks, deletes } of batch) {
      operation.check(...checks);
      for (const key of deletes) operation.delete(key);
    }
    return operation.commit();
  };
  for (let first = 0; first < items.length; first += CLEAR_BATCH) {
    const batch = items.slice(first, first + CLEAR_BATCH);
    if ((await commitOf(batch)).ok) continue;
    for (const item of batch) await commitOf([item]);
  }
}
