import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import { detectParser, parseIacFile } from "../../src/iac/index.js";
import {
  type GithubAction,
  type GitlabPipeline,
  githubActionParser,
  githubWorkflowParser,
  gitlabCiParser,
  parseActionRef,
  type Workflow,
} from "../../src/iac/workflow.js";
import { type InputDocument, loadPolicySet, PolicyEngine } from "../../src/policy/index.js";

const FIXTURES = new URL("../../src/library/workflows/tests/fixtures/", import.meta.url).pathname;
const SHA = "11bd71901bbe5b1630ceea73d27597364c9af683";
const DIGEST = `sha256:${"a".repeat(64)}`;

function one(docs: InputDocument[]): InputDocument {
  expect(docs).toHaveLength(1);
  return docs[0]!;
}
const workflow = (text: string) => one(githubWorkflowParser.parse(text, ".github/workflows/ci.yml"));
const wf = (text: string) => workflow(text).value as Workflow;
const action = (text: string) => one(githubActionParser.parse(text, "action.yml")).value as GithubAction;
const gitlab = (text: string) => one(gitlabCiParser.parse(text, ".gitlab-ci.yml")).value as GitlabPipeline;

/** Where a `fieldPath` (`jobs.build.steps[0].uses`, `jobs['a:b']`) of the document points. */
function lineOf(doc: InputDocument, path: string): [number | undefined, number | undefined] {
  const parts: (string | number)[] = [];
  for (const m of path.matchAll(/([A-Za-z_$][\w$-]*)|\[(\d+)\]|\['([^']*)'\]/g))
    parts.push(m[2] !== undefined ? Number(m[2]) : (m[1] ?? m[3])!);
  const loc = doc.doc!.locate(parts);
  return [loc.line, loc.column];
}

function errorOf(fn: () => unknown): BulwarkError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected a BulwarkError");
}

