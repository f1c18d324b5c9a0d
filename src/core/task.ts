/**
 * `cachedTask`: a function of named inputs made into a cached task, as flytekit's
 * `@task(cache=True, cache_version=...)` does for Python functions.
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { create } from "@bufbuild/protobuf";
import { type LiteralMap, LiteralMapSchema } from "../../gen/flyteidl/core/literals_pb.ts";
import { describeArgument } from "../internal/describe.ts";
import { calculateCacheKey } from "../keys/key.ts";
import { LocalTaskCache } from "./local_task_cache.ts";
import { runExclusively, shareFlight } from "./single_flight.ts";
import { type TaskCache, taskCacheInternals } from "./task_cache.ts";
import {
  fromLiteralMap,
  toLiteralMap,
  type ValueSchema,
  type ValuesOf,
  type ValueType,
} from "../values/values.ts";
import { readEnvironment } from "#runtime";

/** What a task's outputs are declared as: named outputs, one output, or none. */
// deno-lint-ignore no-explicit-any
export type OutputSpec = ValueSchema | ValueType<any> | undefined;

/**
 * What a task with outputs `O` returns: the values of named outputs, the value of a single
 * output, or nothing.
 */
export type TaskResult<O extends OutputSpec> = [O] extends [undefined] ? void
  : O extends ValueType<infer T> ? T
  : O extends ValueSchema ? ValuesOf<O>
  : never;

/**
 * Options of {@link cachedTask}: the common ones, and a cache version (`version`) or
 * `autoVersion: true`, exactly one of the two (a task without either does not type-check).
 */
export type CachedTaskOptions<I extends ValueSchema, O extends OutputSpec> =
  & CachedTaskCommonOptions<I, O>
  & (
    | {
      /** The cache version. Change it when the task's results change for the same inputs. */
      version: string;
      autoVersion?: false;
    }
    | {
      version?: undefined;
      /**
       * Derive the cache version from the function's source text and the declared types
       * instead: editing the function invalidates its entries.
       */
      autoVersion: true;
    }
  );

/** The options of {@link cachedTask} besides its version. */
export interface CachedTaskCommonOptions<I extends ValueSchema, O extends OutputSpec> {
  /** The task name, the first part of its cache keys (flytekit uses the module and function). */
  name: string;
  /** The inputs: a value type for each name (see `t`). */
  inputs: I;
  /**
   * The outputs: a value type for each name; or one value type, stored as flytekit names a
   * single output, `o0`; or nothing, for a task without outputs (it is cached all the same).
   */
  outputs?: O;
  /** Inputs left out of the key (flytekit's `cache_ignore_input_vars`). */
  ignoreInputs?: readonly (keyof I & string)[];
  /** The cache to use; default: `LocalTaskCache`'s (the runtime's default storage). */
  cache?: TaskCache;
  /**
   * Whether to use the cache at all. Default: on, unless the environment variable
   * `FLYTE_LOCAL_CACHE_ENABLED` is set to `false`, `0`, `no`, `off` (in any case) or the empty
   * string, as in flytekit.
   */
  enabled?: boolean;
  /** Run concurrent calls with the same key once (default `true`); see `runExclusively`. */
  singleFlight?: boolean;
  /**
   * How long a cross-process lease lasts unless renewed (default 10 s): how long a crashed
   * holder can make others wait. While a synchronous task body runs (no timer can renew then),
   * the lease lasts `waitTimeoutMs` (at most an hour) instead.
   */
  leaseMs?: number;
  /**
   * How long a call waits for another process that holds the key's lease (default 10 minutes;
   * `Infinity` to wait as long as it keeps its lease). Past it the call runs the task itself,
   * and the cache's `timeout` event says so: a holder that hangs while alive keeps renewing its
   * lease, and must not block the others forever.
   */
  waitTimeoutMs?: number;
}

