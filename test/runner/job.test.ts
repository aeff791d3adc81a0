import { describe, expect, it } from "vitest";
import { parseJobSpec } from "../../src/runner/job.js";

const good = `apiVersion: bulwark.dev/v1
kind: Job
metadata:
  name: shop
spec:
  network:
    egress: [registry.npmjs.org, "*.example.com:8443"]
  env: { NODE_ENV: production, RETRIES: 3 }
  limits: { timeout: 10m, pids: 256 }
  inputs: [/opt/go]
  seccomp: { deny: [io_uring_setup] }
  steps:
    - name: install
      run: npm ci --ignore-scripts
    - name: pack
      run: [npm, pack]
      secrets: [NPM_TOKEN]
  products: ["*.tgz"]
`;

describe("job specs", () => {
  it("parse steps (command lines and argv), network, env, limits, secrets, products", () => {
    const spec = parseJobSpec(good, "job.yaml");
    expect(spec).toEqual({
      name: "shop",
      network: { mode: "egress", allow: ["registry.npmjs.org", "*.example.com:8443"] },
      env: { NODE_ENV: "production", RETRIES: "3" },
      passEnv: [],
      limits: { timeout: "10m", pids: 256 },
      steps: [
        { name: "install", command: ["/bin/sh", "-ec", "npm ci --ignore-scripts"], env: {}, secrets: [] },
        { name: "pack", command: ["npm", "pack"], env: {}, secrets: ["NPM_TOKEN"] },
      ],
      products: ["*.tgz"],
      inputs: ["/opt/go"],
      seccomp: { deny: ["io_uring_setup"], allow: [] },
    });
  });

  it.each([
    ["kind: Pod", "kind: must be Job"],
    ["  limits: { timeout: 10m, pids: 256 }", "spec.limits.bogus: unknown limit", "  limits: { bogus: 1 }"],
    ["      run: [npm, pack]", "spec.steps.1.run: must be a command line or an argv list", "      run: []"],
    ["    - name: pack", "spec.steps.1.name: duplicates step install", "    - name: install"],
    [
      "      secrets: [NPM_TOKEN]",
      "spec.steps.1.secrets.0: is not a valid name",
      "      secrets: [npm-token]",
    ],
    ['  products: ["*.tgz"]', "spec.products: must list the product globs", "  products: []"],
    [
      "  seccomp: { deny: [io_uring_setup] }",
      "spec.seccomp.kill: unknown key",
      "  seccomp: { kill: [ptrace] }",
    ],
    ["  inputs: [/opt/go]", "spec.inputs.0: is not a valid name", "  inputs: [relative/dir]"],
    [
      '    egress: [registry.npmjs.org, "*.example.com:8443"]',
      "spec.network: must be none or { egress",
      "    egress: []",
    ],
  ])("rejects %s with a located error", (find, message, replace?: string) => {
    const text = replace === undefined ? good.replace("kind: Job", find) : good.replace(find, replace);
    let err: unknown;
    try {
      parseJobSpec(text, "job.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "INPUT_INVALID" });
    expect((err as Error).message).toContain(message);
    expect((err as { location?: { file?: string; line?: number } }).location).toMatchObject({
      file: "job.yaml",
    });
  });
});