const BASE = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: make
`;

describe("detection", () => {
  it.each([
    [".github/workflows/ci.yml", "", "github-workflow"],
    ["repo/.github/workflows/release.yaml", "", "github-workflow"],
    ["ci/pipeline.yml", "name: x\non:\n  push:\njobs:\n  a: {}\n", "github-workflow"],
    ["ci/pipeline.yml", '"on": push\njobs: {}\n', "github-workflow"],
    ["action.yml", "name: a\nruns:\n  using: composite\n", "github-action"],
    ["tools/setup/action.yaml", "runs:\n  using: node20\n", "github-action"],
    [".gitlab-ci.yml", "", "gitlab-ci"],
    ["sub/.gitlab-ci.yaml", "", "gitlab-ci"],
    ["templates/build.gitlab-ci.yml", "", "gitlab-ci"],
    [".gitlab/ci/deploy.yml", "", "gitlab-ci"],
  ])("%s is read by %s", (path, head, name) => {
    expect(detectParser(path, head)?.name).toBe(name);
  });

  it.each([
    ["k8s/deploy.yaml", "apiVersion: v1\nkind: Pod\n"],
    ["ci/pipeline.yml", "jobs:\n  a: {}\n"],
    ["notes.txt", "on: push\njobs: {}\n"],
    ["docs/action.yml.md", "runs:\n"],
  ])("%s is left to the YAML reader", (path, head) => {
    expect(detectParser(path, head)).toBeUndefined();
  });

  it("parseIacFile uses the detected parser, or the one a kind names", () => {
    expect(parseIacFile(BASE, ".github/workflows/ci.yml")![0]!.kind).toBe("workflow");
    expect(parseIacFile(BASE, "templates/ci.tmpl")).toBeUndefined();
    expect(parseIacFile(BASE, "templates/ci.tmpl", "workflow")![0]!.kind).toBe("workflow");
    expect(parseIacFile("job:\n  script: [make]\n", "x.yml", "gitlab-ci")![0]!.kind).toBe("gitlab-ci");
    expect(parseIacFile("runs:\n  using: node20\n", "x.yml", "github-action")![0]!.kind).toBe(
      "github-action",
    );
  });

  it("every parser has a stable name, a version and its kind", () => {
    expect(
      [githubWorkflowParser, githubActionParser, gitlabCiParser].map((p) => [p.name, p.kind, p.version]),
    ).toEqual([
      ["github-workflow", "workflow", 1],
      ["github-action", "github-action", 1],
      ["gitlab-ci", "gitlab-ci", 1],
    ]);
  });
});

describe("GitHub workflow: on", () => {
  it("a single event", () => {
    const w = wf(BASE);
    expect(w.on).toEqual(["push"]);
    expect(w.triggers).toEqual({ push: {} });
  });

  it("a list of events", () => {
    expect(wf(BASE.replace("on: push", "on: [push, pull_request]")).on).toEqual(["push", "pull_request"]);
  });

  it("a map of events with and without configuration", () => {
    const w = wf(
      BASE.replace(
        "on: push",
        "on:\n  push:\n    branches: [main]\n  pull_request_target:\n  schedule:\n    - cron: '0 3 * * *'",
      ),
    );
    expect(w.on).toEqual(["push", "pull_request_target", "schedule"]);
    expect(w.triggers).toEqual({
      push: { branches: ["main"] },
      pull_request_target: {},
      schedule: [{ cron: "0 3 * * *" }],
    });
  });

  it("each event name points at its line", () => {
    const doc = workflow(BASE.replace("on: push", "on:\n  push:\n  workflow_run:\n    workflows: [ci]"));
    expect(lineOf(doc, "on[1]")).toEqual([3, 3]);
    expect(lineOf(doc, "triggers.workflow_run.workflows")).toEqual([4, 5]);
    const list = workflow(BASE.replace("on: push", "on: [push, issues]"));
    expect(lineOf(list, "on[1]")[0]).toBe(1);
  });

  it.each([
    ["on: 3", 1, "on: must be"],
    ["on: [push, 3]", 1, "each event in on: must be a name"],
  ])("%s is INPUT_INVALID", (on, line, message) => {
    const e = errorOf(() => wf(BASE.replace("on: push", on)));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toContain(message);
    expect(e.location).toMatchObject({ file: ".github/workflows/ci.yml", line });
  });

  it("a workflow without on: or jobs: is INPUT_INVALID", () => {
    expect(errorOf(() => wf("jobs: {}\n")).message).toContain("needs on:");
    expect(errorOf(() => wf("on: push\njobs: [a]\n")).location).toMatchObject({ line: 2, column: 1 });
    expect(errorOf(() => wf("on: push\njobs:\n  a: 1\n")).location).toMatchObject({ line: 3, column: 3 });
  });
});

describe("GitHub workflow: permissions", () => {
  const withTop = (p: string) => BASE.replace("on: push", `on: push\npermissions: ${p}`);
  it.each([
    ["read-all", "read-all"],
    ["write-all", "write-all"],
    ["{}", {}],
    [
      "{ contents: read, id-token: write, issues: none }",
      { contents: "read", "id-token": "write", issues: "none" },
    ],
  ])("top-level %s", (p, want) => {
    expect(wf(withTop(p)).permissions).toEqual(want);
  });

  it("absent is null, at the top and on jobs", () => {
    const w = wf(BASE);
    expect(w.permissions).toBeNull();
    expect(w.jobs["build"]!.permissions).toBeNull();
  });

  it("job-level permissions", () => {
    const w = wf(BASE.replace("    runs-on:", "    permissions:\n      contents: write\n    runs-on:"));
    expect(w.jobs["build"]!.permissions).toEqual({ contents: "write" });
    expect(w.allJobs[0]!.permissions).toEqual({ contents: "write" });
  });

  it.each([
    ["read", 2, "permissions must be read-all, write-all or a map"],
    ["{ contents: admin }", 2, "permission contents must be read, write or none"],
  ])("%s is INPUT_INVALID with its location", (p, line, message) => {
    const e = errorOf(() => wf(withTop(p)));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toContain(message);
    expect(e.location?.line).toBe(line);
  });
});

describe("GitHub workflow: jobs", () => {
  it("runs-on as a label, a list, or a group", () => {
    const runsOn = (v: string) =>
      wf(BASE.replace("runs-on: ubuntu-latest", `runs-on: ${v}`)).jobs["build"]!["runs-on"];
    expect(runsOn("ubuntu-latest")).toEqual({ labels: ["ubuntu-latest"], group: null });
    expect(runsOn("[self-hosted, linux]")).toEqual({ labels: ["self-hosted", "linux"], group: null });
    expect(runsOn("{ group: big, labels: ubuntu-24.04-16core }")).toEqual({
      labels: ["ubuntu-24.04-16core"],
      group: "big",
    });
    expect(runsOn("{ group: big }")).toEqual({ labels: [], group: "big" });
    expect(runsOn("${{ matrix.os }}")).toEqual({ labels: ["${{ matrix.os }}"], group: null });
  });

  it("container and services images", () => {
    const job = wf(
      BASE.replace(
        "    steps:",
        `    container: node:22\n    services:\n      db:\n        image: postgres:16@${DIGEST}\n        env: { POSTGRES_PASSWORD: x }\n    steps:`,
      ),
    ).jobs["build"]!;
    expect(job.container).toEqual({ image: "node:22" });
    expect(job.services).toEqual({ db: { image: `postgres:16@${DIGEST}`, env: { POSTGRES_PASSWORD: "x" } } });
    const map = wf(
      BASE.replace("    steps:", "    container:\n      image: node:22\n      options: --cpus 1\n    steps:"),
    );
    expect(map.jobs["build"]!.container).toEqual({ image: "node:22", options: "--cpus 1" });
  });

  it("reusable workflow calls with secrets", () => {
    const w = wf(`on: push
