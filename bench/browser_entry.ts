/**
 * What an app using the cache in a browser ships: the entry's API, the Flyte IDL schemas it
 * builds inputs with, and the IndexedDB adapter.
 */
export * from "../src/mod.ts";
export * from "../src/flyteidl.ts";
export { IndexedDbAdapter } from "../src/adapters/indexeddb.ts";
