import { test } from "node:test";
import { MemoryAdapter } from "../../../src/adapters/memory.ts";
import { adapterConformance } from "../../conformance/adapter_suite.ts";

adapterConformance(test, {
  open: () => Promise.resolve(new MemoryAdapter()),
  leases: false,
  chunks: true,
});