jobs:
  local:
    uses: ./.github/workflows/build.yml
    secrets: inherit
  remote:
    uses: octo-org/ci/.github/workflows/scan.yml@${SHA}
    with: { strict: true, level: 3 }
    secrets:
      token: \${{ secrets.TOKEN }}
  plain:
    runs-on: ubuntu-latest
    steps: [{ run: make }]
`);
    expect(w.jobs["local"]!.uses).toMatchObject({
      kind: "local",
      local: true,
      path: ".github/workflows/build.yml",
    });
    expect(w.jobs["local"]!.secrets).toBe("inherit");
    expect(w.jobs["remote"]!.uses).toMatchObject({
      kind: "repository",
      owner: "octo-org",
      repo: "ci",
      path: ".github/workflows/scan.yml",
      ref: SHA,
      pinned: true,
    });
    expect(w.jobs["remote"]!.with).toEqual({ strict: "true", level: "3" });
    expect(w.jobs["remote"]!.secrets).toEqual({ token: "${{ secrets.TOKEN }}" });
    expect(w.jobs["remote"]!.expressions).toEqual([
      { field: "secrets.token", expression: "secrets.TOKEN", path: "jobs.remote.secrets.token" },
    ]);
    expect(w.jobs["plain"]!.uses).toBeNull();
    expect(w.jobs["plain"]!.secrets).toBeNull();
    expect(w.allUses.map((u) => [u.path, u.where, u.job])).toEqual([
      ["jobs.local.uses", "job local", "local"],
      ["jobs.remote.uses", "job remote", "remote"],
    ]);
  });

  it("keeps other job fields as written, integers as BigInt", () => {
    const job = wf(
      BASE.replace("    steps:", "    timeout-minutes: 10\n    needs: [a, b]\n    if: always()\n    steps:"),
    ).jobs["build"]!;
    expect(job["timeout-minutes"]).toBe(10n);
    expect(job.needs).toEqual(["a", "b"]);
    expect(job.if).toBe("always()");
    expect(job).toMatchObject({ id: "build", path: "jobs.build", where: "job build", name: null });
  });

  it("a job that is not a map, or steps that are not a list, are INPUT_INVALID", () => {
    expect(errorOf(() => wf("on: push\njobs:\n  a:\n    steps: run\n")).location).toMatchObject({ line: 4 });
    expect(errorOf(() => wf("on: push\njobs:\n  a:\n    steps: [make]\n")).message).toContain(
      "a step must be a map",
    );
  });
});

describe("GitHub workflow: steps", () => {
  const STEPS = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Checkout tools
        uses: actions/checkout@${SHA}
        with:
          repository: octo-org/tools
          ref: \${{ github.event.pull_request.head.sha }}
          persist-credentials: false
          fetch-depth: 0
      - id: test
        if: \${{ success() }}
        shell: bash
        env: { CI: true, TITLE: "\${{ github.event.issue.title }}" }
        run: |
          echo "$TITLE"
          make test \${{ matrix.flags }}
      - uses: github/codeql-action/init@v3
      - uses: docker://alpine:3.20
      - uses: docker://alpine@${DIGEST}
      - uses: ./.github/actions/setup
`;

  it("parses every kind of uses", () => {
    const steps = wf(STEPS).jobs["build"]!.steps;
    expect(steps.map((s) => s.uses && [s.uses.kind, s.uses.name, s.uses.ref, s.uses.pinned])).toEqual([
      ["repository", "actions/checkout", "v4", false],
      ["repository", "actions/checkout", SHA, true],
      null,
      ["repository", "github/codeql-action/init", "v3", false],
      ["docker", "alpine:3.20", "", false],
      ["docker", "alpine", "", true],
      ["local", "./.github/actions/setup", "", false],
    ]);
    expect(steps[3]!.uses).toMatchObject({ owner: "github", repo: "codeql-action", path: "init" });
    expect(steps[5]!.uses).toMatchObject({ image: `alpine@${DIGEST}`, digest: DIGEST, docker: true });
  });

  it("checkout: persist-credentials, ref and repository", () => {
    const steps = wf(STEPS).allSteps;
    expect(steps[0]!.checkout).toEqual({ persistCredentials: true, ref: null, repository: null });
    expect(steps[1]!.checkout).toEqual({
      persistCredentials: false,
      ref: "${{ github.event.pull_request.head.sha }}",
      repository: "octo-org/tools",
    });
    expect(steps[2]!.checkout).toBeNull();
    expect(steps[1]!.with["fetch-depth"]).toBe("0");
  });

  it("run, shell, if, env and the expressions of each field", () => {
    const s = wf(STEPS).allSteps[2]!;
    expect(s).toMatchObject({
      index: 2n,
      job: "build",
      path: "jobs.build.steps[2]",
      where: 'job build, step 3 (run: echo "$TITLE")',
      id: "test",
      name: null,
      if: "${{ success() }}",
      shell: "bash",
      uses: null,
      env: { CI: "true", TITLE: "${{ github.event.issue.title }}" },
      with: {},
    });
    expect(s.run).toBe('echo "$TITLE"\nmake test ${{ matrix.flags }}\n');
    expect(s.expressions.map((e) => [e.field, e.expression, e.path])).toEqual([
      ["if", "success()", "jobs.build.steps[2].if"],
      ["env.TITLE", "github.event.issue.title", "jobs.build.steps[2].env.TITLE"],
      ["run", "matrix.flags", "jobs.build.steps[2].run"],
    ]);
  });

  it("names steps for messages", () => {
    expect(wf(STEPS).allSteps.map((s) => s.where)).toEqual([
      "job build, step 1 (actions/checkout@v4)",
      'job build, step 2 "Checkout tools"',
      'job build, step 3 (run: echo "$TITLE")',
      "job build, step 4 (github/codeql-action/init@v3)",
      "job build, step 5 (docker://alpine:3.20)",
      `job build, step 6 (docker://alpine@${DIGEST})`,
      "job build, step 7 (./.github/actions/setup)",
    ]);
  });

  it("allSteps and allUses flatten every job in order", () => {
    const w = wf(`${STEPS}  second:
    runs-on: ubuntu-latest
    steps:
      - uses: octo/act@v1
`);
    expect(w.allSteps.map((s) => s.path)).toContain("jobs.second.steps[0]");
    expect(w.allUses.map((u) => u.path)).toEqual([
      "jobs.build.steps[0].uses",
      "jobs.build.steps[1].uses",
      "jobs.build.steps[3].uses",
      "jobs.build.steps[4].uses",
      "jobs.build.steps[5].uses",
      "jobs.build.steps[6].uses",
      "jobs.second.steps[0].uses",
    ]);
    expect(w.allJobs.map((j) => j.id)).toEqual(["build", "second"]);
  });

  it("locates source, derived and flattened paths exactly", () => {
    const doc = workflow(STEPS);
    expect(lineOf(doc, "jobs.build.steps[0].uses")).toEqual([6, 9]);
    expect(lineOf(doc, "jobs.build.steps[0].uses.pinned")).toEqual([6, 9]);
    expect(lineOf(doc, "jobs.build.steps[1].checkout.ref")).toEqual([11, 11]);
    expect(lineOf(doc, "jobs.build.steps[1].checkout.persistCredentials")).toEqual([12, 11]);
    expect(lineOf(doc, "jobs.build.steps[0].checkout.ref")).toEqual([6, 9]);
    expect(lineOf(doc, "allSteps[2].run")).toEqual([18, 9]);
    expect(lineOf(doc, "allSteps[2].expressions[1]")).toEqual([17, 26]);
    expect(lineOf(doc, "allUses[5]")).toEqual([24, 9]);
    expect(lineOf(doc, "jobs.build.runs-on.labels[0]")).toEqual([4, 5]);
    expect(lineOf(doc, "allJobs[0].steps[3]")).toEqual([21, 9]);
    expect(lineOf(doc, "nothing.here")).toEqual([1, 1]);
  });

  it("uses that is not a string is INPUT_INVALID", () => {
    const e = errorOf(() => wf(BASE.replace("- run: make", "- uses: [a]")));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ line: 6, column: 9 });
  });
});

