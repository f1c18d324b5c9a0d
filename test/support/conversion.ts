/**
 * Helpers for the tests of values and MessagePack: {@link refuses} (the ConversionError a call
 * throws, checked for its path and reason) and hex strings of bytes both ways.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ConversionError } from "../../src/errors.ts";

/** The bytes as lowercase hex, two digits a byte. */
export const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");

/** The bytes of a hex string. */
export const fromHex = (text: string): Uint8Array =>
  new Uint8Array(text.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? []);

/** The error `run` throws: a ConversionError at `path` whose reason matches `reason`. */
export function refuses(run: () => unknown, path: string, reason: RegExp): ConversionError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof ConversionError, `expected a ConversionError, got ${caught}`);
  assert.ok(caught instanceof TypeError);
  assert.equal(caught.name, "ConversionError");
  assert.equal(caught.path, path);
  assert.match(caught.reason, reason);
  assert.equal(caught.message, `${path}: ${caught.reason}`);
  return caught;
}