/** Options of one call of a cached task. */
export interface CallOptions {
  /**
   * Run the task even on a hit, and replace the stored result. Default: the environment
   * variable `FLYTE_LOCAL_CACHE_OVERWRITE` (what `pyflyte run --overwrite-cache` sets), read as
   * flytekit reads it: on when set and not empty, `false`, `0`, `off` or `no` (in any case).
   */
  overwrite?: boolean;
}

/** A cached task: call it with its inputs. */
export interface CachedTask<I extends ValueSchema, O extends OutputSpec> {
  (inputs: ValuesOf<I>, options?: CallOptions): Promise<TaskResult<O>>;
  /** The task name. */
  readonly taskName: string;
  /** The cache version (given, or derived with `autoVersion`). */
  readonly cacheVersion: string;
  /** The cache key of these inputs (flytekit's), without running or looking anything up. */
  key(inputs: ValuesOf<I>): string;
}

const DEFAULT_LEASE_MS = 10_000;
const DEFAULT_WAIT_TIMEOUT_MS = 600_000;
const OFF = new Set(["false", "0", "no", "off"]);

/**
 * Makes `fn`, a function of named inputs, into a cached task. A call converts the inputs to a
 * `LiteralMap` with their declared types (refusing a value that does not fit before anything
 * runs), computes flytekit's key, and returns the stored outputs on a hit; on a miss it runs
 * `fn`, stores its outputs, and returns them. An exception of `fn` reaches the caller unchanged
 * and is never cached. A storage failure never fails a call: the task runs (or its result is not
 * stored), and the cache's `error` event reports it.
 *
 * Concurrent calls with the same key run `fn` once (see `singleFlight`).
 *
 * @param options The task's name, version (or `autoVersion`), inputs, outputs and cache.
 * @param fn The task's body: a function of the named inputs, sync or async.
 * @returns The cached task: call it with the inputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedTask, t, TaskCache } from "local-task-cache";
 * import { MemoryAdapter } from "local-task-cache/adapters/memory";
 *
 * let runs = 0;
 * const cache = new TaskCache(new MemoryAdapter());
 * const add = cachedTask({
 *   name: "example.add",
 *   version: "1",
 *   inputs: { a: t.int, b: t.int },
 *   outputs: { sum: t.int },
 *   cache,
 * }, ({ a, b }) => {
 *   runs++;
 *   return { sum: a + b };
 * });
 * assert.deepEqual(await add({ a: 1, b: 2 }), { sum: 3 }); // runs
 * assert.deepEqual(await add({ a: 1, b: 2 }), { sum: 3 }); // from the cache
 * assert.equal(runs, 1);
 * assert.deepEqual(await add({ a: 1, b: 2 }, { overwrite: true }), { sum: 3 }); // runs again
 * assert.equal(runs, 2);
 * assert.equal((await cache.stats()).hits, 1);
 * await cache.close();
 * ```
 */
