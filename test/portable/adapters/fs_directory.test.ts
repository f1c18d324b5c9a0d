/**
 * Where a cache lives by default (`defaultCacheDirectory`, src/adapters/fs_directory.ts, public
 * through `local-task-cache/adapters/fs`). The directory an adapter uses, its checks and
 * temporaries, are tested through `FsAdapter` (fs.test.ts, test/node/fs_trust.test.ts).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { defaultCacheDirectory } from "../../../src/adapters/fs.ts";

test("defaultCacheDirectory: LOCAL_TASK_CACHE_DIR (absolute, ~ expanded), then the per-user cache directory", () => {
  assert.equal(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/x/y", HOME: "/h" }), "/x/y");
  const saved = process.env.LOCAL_TASK_CACHE_DIR;
  process.env.LOCAL_TASK_CACHE_DIR = "/from/the/environment";
  try {
    assert.equal(defaultCacheDirectory(), "/from/the/environment", "process.env by default");
  } finally {
    if (saved === undefined) delete process.env.LOCAL_TASK_CACHE_DIR;
    else process.env.LOCAL_TASK_CACHE_DIR = saved;
  }
  // Relative: made absolute against the working directory, once; ~ is the home directory.
  assert.equal(
    defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "rel/c" }),
    join(process.cwd(), "rel/c"),
  );
  assert.equal(
    defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "./c/../d" }),
    join(process.cwd(), "d"),
  );
  if (process.platform !== "win32") {
    assert.equal(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "~/c", HOME: "/h" }), "/h/c");
    assert.equal(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "~", HOME: "/h" }), "/h");
    assert.equal(defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "/a/~b" }), "/a/~b");
    assert.throws(
      () => defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "~bob/c", HOME: "/h" }),
      { name: "TypeError", message: /only ~ \(your home directory\) is expanded/ },
    );
  }
  if (process.platform === "linux") {
    assert.equal(
      defaultCacheDirectory({ XDG_CACHE_HOME: "/c", HOME: "/h" }),
      "/c/local-task-cache",
    );
    assert.equal(
      defaultCacheDirectory({ XDG_CACHE_HOME: "relative", HOME: "/h" }),
      "/h/.cache/local-task-cache",
      "a relative XDG_CACHE_HOME is ignored, as the XDG specification says",
    );
    assert.equal(defaultCacheDirectory({ HOME: "/h" }), "/h/.cache/local-task-cache");
    assert.equal(
      defaultCacheDirectory({ LOCAL_TASK_CACHE_DIR: "", XDG_CACHE_HOME: "", HOME: "/h" }),
      "/h/.cache/local-task-cache",
      "empty variables count as unset",
    );
  } else if (process.platform === "darwin") {
    assert.equal(defaultCacheDirectory({ HOME: "/h" }), "/h/Library/Caches/local-task-cache");
  } else if (process.platform === "win32") {
    assert.equal(
      defaultCacheDirectory({ LOCALAPPDATA: "C:\\L" }),
      "C:\\L\\local-task-cache\\Cache",
    );
  }
});