describe("parseActionRef", () => {
  it.each([
    [
      "actions/checkout@v4",
      { kind: "repository", owner: "actions", repo: "checkout", path: "", ref: "v4", pinned: false },
    ],
    [`Owner/Repo/a/b@${SHA.toUpperCase()}`, { owner: "Owner", repo: "Repo", path: "a/b", pinned: true }],
    ["owner/repo@main", { ref: "main", pinned: false }],
    [`owner/repo@${SHA.slice(0, 7)}`, { pinned: false }],
    ["owner/repo", { kind: "repository", ref: "", pinned: false }],
    ["./.github/actions/x", { kind: "local", local: true, path: ".github/actions/x", pinned: false }],
    ["docker://ghcr.io/o/i:1", { kind: "docker", image: "ghcr.io/o/i:1", digest: "", pinned: false }],
    [
      `docker://ghcr.io/o/i:1@${DIGEST}`,
      { kind: "docker", name: "ghcr.io/o/i:1", digest: DIGEST, pinned: true },
    ],
    ["checkout", { kind: "invalid", pinned: false }],
    ["${{ matrix.action }}", { kind: "invalid" }],
  ])("%s", (raw, want) => {
    expect(parseActionRef(raw)).toMatchObject({ raw, ...want });
  });
});

describe("GitHub actions (action.yml)", () => {
  it("a composite action exposes its steps like a workflow's", () => {
    const a = action(`name: setup
inputs:
  version: { default: "22" }
runs:
  using: composite
  steps:
    - uses: actions/setup-node@v4
      with: { node-version: "\${{ inputs.version }}" }
    - run: npm ci
      shell: bash
`);
    expect(a.runs).toMatchObject({ using: "composite", type: "composite", docker: null, image: null });
    expect(a.allSteps).toBe(a.runs.steps);
    expect(a.allJobs).toEqual([]);
    expect(a.allSteps.map((s) => [s.path, s.job, s.where])).toEqual([
      ["runs.steps[0]", null, "step 1 (actions/setup-node@v4)"],
      ["runs.steps[1]", null, "step 2 (run: npm ci)"],
    ]);
    expect(a.allSteps[0]!.expressions).toEqual([
      { field: "with.node-version", expression: "inputs.version", path: "runs.steps[0].with.node-version" },
    ]);
    expect(a.allUses.map((u) => u.path)).toEqual(["runs.steps[0].uses"]);
    expect(a.inputs).toEqual({ version: { default: "22" } });
  });

  it("a Docker action's image is parsed as a docker ref or a local Dockerfile", () => {
    const remote = action("runs:\n  using: docker\n  image: docker://alpine:3.20\n");
    expect(remote.runs.type).toBe("docker");
    expect(remote.runs.docker).toMatchObject({ kind: "docker", pinned: false });
    expect(remote.allUses).toEqual([
      expect.objectContaining({ path: "runs.image", where: "runs.image", job: null }),
    ]);
    const local = action("runs:\n  using: docker\n  image: Dockerfile\n  env: { A: 1 }\n");
    expect(local.runs.docker).toMatchObject({ kind: "local", raw: "Dockerfile", local: true });
    expect(local.runs.env).toEqual({ A: "1" });
  });

  it("a JavaScript action keeps its entry points", () => {
    const a = action("runs:\n  using: node20\n  main: dist/index.js\n  post: dist/post.js\n");
    expect(a.runs).toMatchObject({
      type: "javascript",
      main: "dist/index.js",
      post: "dist/post.js",
      steps: [],
    });
  });

  it("locates composite steps and the Docker image", () => {
    const doc = one(
      githubActionParser.parse(
        "name: x\nruns:\n  using: composite\n  steps:\n    - run: a\n      shell: sh\n",
        "action.yml",
      ),
    );
    expect(lineOf(doc, "runs.steps[0].run")).toEqual([5, 7]);
    expect(lineOf(doc, "allSteps[0].shell")).toEqual([6, 7]);
    const docker = one(
      githubActionParser.parse("runs:\n  using: docker\n  image: docker://a:1\n", "action.yml"),
    );
    expect(lineOf(docker, "runs.image")).toEqual([3, 3]);
    expect(lineOf(docker, "allUses[0]")).toEqual([3, 3]);
  });

  it.each([
    ["name: x\n", "an action needs runs:"],
    ["runs:\n  main: index.js\n", "runs: needs using:"],
    ["runs:\n  using: composite\n", "a composite action needs runs.steps"],
  ])("%j is INPUT_INVALID", (text, message) => {
    const e = errorOf(() => action(text));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toContain(message);
    expect(e.location?.file).toBe("action.yml");
  });
});