export function cachedTask<I extends ValueSchema, O extends OutputSpec = undefined>(
  options: CachedTaskOptions<I, O>,
  fn: (inputs: ValuesOf<I>) => TaskResult<O> | Promise<TaskResult<O>>,
): CachedTask<I, O> {
  const settings = checkOptions(options, fn);
  const { name, inputs, outputs, ignore, cacheVersion } = settings;
  const { lookup: lookupKey, store, reportWaitTimeout } = taskCacheInternals();

  const key = (values: ValuesOf<I>) =>
    calculateCacheKey(name, cacheVersion, toLiteralMap(inputs, values, "inputs"), ignore);

  const call = async (values: ValuesOf<I>, callOptions: CallOptions = {}) => {
    if (typeof callOptions !== "object" || callOptions === null) {
      throw new TypeError(
        `${name}: call options must be an object, got ${describeArgument(callOptions)}`,
      );
    }
    // Inputs are checked (and converted) before anything runs.
    const inputMap = toLiteralMap(inputs, values, "inputs");
    if (!isEnabled(options.enabled)) return await fn(values);
    const cacheKey = calculateCacheKey(name, cacheVersion, inputMap, ignore);
    callOptions = { ...callOptions, overwrite: callOptions.overwrite ?? isOverwrite() };
    const cache = options.cache ?? (await LocalTaskCache.taskCache());
    const metadata = { taskName: name, cacheVersion };
    const lookup = async (again = false) => {
      const stored = await lookupKey(cache, cacheKey, metadata, { again }).catch(() => undefined);
      const hit = stored === undefined ? undefined : readOutputs(outputs, stored);
      return hit && { value: hit.value, map: stored };
    };
    if (!callOptions.overwrite) {
      const hit = await lookup();
      if (hit !== undefined) return hit.value;
    }
    let ran: { value: TaskResult<O> } | undefined;
    const run = async () => {
      const value = await fn(values);
      const map = writeOutputs(outputs, value);
      await store(cache, cacheKey, metadata, map).catch(() => {});
      ran = { value };
      return { value, map };
    };
    const flight = () =>
      settings.singleFlight
        ? runExclusively<{ value: TaskResult<O>; map?: LiteralMap }>(cache.adapter, cacheKey, {
          leaseMs: settings.leaseMs,
          waitTimeoutMs: settings.waitTimeoutMs,
          onWaitTimeout: (waited) => reportWaitTimeout(cache, cacheKey, metadata, waited),
          recheck: callOptions.overwrite ? () => Promise.resolve(undefined) : () => lookup(true),
          run,
        })
        : run();
    const result = settings.singleFlight && !callOptions.overwrite
      ? await shareFlight(cache, cacheKey, flight)
      : await flight();
    // The call that ran the task gets its own value; calls that shared a run or a hit get a
    // copy each.
    if (ran !== undefined) return ran.value;
    return (result.map && readOutputs(outputs, result.map)?.value) ?? result.value;
  };

  return Object.defineProperties(call, {
    taskName: { value: name, enumerable: true },
    cacheVersion: { value: cacheVersion, enumerable: true },
    key: { value: key },
    name: { value: name },
  }) as unknown as CachedTask<I, O>;
}

/** Stored outputs as the task returns them; `undefined` when they no longer fit the types. */
function readOutputs<O extends OutputSpec>(
  outputs: O,
  stored: LiteralMap,
): { value: TaskResult<O> } | undefined {
  try {
    if (outputs === undefined) return { value: undefined as TaskResult<O> };
    if (isValueType(outputs)) {
      const single = stored.literals.o0;
      if (single === undefined) return undefined;
      return { value: outputs.fromLiteral(single, "outputs.o0") as TaskResult<O> };
    }
    return { value: fromLiteralMap(outputs as ValueSchema, stored, "outputs") as TaskResult<O> };
  } catch {
    // Stored under another declaration of the outputs (with the same version): a miss.
    return undefined;
  }
}

/** The task's result as a LiteralMap, checked against the declared outputs. */
function writeOutputs<O extends OutputSpec>(outputs: O, value: TaskResult<O>): LiteralMap {
  if (outputs === undefined) return create(LiteralMapSchema);
  if (isValueType(outputs)) {
    return create(LiteralMapSchema, { literals: { o0: outputs.toLiteral(value, "outputs.o0") } });
  }
  return toLiteralMap(outputs as ValueSchema, value as ValuesOf<ValueSchema>, "outputs");
}

// deno-lint-ignore no-explicit-any
function isValueType(value: unknown): value is ValueType<any> {
  return typeof (value as { toLiteral?: unknown } | null)?.toLiteral === "function";
}

/** Whether caching is on: the option, else `FLYTE_LOCAL_CACHE_ENABLED` (when set), else yes. */
function isEnabled(option: boolean | undefined): boolean {
  if (option !== undefined) return option;
  const setting = readEnvironment("FLYTE_LOCAL_CACHE_ENABLED");
  return setting === undefined || isOn(setting);
}

