/** What an app using the cache in a browser ships: the entry's API and the IndexedDB adapter. */
export * from "../src/mod.ts";
export { IndexedDbAdapter } from "../src/adapters/indexeddb.ts";