describe("GitLab CI", () => {
  const PIPELINE = `include:
  - local: ci/build.yml
  - project: group/templates
    ref: v1.2
    file: [a.yml, b.yml]
  - remote: https://example.com/ci.yml
  - template: Jobs/SAST.gitlab-ci.yml
  - component: gitlab.com/org/comp/lint@1.0
stages: [build, test]
variables:
  A: one
  B: { value: 2, description: two }
image: ruby:3.3
default:
  image:
    name: node:22@${DIGEST}
    entrypoint: [""]
  before_script: echo default
.setup:
  script:
    - echo setup
build:
  stage: build
  extends: .setup
  services:
    - postgres:16
    - name: redis:7
      alias: cache
      variables: { REDIS_PASSWORD: x }
  variables:
    C: "3"
  script:
    - !reference [.setup, script]
    - make
    - [nested, list]
  after_script: cleanup
"test:unit":
  script: npm test
`;

  it("jobs, hidden templates, default and top-level keywords", () => {
    const g = gitlab(PIPELINE);
    expect(Object.keys(g.jobs)).toEqual([".setup", "build", "test:unit"]);
    expect(g.jobs[".setup"]).toMatchObject({ hidden: true, path: "jobs['.setup']" });
    expect(g.jobs["build"]).toMatchObject({
      name: "build",
      hidden: false,
      stage: "build",
      extends: [".setup"],
      variables: { C: "3" },
      script: ["make", "nested", "list"],
      after_script: ["cleanup"],
      before_script: [],
      image: null,
    });
    expect(g.jobs["test:unit"]).toMatchObject({ path: "jobs['test:unit']", script: ["npm test"] });
    expect(g.stages).toEqual(["build", "test"]);
    expect(g.variables).toEqual({ A: "one", B: "2" });
    expect(g.image).toMatchObject({ name: "ruby:3.3", pinned: false, job: null, where: "top level" });
    expect(g.default).toMatchObject({
      image: { name: `node:22@${DIGEST}`, digest: DIGEST, pinned: true, entrypoint: [""] },
      before_script: ["echo default"],
    });
    expect(g.allJobs.map((j) => j.name)).toEqual([".setup", "build", "test:unit"]);
  });

  it("images and services, flattened", () => {
    const g = gitlab(PIPELINE);
    expect(g.allImages.map((i) => [i.path, i.name, i.service, i.alias, i.pinned])).toEqual([
      ["image", "ruby:3.3", false, null, false],
      ["default.image", `node:22@${DIGEST}`, false, null, true],
      ["jobs.build.services[0]", "postgres:16", true, null, false],
      ["jobs.build.services[1]", "redis:7", true, "cache", false],
    ]);
    expect(g.jobs["build"]!.services[1]).toMatchObject({ variables: { REDIS_PASSWORD: "x" } });
  });

  it("variables, flattened with their owners", () => {
    expect(gitlab(PIPELINE).allVariables.map((v) => [v.name, v.value, v.job, v.path, v.description])).toEqual(
      [
        ["A", "one", null, "variables.A", null],
        ["B", "2", null, "variables.B", "two"],
        ["C", "3", "build", "jobs.build.variables.C", null],
        ["REDIS_PASSWORD", "x", "build", "jobs.build.services[1].variables.REDIS_PASSWORD", null],
      ],
    );
  });

  it("script lines, flattened; !reference tags are skipped", () => {
    expect(gitlab(PIPELINE).allScripts.map((s) => [s.job, s.section, s.index, s.text, s.path])).toEqual([
      [null, "before_script", 0n, "echo default", "default.before_script[0]"],
      [".setup", "script", 0n, "echo setup", "jobs['.setup'].script[0]"],
      ["build", "script", 0n, "make", "jobs.build.script[0]"],
      ["build", "script", 1n, "nested", "jobs.build.script[1]"],
      ["build", "script", 2n, "list", "jobs.build.script[2]"],
      ["build", "after_script", 0n, "cleanup", "jobs.build.after_script[0]"],
      ["test:unit", "script", 0n, "npm test", "jobs['test:unit'].script[0]"],
    ]);
  });

  it("include entries of every form", () => {
    expect(gitlab(PIPELINE).include).toEqual([
      { type: "local", location: "ci/build.yml", project: null, ref: null, files: [], path: "include[0]" },
      {
        type: "project",
        location: "group/templates",
        project: "group/templates",
        ref: "v1.2",
        files: ["a.yml", "b.yml"],
        path: "include[1]",
      },
      {
        type: "remote",
        location: "https://example.com/ci.yml",
        project: null,
        ref: null,
        files: [],
        path: "include[2]",
      },
      {
        type: "template",
        location: "Jobs/SAST.gitlab-ci.yml",
        project: null,
        ref: null,
        files: [],
        path: "include[3]",
      },
      {
        type: "component",
        location: "gitlab.com/org/comp/lint@1.0",
        project: null,
        ref: "1.0",
        files: [],
        path: "include[4]",
      },
    ]);
    expect(gitlab("include: ci/a.yml\njob: { script: x }\n").include).toMatchObject([
      { type: "local", location: "ci/a.yml" },
    ]);
    expect(gitlab("include: { remote: 'https://x/y.yml' }\n").include).toMatchObject([{ type: "remote" }]);
  });

  it("locates jobs, images, variables and script lines exactly", () => {
    const doc = one(gitlabCiParser.parse(PIPELINE, ".gitlab-ci.yml"));
    expect(lineOf(doc, "jobs.build.services[0]")).toEqual([26, 7]);
    expect(lineOf(doc, "allImages[3].name")).toEqual([27, 7]);
    expect(lineOf(doc, "default.image")).toEqual([15, 3]);
    expect(lineOf(doc, "jobs.build.variables.C")).toEqual([31, 5]);
    expect(lineOf(doc, "allVariables[3]")).toEqual([29, 20]);
    expect(lineOf(doc, "jobs.build.script[0]")).toEqual([34, 7]);
    expect(lineOf(doc, "jobs.build.script[2]")).toEqual([35, 16]);
    expect(lineOf(doc, "allScripts[0]")).toEqual([18, 3]);
    expect(lineOf(doc, "jobs['test:unit'].script[0]")).toEqual([38, 3]);
    expect(lineOf(doc, "include[1].ref")).toEqual([4, 5]);
    expect(lineOf(doc, "jobs.build.stage")).toEqual([23, 3]);
  });

  it("skips the header document of a CI/CD component", () => {
    const docs = gitlabCiParser.parse(
      "spec:\n  inputs:\n    stage: {}\n---\njob:\n  script: make\n",
      "templates/x.gitlab-ci.yml",
    );
    expect(docs).toHaveLength(1);
    expect(docs[0]!.index).toBe(1);
  });

  it.each([
    ["job: make\n", "job job must be a map", 1],
    ["job:\n  services: postgres\n", "services must be a list", 2],
    ["job:\n  script:\n    - { a: 1 }\n", "script entries must be strings", 3],
    ["default: 1\n", "default: must be a map", 1],
    ["include: [3]\n", "include entries must be a path or a map", 1],
    ["job:\n  image: { entrypoint: [sh] }\n", "an image needs a name", 2],
  ])("%j is INPUT_INVALID", (text, message, line) => {
    const e = errorOf(() => gitlab(text));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toContain(message);
    expect(e.location).toMatchObject({ file: ".gitlab-ci.yml", line });
  });

  it("top-level scripts and images are the deprecated form of default:", () => {
    const g = gitlab("image: alpine:3\nbefore_script: [echo hi]\nafter_script: bye\njob: { script: x }\n");
    expect(g).toMatchObject({
      before_script: ["echo hi"],
      after_script: ["bye"],
      image: { name: "alpine:3" },
    });
    expect(g.allScripts.map((s) => [s.job, s.section, s.path, s.where])).toEqual([
      [null, "before_script", "before_script[0]", "top level, before_script item 1"],
      [null, "after_script", "after_script[0]", "top level, after_script item 1"],
      ["job", "script", "jobs.job.script[0]", "job job, script item 1"],
    ]);
  });

  it("hidden keys that are not jobs (anchors) are ignored", () => {
    expect(Object.keys(gitlab(".vars: &v [a]\njob: { script: x }\n").jobs)).toEqual(["job"]);
  });
});