/** flytekit's `cache_overwrite`: `FLYTE_LOCAL_CACHE_OVERWRITE` set and on. */
function isOverwrite(): boolean {
  const setting = readEnvironment("FLYTE_LOCAL_CACHE_OVERWRITE");
  return setting !== undefined && isOn(setting);
}

/**
 * A set environment variable read as flytekit's `bool_transformer` reads it: on unless empty or
 * (in any case, nothing trimmed) `false`, `0`, `off` or `no`.
 */
function isOn(setting: string): boolean {
  return setting !== "" && !OFF.has(setting.toLowerCase());
}

/** The options, checked, with the version worked out. */
function checkOptions<I extends ValueSchema, O extends OutputSpec>(
  options: CachedTaskOptions<I, O>,
  fn: unknown,
) {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`cachedTask: options must be an object, got ${describeArgument(options)}`);
  }
  const { name, inputs, outputs, version, autoVersion, ignoreInputs = [], singleFlight = true } =
    options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const waitTimeoutMs = options.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const problem = (what: string) => {
    throw new TypeError(`cachedTask${typeof name === "string" ? ` ${name}` : ""}: ${what}`);
  };
  if (typeof name !== "string" || name === "") problem("options.name must be a non-empty string");
  if (typeof fn !== "function") problem(`expected a function, got ${describeArgument(fn)}`);
  if (typeof inputs !== "object" || inputs === null || isValueType(inputs)) {
    problem("options.inputs must be an object of value types by name, such as { n: t.int }");
  }
  for (const [input, type] of Object.entries(inputs)) {
    if (!isValueType(type)) {
      problem(`options.inputs.${input} is not a value type (use t.int, t.string, ...)`);
    }
  }
  if (outputs !== undefined && (typeof outputs !== "object" || outputs === null)) {
    problem("options.outputs must be a value type, an object of them, or left out");
  }
  if (
    outputs !== undefined && !isValueType(outputs) &&
    !Object.values(outputs).every(isValueType)
  ) {
    problem("options.outputs must be a value type, an object of them, or left out");
  }
  if (!Array.isArray(ignoreInputs) || !ignoreInputs.every((n) => typeof n === "string")) {
    problem("options.ignoreInputs must be an array of input names");
  }
  if ((version === undefined) === (autoVersion !== true)) {
    problem("give options.version (a string) or options.autoVersion: true, one of the two");
  }
  if (version !== undefined && typeof version !== "string") {
    problem(`options.version must be a string, got ${describeArgument(version)}`);
  }
  if (!(typeof leaseMs === "number" && leaseMs > 0)) {
    problem("options.leaseMs must be a number of milliseconds > 0");
  }
  if (!(typeof waitTimeoutMs === "number" && waitTimeoutMs >= 0)) {
    problem("options.waitTimeoutMs must be a number of milliseconds >= 0 (Infinity: no bound)");
  }
  const cacheVersion = version ?? sourceVersion(fn as () => unknown, inputs, outputs);
  return {
    name,
    inputs,
    outputs: outputs as O,
    ignore: ignoreInputs as readonly string[],
    cacheVersion,
    singleFlight: singleFlight !== false,
    leaseMs,
    waitTimeoutMs,
  };
}

/**
 * A version from the function's source text and the declared types: `auto-` and 16 hex digits
 * of their SHA-256. Any edit of the function's text (comments and spacing included) changes it.
 */
function sourceVersion(fn: () => unknown, inputs: ValueSchema, outputs: OutputSpec): string {
  const declared = (schema: OutputSpec) =>
    schema === undefined
      ? "none"
      : isValueType(schema)
      ? schema.name
      : Object.entries(schema).map(([name, type]) => `${name}:${type.name}`).join(",");
  const text = `${Function.prototype.toString.call(fn)}\n${declared(inputs)}\n${declared(outputs)}`;
  return `auto-${bytesToHex(sha256(utf8ToBytes(text))).slice(0, 16)}`;
}
