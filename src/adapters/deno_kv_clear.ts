/**
 * How `DenoKvAdapter` removes entries: one entry whole (head, metadata and read time in one
 * commit, which takes its size off the running total of deno_kv_total.ts, then its chunks), and
 * `clear`, which sets a new clear epoch first (so that chunked
 * sets that started before it cannot commit after it), then removes each entry whole unless a
 * set replaced it meanwhile, the records no head goes with, the chunks of every generation of
 * an older epoch, and the leases.
 *
 * @module
 */
import {
  atomic,
  checkOf,
  deleteKeys,
  keyOf,
  type KvEntryMaybe,
  type KvKey,
  type KvLike,
  listChunkKeys,
  listKeys,
} from "./deno_kv_atomic.ts";
import { baseOf, epochOf, idText, type KvLayout } from "./deno_kv_format.ts";
import { type KvTotal, type MetaState, metaState } from "./deno_kv_total.ts";

/**
 * Entries a `clear` removes per commit, each with a check (`@deno/kv` allows 10 checks; one
 * more is the running total's, deno_kv_total.ts).
 */
const CLEAR_BATCH = 9;
/** How often a removal is redone while only the running total's start changed under it. */
const ATTEMPTS = 8;

/**
 * Removes an entry's head, metadata and read time (one commit, which takes the metadata's size
 * off the running total, if its metadata is still `meta`; if not, with `force` whatever is
 * there now, else nothing), then the chunks of every generation but those of writers that
 * started after it (they follow no head: base "0").
 */
export async function deleteEntry(
  kv: KvLike,
  layout: KvLayout,
  total: KvTotal,
  id: KvKey,
  meta: MetaState,
  force: boolean,
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const operation = atomic(kv).check({ key: layout.meta(id), versionstamp: meta.versionstamp });
    total.account(operation, -meta.size);
    operation.delete(layout.head(id)).delete(layout.meta(id)).delete(layout.read(id));
    if ((await total.commit(kv, operation)).ok) break;
    const [again, start] = await kv.getMany<[unknown, unknown]>([layout.meta(id), total.startKey]);
    total.seen(start);
    const changed = again.versionstamp !== meta.versionstamp;
    if ((changed && !force) || attempt === ATTEMPTS) return; // stored again meanwhile: it stays
    meta = metaState(again);
  }
  const prefix = layout.chunks(id);
  await deleteKeys(
    kv,
    await listChunkKeys(kv, { prefix }, (chunk) => baseOf(chunk[prefix.length]) !== "0"),
  );
}

/** Removes every record under `layout`'s prefix but the epoch and the running total. */
export async function clearAll(kv: KvLike, layout: KvLayout, total: KvTotal): Promise<void> {
  // A new clear epoch first: chunked sets that started before it cannot commit after it.
  const bumped = await atomic(kv).set(layout.epoch(), Date.now()).commit();
  // Each entry whole (head, metadata, read time), unless a set replaced it meanwhile (its head
  // is checked), its size taken off the running total. A set commits the head and the metadata
  // together, so a metadata record listed with its head's versionstamp is the head's; one that
  // is not (a set between the two listings) is checked too.
  const heads: KvEntryMaybe<unknown>[] = [];
  for await (const head of kv.list({ prefix: layout.part("h") })) heads.push(head);
  const metas = new Map<string, KvEntryMaybe<unknown>>();
  for await (const meta of kv.list({ prefix: layout.part("m") })) {
    metas.set(idText(meta.key.slice(layout.idAt)), meta);
  }
  total.seen(await kv.get(total.startKey));
  const items: ClearItem[] = heads.map((head) => {
    const key = keyOf(head.key);
    const id = key.slice(layout.idAt);
    const meta = metas.get(idText(id));
    metas.delete(idText(id));
    return {
      check: checkOf(head),
      also: meta === undefined
        ? { key: layout.meta(id), versionstamp: null }
        : meta.versionstamp === head.versionstamp
        ? undefined
        : checkOf(meta),
      deletes: [key, layout.meta(id), layout.read(id)],
      size: meta === undefined ? 0 : metaState(meta).size,
    };
  });
  // Metadata that no head went with (unless one came meanwhile).
  for (const meta of metas.values()) {
    const key = keyOf(meta.key);
    items.push({
      check: checkOf(meta),
      also: { key: layout.head(key.slice(layout.idAt)), versionstamp: null },
      deletes: [key],
      size: metaState(meta).size,
    });
  }
  await deleteEach(kv, total, items);
  // Read times that no head goes with any more.
  const orphans = await listKeys(kv, layout.part("r"));
  await deleteEach(
    kv,
    total,
    orphans.map((key) => ({
      check: { key: layout.head(key.slice(layout.idAt)), versionstamp: null },
      deletes: [key],
      size: 0,
    })),
  );
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

/** One removal of `clear`: its checks, its deletions, the size it takes off the total. */
interface ClearItem {
  check: { key: KvKey; versionstamp: string | null };
  also?: { key: KvKey; versionstamp: string | null };
  deletes: KvKey[];
  size: number;
}

/**
 * Commits each removal with its checks, many to a commit, taking their sizes off the running
 * total; a commit whose check fails (a set meanwhile) is redone one removal at a time, and
 * those whose own checks fail are left alone.
 */
async function deleteEach(kv: KvLike, total: KvTotal, items: ClearItem[]): Promise<void> {
  const commitOf = (batch: ClearItem[]) => {
    const operation = atomic(kv);
    let size = 0;
    for (const { check, also, deletes } of batch) {
      operation.check(check);
      if (also !== undefined) operation.check(also);
      for (const key of deletes) operation.delete(key);
    }
    for (const item of batch) size += item.size;
    total.account(operation, -size);
    return total.commit(kv, operation);
  };
  for (let first = 0; first < items.length;) {
    // (An orphan's second check counts: at most 9 checks and the total's.)
    let end = first, checks = 0;
    while (end < items.length && checks + (items[end]!.also ? 2 : 1) <= CLEAR_BATCH) {
      checks += items[end]!.also ? 2 : 1;
      end++;
    }
    const batch = items.slice(first, end);
    first = end;
    if ((await commitOf(batch)).ok) continue;
    await total.refresh(kv);
    for (const item of batch) {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        if ((await commitOf([item])).ok || !(await total.refresh(kv))) break;
      }
    }
  }
}