describe("invalid YAML", () => {
  it.each([
    [githubWorkflowParser, ".github/workflows/ci.yml"],
    [githubActionParser, "action.yml"],
    [gitlabCiParser, ".gitlab-ci.yml"],
  ])("%o is INPUT_INVALID with its location", (parser, file) => {
    const e = errorOf(() => parser.parse("a: 1\nb: [1\nc: 2\n", file));
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.location).toMatchObject({ file, line: 3 });
  });

  it("a document that is not a map is INPUT_INVALID", () => {
    expect(errorOf(() => githubWorkflowParser.parse("- a\n", "w.yml")).code).toBe("INPUT_INVALID");
    expect(errorOf(() => githubActionParser.parse("just text\n", "action.yml")).code).toBe("INPUT_INVALID");
    expect(errorOf(() => gitlabCiParser.parse("- a\n", ".gitlab-ci.yml")).code).toBe("INPUT_INVALID");
  });

  it("an empty file has no documents", () => {
    expect(githubWorkflowParser.parse("# nothing\n", "w.yml")).toEqual([]);
  });
});

describe("builtin:workflows on the fixtures (locations of violations)", async () => {
  const set = await loadPolicySet(["builtin:workflows"]);
  const engine = new PolicyEngine(set, { clock: fixedClock("2026-11-21T12:00:00Z") });
  const evaluate = (rel: string) => {
    const file = join(FIXTURES, rel);
    const report = engine.evaluate(parseIacFile(readFileSync(file, "utf8"), rel)!, {});
    return report.results.flatMap((r) =>
      r.violations.map(
        (v) => `${v.policyId} ${v.location?.line}:${v.location?.column} ${v.location?.path ?? ""}`,
      ),
    );
  };

  it.each([
    [
      ".github/workflows/gha-001-unpinned.yml",
      [
        "GHA-001 13:9 jobs.build.steps[1].uses",
        "GHA-001 14:9 jobs.build.steps[2].uses",
        "GHA-001 16:5 jobs.scan.uses",
      ],
    ],
    [".github/workflows/gha-003-no-permissions.yml", ["GHA-003 1:1 "]],
    [
      ".github/workflows/gha-003-write-default.yml",
      ["GHA-003 4:3 permissions.contents", "GHA-003 5:3 permissions.pull-requests"],
    ],
    [
      ".github/workflows/gha-004-write-all.yml",
      ["GHA-004 3:1 permissions", "GHA-004 7:5 jobs.publish.permissions"],
    ],
    [".github/workflows/gha-005-prt-checkout.yml", ["GHA-005 11:9 jobs.test.steps[0].uses"]],
    [".github/workflows/gha-005-workflow-run.yml", ["GHA-005 13:9 jobs.report.steps[0].run"]],
    [
      ".github/workflows/gha-006-injection.yml",
      ["GHA-006 14:9 jobs.triage.steps[0].run", "GHA-006 19:11 jobs.triage.steps[1].with.script"],
    ],
    [".github/workflows/gha-007-persist.yml", ["GHA-007 10:9 jobs.build.steps[0].uses"]],
    [
      ".github/workflows/gha-008-cloud-keys.yml",
      [
        "GHA-008 21:7 jobs.infra.secrets.azure",
        "GHA-008 11:11 jobs.deploy.steps[0].with.aws-access-key-id",
        "GHA-008 17:11 jobs.deploy.steps[1].env.GOOGLE_CREDENTIALS",
      ],
    ],
    [".github/workflows/gha-009-self-hosted.yml", ["GHA-009 7:5 jobs.build.runs-on"]],
    [
      ".github/actions/unsafe/action.yml",
      ["GHA-001 6:7 runs.steps[0].uses", "GHA-006 11:7 runs.steps[1].run"],
    ],
    [".github/actions/docker/action.yml", ["GHA-001 5:3 runs.image"]],
    [
      "gitlab/unpinned/.gitlab-ci.yml",
      ["GL-001 2:3 default.image", "GL-001 5:7 jobs.test.services[0]", "GL-001 9:3 jobs.lint.image"],
    ],
    [
      "gitlab/literal-secret/.gitlab-ci.yml",
      ["GL-002 2:3 variables.DB_PASSWORD", "GL-002 7:5 jobs.deploy.variables.API_TOKEN"],
    ],
    [
      "gitlab/printed-secret/.gitlab-ci.yml",
      [
        "GL-003 4:7 jobs.deploy.before_script[0]",
        "GL-003 6:7 jobs.deploy.script[0]",
        "GL-003 7:7 jobs.deploy.script[1]",
      ],
    ],
  ])("%s", (rel, want) => {
    expect(evaluate(rel)).toEqual(want);
  });

  it.each([
    ".github/workflows/hardened.yml",
    ".github/workflows/gha-003-job-writes.yml",
    ".github/workflows/gha-005-base-checkout.yml",
    ".github/workflows/gha-006-env.yml",
    ".github/workflows/gha-009-runner-group.yml",
    ".github/actions/setup/action.yml",
    "gitlab/hardened/.gitlab-ci.yml",
  ])("%s has no violations", (rel) => {
    expect(evaluate(rel)).toEqual([]);
  });

  it("messages name the job and step, never a secret's value", () => {
    const file = "gitlab/literal-secret/.gitlab-ci.yml";
    const report = engine.evaluate(parseIacFile(readFileSync(join(FIXTURES, file), "utf8"), file)!, {});
    const messages = report.results.flatMap((r) => r.violations.map((v) => v.message));
    expect(messages[0]).toBe(
      "secret-like variables with literal values: top level DB_PASSWORD; job deploy API_TOKEN",
    );
    expect(messages.join()).not.toContain("hunter2");
  });
});
