/**
 * Who holds a cross-process lease, so that a waiter on the same machine can tell a holder that
 * died (SIGKILL, a crash) from one that is alive, without waiting for the lease to expire. A
 * lease may last long: while a synchronous task body runs, no timer can renew it, so it is made
 * to last the waiters' bound (`waitTimeoutMs`); a holder killed then would otherwise block the
 * others for that long.
 *
 * Only a definite answer counts: a holder is gone when it ran on this host (same host name) and
 * its process id no longer exists (`ESRCH`). Anything else (another host, a process id reused by
 * another program, no permission to ask, a runtime without the host name, such as Deno without
 * `--allow-sys`, or Deno without `--allow-run`, which `process.kill` needs) leaves the lease to
 * its expiry, as before. Deno's permissions are queried, never requested: nothing prompts.
 *
 * @module
 */
import { hostname } from "node:os";
import process from "node:process";

/** This process as a lease holder: its process id and host name, when the runtime tells. */
export interface Holder {
  pid: number;
  host: string;
}

let self: Holder | undefined | null = null;

interface DenoPermissions {
  querySync(descriptor: { name: string; kind?: string }): { state: string };
}

/**
 * Whether this runtime may do what `descriptor` names without asking: always outside Deno; in
 * Deno only where the permission is granted already (asking would prompt on a terminal).
 */
function allowed(descriptor: { name: string; kind?: string }): boolean {
  const deno = (globalThis as { Deno?: { permissions?: DenoPermissions } }).Deno;
  if (deno?.permissions === undefined) return true;
  try {
    return deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

/** This process's identity, or `undefined` where the host name cannot be read. */
export function thisHolder(): Holder | undefined {
  if (self === null) {
    try {
      // Deno without --allow-sys=hostname: no identity (and no permission prompt).
      self = allowed({ name: "sys", kind: "hostname" })
        ? { pid: process.pid, host: hostname() }
        : undefined;
    } catch {
      self = undefined;
    }
  }
  return self;
}

/** Whether the holder `pid` on `host` is known to be gone (see the module's doc). */
export function isGoneHolder(pid: unknown, host: unknown): boolean {
  const me = thisHolder();
  if (me === undefined || typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) {
    return false;
  }
  if (host !== me.host || pid === me.pid) return false;
  // Deno asks `process.kill` for --allow-run: without it, no answer (and no prompt).
  if (!allowed({ name: "run" })) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as { code?: unknown } | null)?.code === "ESRCH";
  }
}
