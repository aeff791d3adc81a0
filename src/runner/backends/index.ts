/**
 * The sandbox backend registry: an explicit list (plugin pattern). Each entry creates a fresh
 * backend, so nothing is shared between callers and nothing runs at import time.
 */
import type { SandboxBackend } from "../types.js";
import { createBwrapBackend } from "./bwrap.js";
import { createNoneBackend } from "./none.js";
import { createOciBackend } from "./oci.js";

export interface SandboxBackendEntry {
  readonly name: SandboxBackend["name"];
  /** True when the backend isolates the command (provenance's `isolated`). */
  readonly isolated: boolean;
  create(): SandboxBackend;
}

/** Every backend Bulwark knows, the default (`bwrap` on Linux) first. */
export const SANDBOX_BACKENDS: readonly SandboxBackendEntry[] = [
  { name: "bwrap", isolated: true, create: () => createBwrapBackend() },
  { name: "oci", isolated: true, create: () => createOciBackend() },
  { name: "none", isolated: false, create: () => createNoneBackend() },
];

/** A fresh backend by name, or undefined for an unknown one. */
export function backendNamed(name: string): SandboxBackend | undefined {
  return SANDBOX_BACKENDS.find((b) => b.name === name)?.create();
}

export { BwrapBackend, type BwrapBackendOptions, type BwrapResult, createBwrapBackend } from "./bwrap.js";
export { type LimitEnforcement } from "./common.js";
export { createNoneBackend, NoneBackend, type NoneBackendOptions, type NoneResult } from "./none.js";
