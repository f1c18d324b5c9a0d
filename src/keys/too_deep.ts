/**
 * A key's inputs nested deeper than the stack allows, explained: the engine's stack overflow
 * becomes a `RangeError` that names the deepest input and its depth, or says that it holds a
 * cycle. Measured only once the overflow has happened, without recursion.
 *
 * @module
 */
import type { Literal } from "../../gen/flyteidl/core/literals_pb.ts";

/**
 * A stack overflow on the inputs as a `RangeError` naming the deepest of `names` and its
 * depth; any other error as it is. Measured only on that path, without recursion.
 */
export function tooDeep(
  error: unknown,
  literals: Record<string, Literal>,
  names: string[],
): unknown {
  if (!isStackOverflow(error)) return error;
  let deepest = names[0]!;
  let depth = -1;
  for (const name of names) {
    const d = nestingDepth(literals[name]);
    if (d > depth) [deepest, depth] = [name, d];
  }
  const where = `calculateCacheKey: inputLiteralMap.literals[${JSON.stringify(deepest)}]`;
  if (depth === Infinity) {
    return new RangeError(
      `${where} holds a cycle (a message inside itself), which has no key (${String(error)})`,
      { cause: error },
    );
  }
  return new RangeError(
    `${where} is nested ${depth} messages deep, deeper than this runtime's stack lets the key ` +
      `be computed (${String(error)}): flatten the input, or give it a hash (Literal.hash) ` +
      "to key it by",
    { cause: error },
  );
}

/** Whether `error` is the engine's "stack exhausted" error (V8, JavaScriptCore, SpiderMonkey). */
export function isStackOverflow(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (error instanceof RangeError && /call stack/i.test(error.message)) ||
    (error.name === "InternalError" && /recursion/i.test(error.message));
}

/**
 * How many protobuf messages deep `value` nests (a literal in a collection in a literal: 3),
 * counted without recursion; `Infinity` when it holds a cycle.
 */
function nestingDepth(value: unknown): number {
  let deepest = 0;
  const onPath = new Set<object>();
  const seen = new Set<object>();
  // An object is entered, its children visited, then it is left (`leave`).
  const stack: { item: unknown; depth: number; leave?: boolean }[] = [{ item: value, depth: 0 }];
  while (stack.length !== 0) {
    const { item, depth: outer, leave } = stack.pop()!;
    if (typeof item !== "object" || item === null || ArrayBuffer.isView(item)) continue;
    if (leave) {
      onPath.delete(item);
      continue;
    }
    if (onPath.has(item)) return Infinity;
    if (seen.has(item)) continue;
    seen.add(item);
    onPath.add(item);
    const depth = "$typeName" in item ? outer + 1 : outer;
    if (depth > deepest) deepest = depth;
    stack.push({ item, depth, leave: true });
    for (const child of Object.values(item)) stack.push({ item: child, depth });
  }
  return deepest;
}
