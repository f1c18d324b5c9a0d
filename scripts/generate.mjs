#!/usr/bin/env node
// Regenerates gen/ from the .proto files shipped in @flyteorg/flyteidl, with protoc and
// @bufbuild/protoc-gen-es. Usage: node scripts/generate.mjs [outDir]   (default: gen)
// The test suite calls it with a temporary directory and compares the result with gen/.
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

/** The only two .proto files we compile; their google/protobuf imports come with protoc. */
export const PROTO_FILES = ["flyteidl/core/literals.proto", "flyteidl/core/types.proto"];

export function generate(outDir) {
  const protoRoot = join(dirname(require.resolve("@flyteorg/flyteidl/package.json")), "protos");
  const plugin = join(root, "node_modules", ".bin", "protoc-gen-es");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  try {
    execFileSync("protoc", [
      `--proto_path=${protoRoot}`,
      `--plugin=protoc-gen-es=${plugin}`,
      `--es_out=${outDir}`,
      "--es_opt=target=ts,import_extension=ts",
      ...PROTO_FILES,
    ], { stdio: ["ignore", "inherit", "inherit"] });
  } catch (error) {
    if (error.code === "ENOENT") {
      throw new Error(
        "protoc not found: install the Debian package protobuf-compiler (apt-get install protobuf-compiler)",
      );
    }
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  generate(resolve(process.argv[2] ?? join(root, "gen")));
}
