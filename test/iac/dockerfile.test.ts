import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BulwarkError, fixedClock } from "../../src/core/index.js";
import { type DockerfileValue, dockerfileParser, expand } from "../../src/iac/dockerfile.js";
import { detectParser, parseIacFile } from "../../src/iac/index.js";
import { loadPolicySet, PolicyEngine, runPolicyTests } from "../../src/policy/index.js";

const DIGEST = `sha256:${"ab".repeat(32)}`;
const FIXTURES = new URL("../../src/library/dockerfile/tests/fixtures/", import.meta.url);

function parse(text: string, file = "Dockerfile") {
  const docs = dockerfileParser.parse(text, file);
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

const valueOf = (text: string) => parse(text).value as DockerfileValue;

/** `file:line:col` of a field path, as a violation would report it. */
function where(text: string, path: string): string {
  const doc = parse(text).doc!;
  const segments = path.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
  const loc = doc.locate(segments.map((s) => (/^\d+$/.test(s) ? Number(s) : s)));
  return `${loc.file}:${loc.line}:${loc.column}`;
}

function invalid(text: string): BulwarkError {
  try {
    dockerfileParser.parse(text, "bad/Dockerfile");
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected INPUT_INVALID, the Dockerfile parsed");
}

describe("dockerfile parser: file detection", () => {
  it.each([
    ["Dockerfile", true],
    ["Containerfile", true],
    ["build/Dockerfile", true],
    ["Dockerfile.prod", true],
    ["Containerfile.debug", true],
    ["api.Dockerfile", true],
    ["docker/web.dockerfile", true],
    ["C:\\src\\Dockerfile", true],
    ["Dockerfile.dockerignore", false],
    ["Dockerfiles/readme.md", false],
    ["my-Dockerfile", false],
    ["deployment.yaml", false],
  ])("%s → %s", (path, applies) => {
    expect(dockerfileParser.applies(path, "")).toBe(applies);
    expect(detectParser(path, "") === dockerfileParser).toBe(applies);
  });

  it("is found by parseIacFile from the name, the parser name and the input kind", () => {
    const text = "FROM alpine\n";
    expect(parseIacFile(text, "x/Dockerfile")?.[0]?.kind).toBe("dockerfile");
    expect(parseIacFile(text, "odd-name", "dockerfile")?.[0]?.kind).toBe("dockerfile");
  });
});

describe("dockerfile parser: the normalized document", () => {
  it("describes the document: kind, resource, location, BigInt integers", () => {
    const doc = parse("FROM alpine:3.20\nUSER 1000\n", "svc/Dockerfile");
    expect(doc).toMatchObject({
      file: "svc/Dockerfile",
      index: 0,
      kind: "dockerfile",
      resource: { kind: "Dockerfile", name: "svc/Dockerfile" },
      location: { file: "svc/Dockerfile", line: 1, column: 1 },
    });
    const v = doc.value as DockerfileValue;
    expect(v.final).toBe(0n);
    expect(v.stages[0]!.index).toBe(0n);
    expect(v.stages[0]!.instructions[0]!.line).toBe(2n);
    expect(v.stages[0]!.instructions[0]!.stage).toBe(0n);
  });

  it("splits a multi-stage build into stages with FROM details, names and paths", () => {
    const v = valueOf(
      [
        "FROM --platform=$BUILDPLATFORM golang:1.23 AS build",
        "RUN go build -o /app .",
        "FROM scratch",
        `FROM gcr.io/distroless/static@${DIGEST} AS Final`,
        "COPY --from=build /app /app",
      ].join("\n"),
    );
    expect(v.stages.map((s) => [s.index, s.name, s.path])).toEqual([
      [0n, "build", "stages[0]"],
      [1n, undefined, "stages[1]"],
      [2n, "Final", "stages[2]"],
    ]);
    expect(v.stages[0]!.from).toEqual({
      image: "golang:1.23",
      resolved: "golang:1.23",
      platform: "$BUILDPLATFORM",
      pinned: false,
      scratch: false,
      fromStage: false,
      line: 1n,
    });
    expect(v.stages[1]!.from).toMatchObject({ scratch: true, pinned: false });
    expect(v.stages[2]!.from).toMatchObject({ pinned: true, scratch: false, fromStage: false });
    expect(v.stages[2]!.instructions[0]).toMatchObject({
      keyword: "COPY",
      arguments: "/app /app",
      flags: { from: "build" },
      path: "stages[2].instructions[0]",
      stage: 2n,
    });
    expect("name" in v.stages[1]!).toBe(false);
    expect(v.final).toBe(2n);
  });

  it("recognises FROM <earlier stage>, case-insensitively, and not a later or unknown name", () => {
    const v = valueOf("FROM alpine AS Base\nFROM base\nFROM later\nFROM alpine AS later\n");
    expect(v.stages.map((s) => s.from.fromStage)).toEqual([false, true, false, false]);
  });

  it("upper-cases keywords written in lower case", () => {
    const v = valueOf("from alpine as b\nrun echo hi\n");
    expect(v.stages[0]!.name).toBe("b");
    expect(v.stages[0]!.instructions[0]!.keyword).toBe("RUN");
  });

  it("tells exec, shell and heredoc forms apart", () => {
    const v = valueOf(
      [
        "FROM alpine",
        'RUN ["echo", "hi"]',
        "RUN echo hi",
        'CMD ["serve", "--port", "80"]',
        "ENTRYPOINT [not json]",
        'HEALTHCHECK --interval=5s CMD ["curl", "-f", "http://localhost/"]',
        "RUN <<EOF",
        "echo hi",
        "EOF",
      ].join("\n"),
    );
    const ins = v.stages[0]!.instructions;
    expect(ins.map((i) => i.form)).toEqual(["exec", "shell", "exec", "shell", "exec", "heredoc"]);
    expect(ins[0]!.exec).toEqual(["echo", "hi"]);
    expect(ins[2]!.exec).toEqual(["serve", "--port", "80"]);
    expect(ins[3]!.exec).toBeUndefined();
    expect(ins[4]!.exec).toEqual(["curl", "-f", "http://localhost/"]);
    expect(ins[4]!.flags).toEqual({ interval: "5s" });
    expect("exec" in ins[1]!).toBe(false);
  });

  it("keeps every flag in flagList and the last of a repeated flag in flags", () => {
    const v = valueOf(
      "FROM alpine\nRUN --mount=type=secret,id=npm \\\n    --mount=type=cache,target=/root/.npm --network=none npm ci\nCOPY --link --chown=1000:1000 . /app\n",
    );
    const [run, copy] = v.stages[0]!.instructions;
    expect(run!.flagList).toEqual([
      { name: "mount", value: "type=secret,id=npm" },
      { name: "mount", value: "type=cache,target=/root/.npm" },
      { name: "network", value: "none" },
    ]);
    expect(run!.flags).toEqual({ mount: "type=cache,target=/root/.npm", network: "none" });
    expect(run!.arguments).toBe("npm ci");
    expect(copy!.flags).toEqual({ link: "", chown: "1000:1000" });
  });

  it("lists the properties of ARG, ENV (both forms) and LABEL, values unquoted", () => {
    const v = valueOf(
      'FROM alpine\nARG A\nARG B=2\nENV C=3 D="four words"\nENV LEGACY some value\nLABEL org.opencontainers.image.source=https://example.com\n',
    );
    expect(v.stages[0]!.instructions.map((i) => i.properties)).toEqual([
      [{ name: "A" }],
      [{ name: "B", value: "2" }],
      [
        { name: "C", value: "3" },
        { name: "D", value: "four words" },
      ],
      [{ name: "LEGACY", value: "some value" }],
      [{ name: "org.opencontainers.image.source", value: "https://example.com" }],
    ]);
  });

  it("records the global ARGs declared before the first FROM", () => {
    const v = valueOf("ARG BASE=alpine\nARG TAG\nFROM ${BASE}:${TAG:-3.20}\n");
    expect(v.args).toEqual([
      { name: "BASE", default: "alpine", line: 1n, path: "args[0]" },
      { name: "TAG", line: 2n, path: "args[1]" },
    ]);
  });
});

describe("dockerfile parser: heredocs", () => {
  it("reads RUN <<EOF as a script, the command line apart from the body", () => {
    const v = valueOf("FROM alpine\nRUN <<EOF\nset -e\napk add curl\nEOF\nUSER 1\n");
    const [run, user] = v.stages[0]!.instructions;
    expect(run).toMatchObject({
      keyword: "RUN",
      arguments: "<<EOF",
      form: "heredoc",
      heredocs: [{ name: "EOF", content: "set -e\napk add curl\n" }],
      line: 2n,
    });
    expect(user).toMatchObject({ keyword: "USER", arguments: "1", line: 6n });
  });

  it("reads COPY <<EOT with a destination", () => {
    const v = valueOf("FROM alpine\nCOPY <<EOT /etc/motd\nhello\n  world\nEOT\n");
    expect(v.stages[0]!.instructions[0]).toMatchObject({
      keyword: "COPY",
      arguments: "<<EOT /etc/motd",
      heredocs: [{ name: "EOT", content: "hello\n  world\n" }],
    });
  });

  it("reads several heredocs of one instruction in order, and locates each body", () => {
    const text =
      "FROM alpine\nRUN <<A cat > /a && <<B cat > /b\naaa\nA\nbbb\nbbb\nB\nCOPY <<x.txt <<y.txt /dst/\nX\nx.txt\nY\ny.txt\n";
    const v = valueOf(text);
    const [run, copy] = v.stages[0]!.instructions;
    expect(run!.arguments).toBe("<<A cat > /a && <<B cat > /b");
    expect(run!.heredocs).toEqual([
      { name: "A", content: "aaa\n" },
      { name: "B", content: "bbb\nbbb\n" },
    ]);
    expect(copy!.heredocs).toEqual([
      { name: "x.txt", content: "X\n" },
      { name: "y.txt", content: "Y\n" },
    ]);
    expect(where(text, "stages[0].instructions[0].heredocs[1]")).toBe("Dockerfile:2:21");
    expect(where(text, "stages[0].instructions[0].heredocs[1].content")).toBe("Dockerfile:5:1");
    expect(where(text, "stages[0].instructions[1]")).toBe("Dockerfile:8:1");
  });

  it("handles quoted names, <<- tab stripping, empty bodies and a marker on a continued line", () => {
    const v = valueOf(
      "FROM alpine\nRUN <<'EOF' sh\necho $HOME\nEOF\nRUN <<-EOF\n\t\techo tabs\n\tEOF\nRUN <<EOF\nEOF\nRUN cat \\\n  <<EOF > /x\nbody\nEOF\n",
    );
    const ins = v.stages[0]!.instructions;
    expect(ins.map((i) => [i.arguments, i.heredocs])).toEqual([
      ["<<'EOF' sh", [{ name: "EOF", content: "echo $HOME\n" }]],
      ["<<-EOF", [{ name: "EOF", content: "echo tabs\n" }]],
      ["<<EOF", [{ name: "EOF", content: "" }]],
      ["cat   <<EOF > /x", [{ name: "EOF", content: "body\n" }]],
    ]);
  });

  it("does not treat << on a single-line instruction as a heredoc in shell arithmetic", () => {
    const v = valueOf("FROM alpine\nRUN echo $((1 << 4))\nUSER 1\n");
    expect(v.stages[0]!.instructions.map((i) => i.keyword)).toEqual(["RUN", "USER"]);
  });
});

describe("dockerfile parser: ARG expansion in FROM", () => {
  it.each([
    ["ARG BASE=alpine\nFROM $BASE", "alpine"],
    ["ARG BASE=alpine\nFROM ${BASE}:3.20", "alpine:3.20"],
    ["ARG TAG\nFROM alpine:${TAG:-3.19}", "alpine:3.19"],
    ["ARG TAG=\nFROM alpine:${TAG:-3.19}", "alpine:3.19"],
    ["ARG TAG=\nFROM alpine:${TAG-3.19}", "alpine:"],
    ["ARG TAG\nFROM alpine:${TAG-3.19}", "alpine:3.19"],
    ["ARG V=1\nFROM alpine${V:+:3.20}", "alpine:3.20"],
    ["ARG R=registry.example ORG=team\nFROM ${R}/${ORG}/app", "registry.example/team/app"],
    ["ARG A=x\nARG B=${A}y\nFROM ${B}", "xy"],
    ["ARG D=" + DIGEST + "\nFROM alpine@${D}", `alpine@${DIGEST}`],
    ["ARG A=x\nFROM ${NOT_DECLARED:-alpine}", "${NOT_DECLARED:-alpine}"],
    ["FROM image-${TARGETARCH}", "image-${TARGETARCH}"],
    ["ARG TARGETARCH=amd64\nFROM image-$TARGETARCH", "image-$TARGETARCH"],
    ["ARG V=1.2\nFROM alpine:${V%.*}", "alpine:${V%.*}"],
  ])("%j → %s", (text, resolved) => {
    const from = valueOf(text).stages[0]!.from;
    expect(from.resolved).toBe(resolved);
    expect(from.image).toBe(text.split("FROM ")[1]);
  });

  it("marks a FROM pinned only when the expanded image has a full digest", () => {
    const pinned = (text: string) => valueOf(text).stages[0]!.from.pinned;
    expect(pinned(`ARG D=${DIGEST}\nFROM alpine:3.20@\${D}`)).toBe(true);
    expect(pinned(`FROM alpine@sha512:${"c".repeat(128)}`)).toBe(true);
    expect(pinned("FROM alpine@sha256:abc")).toBe(false);
    expect(pinned("ARG D\nFROM alpine@${D}")).toBe(false);
  });

  it("uses only global ARGs in FROM, not ARGs of an earlier stage", () => {
    const v = valueOf("FROM alpine\nARG BASE=debian\nFROM ${BASE:-busybox}\n");
    expect(v.stages[1]!.from.resolved).toBe("${BASE:-busybox}");
  });

  it("expands like BuildKit, keeping unknown references as written", () => {
    const vars = new Map<string, string | null>([
      ["SET", "v"],
      ["EMPTY", ""],
      ["UNSET", null],
    ]);
    const lookup = (n: string) => (vars.has(n) ? vars.get(n)! : undefined);
    expect(expand("$SET-${SET}-${EMPTY:-d}-${EMPTY-d}-${UNSET-d}-${UNSET:+x}-${SET:+x}", lookup)).toBe(
      "v-v-d--d--x",
    );
    expect(expand("\\$SET $OTHER ${OTHER} $1 ${UNCLOSED", lookup)).toBe("$SET $OTHER ${OTHER} $1 ${UNCLOSED");
    expect(expand("${UNSET:-${SET}}", lookup)).toBe("v");
    expect(expand("`$SET", lookup, "`")).toBe("$SET");
  });
});

describe("dockerfile parser: USER and HEALTHCHECK", () => {
  it("gives each stage its effective USER at its end", () => {
    const v = valueOf(
      "FROM alpine AS a\nUSER app\nRUN id\nUSER 0\nFROM alpine AS b\nUSER 1000:1000\nFROM alpine\n",
    );
    expect(v.stages.map((s) => s.user)).toEqual(["0", "1000:1000", ""]);
    expect(v.stages[0]!.userInstruction).toEqual({
      path: "stages[0].instructions[2]",
      line: 4n,
      arguments: "0",
    });
    expect("userInstruction" in v.stages[2]!).toBe(false);
    expect(v.finalUser).toBe("");
  });

  it("inherits USER through FROM <stage>, transitively, and a later USER overrides it", () => {
    const text = 'FROM alpine AS base\nUSER 10001\nFROM base AS mid\nRUN id\nFROM mid\nCMD ["app"]\n';
    const v = valueOf(text);
    expect(v.stages.map((s) => s.user)).toEqual(["10001", "10001", "10001"]);
    expect(v.finalUser).toBe("10001");
    expect(v.stages[2]!.userInstruction?.path).toBe("stages[0].instructions[0]");
    expect(where(text, "finalUser")).toBe("Dockerfile:2:1");
    expect(valueOf(`${text}USER root\n`).finalUser).toBe("root");
  });

  it("does not inherit USER from a base image it cannot see", () => {
    const v = valueOf("FROM alpine AS base\nUSER 10001\nFROM gcr.io/distroless/static:nonroot\n");
    expect(v.finalUser).toBe("");
    expect(
      where("FROM alpine AS base\nUSER 10001\nFROM gcr.io/distroless/static:nonroot\n", "finalUser"),
    ).toBe("Dockerfile:3:1");
  });

  it("expands USER with the stage's ARGs (and re-declared global ARGs) and ENV, inherited ENV included", () => {
    const v = valueOf(
      [
        "ARG UID=0",
        "FROM alpine AS a",
        "ARG UID",
        "USER ${UID}",
        "FROM alpine AS b",
        "USER ${UID}",
        "FROM alpine AS c",
        "ENV APP_UID=1654",
        "FROM c",
        "USER $APP_UID:${GID:-1000}",
        "FROM alpine",
        "ARG NOVALUE",
        "USER ${NOVALUE}",
      ].join("\n"),
    );
    expect(v.stages.map((s) => s.user)).toEqual(["0", "${UID}", "", "1654:${GID:-1000}", ""]);
    expect(v.stages[4]!.userInstruction?.arguments).toBe("${NOVALUE}");
  });

  it("tracks HEALTHCHECK per stage: CMD sets it, NONE clears it, FROM <stage> inherits it", () => {
    const v = valueOf(
      "FROM alpine AS a\nHEALTHCHECK CMD true\nFROM a AS b\nFROM a AS c\nHEALTHCHECK NONE\nFROM alpine\n",
    );
    expect(v.stages.map((s) => s.healthcheck)).toEqual([true, true, false, false]);
  });
});

describe("dockerfile parser: logical lines", () => {
  it("joins continuations as Docker does and drops comment and blank lines inside them", () => {
    const v = valueOf(
      "FROM debian\nRUN apt-get update \\\n  # refresh the index\n\n  && apt-get install -y \\\n     curl\n# a comment\nUSER 1\n",
    );
    const [run, user] = v.stages[0]!.instructions;
    expect(run!.arguments).toBe("apt-get update   && apt-get install -y      curl");
    expect(run!.line).toBe(2n);
    expect(user!.line).toBe(8n);
  });

  it("honours the escape directive (Windows backtick continuations, backslashes kept)", () => {
    const v = valueOf(
      "# escape=`\nFROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN copy C:\\src\\a.txt `\n    C:\\dst\\\nUSER ContainerUser\n",
    );
    const [run, user] = v.stages[0]!.instructions;
    expect(run!.arguments).toBe("copy C:\\src\\a.txt     C:\\dst\\");
    expect(user!.arguments).toBe("ContainerUser");
    expect(user!.line).toBe(5n);
  });

  it("reads CRLF line ends and ignores a byte order mark", () => {
    const text = "\uFEFFFROM alpine\r\nRUN echo a \\\r\n  b\r\nUSER 1\r\n";
    const v = valueOf(text);
    expect(v.stages[0]!.instructions.map((i) => [i.arguments, i.line])).toEqual([
      ["echo a   b", 2n],
      ["1", 4n],
    ]);
    expect(where(text, "stages[0].from")).toBe("Dockerfile:1:1");
    expect(where(text, "stages[0].instructions[1].arguments")).toBe("Dockerfile:4:6");
  });
});

describe("dockerfile parser: locations", () => {
  const text = [
    "# syntax=docker/dockerfile:1", // 1
    "ARG BASE=node:20", // 2
    "FROM --platform=linux/amd64 ${BASE} AS build", // 3
    "WORKDIR /src", // 4
    "RUN --mount=type=cache,target=/root/.npm \\", // 5
    "    npm ci", // 6
    "", // 7
    "FROM build", // 8
    '  ENV A=1 TOKEN="x"', // 9
    '\tCMD ["node", "server.js"]', // 10
    "HEALTHCHECK CMD node health.js", // 11
  ].join("\n");

  it.each([
    ["stages[0]", "Dockerfile:3:1"],
    ["stages[0].from", "Dockerfile:3:1"],
    ["stages[0].from.image", "Dockerfile:3:29"],
    ["stages[0].from.resolved", "Dockerfile:3:29"],
    ["stages[0].from.platform", "Dockerfile:3:6"],
    ["stages[0].name", "Dockerfile:3:40"],
    ["stages[0].instructions[0]", "Dockerfile:4:1"],
    ["stages[0].instructions[1]", "Dockerfile:5:1"],
    ["stages[0].instructions[1].arguments", "Dockerfile:6:5"],
    ["stages[0].instructions[1].flags.mount", "Dockerfile:5:5"],
    ["stages[0].instructions[1].flagList[0]", "Dockerfile:5:5"],
    ["stages[0].instructions[1].line", "Dockerfile:5:1"],
    ["stages[1]", "Dockerfile:8:1"],
    ["stages[1].instructions[0]", "Dockerfile:9:3"],
    ["stages[1].instructions[0].properties[1]", "Dockerfile:9:11"],
    ["stages[1].instructions[0].properties[1].value", "Dockerfile:9:17"],
    ["stages[1].instructions[1]", "Dockerfile:10:2"],
    ["stages[1].instructions[1].exec[1]", "Dockerfile:10:15"],
    ["stages[1].healthcheck", "Dockerfile:11:1"],
    ["stages[1].user", "Dockerfile:8:1"],
    ["args[0]", "Dockerfile:2:1"],
    ["args[0].default", "Dockerfile:2:10"],
    ["final", "Dockerfile:8:1"],
    ["finalUser", "Dockerfile:8:1"],
    ["stages[7].instructions[0]", "Dockerfile:1:1"],
  ])("%s → %s", (path, loc) => {
    expect(where(text, path)).toBe(loc);
  });

  it("reports the path it was asked for", () => {
    const loc = parse(text).doc!.locate(["stages", 0, "instructions", 1, "arguments"]);
    expect(loc).toMatchObject({ path: "stages[0].instructions[1].arguments", line: 6, column: 5 });
  });
});

describe("dockerfile parser: invalid input", () => {
  it.each([
    ["an empty file", "", "1:1", /no instructions/],
    ["only comments and blank lines", "# nothing\n\n   \n", "1:1", /no instructions/],
    ["only ARGs", "ARG A=1\nARG B\n", "1:1", /no FROM/],
    ["an instruction before FROM", "ARG A\nRUN echo\nFROM alpine\n", "2:1", /RUN before the first FROM/],
    ["an unknown instruction", "FROM alpine\n\nRUNN echo\n", "3:1", /unknown instruction "RUNN"/],
    ["FROM without an image", "FROM alpine\nFROM\n", "2:1", /FROM needs an image/],
    ["FROM with extra words", "FROM alpine AS a b\n", "1:1", /optional "AS name"/],
    ["FROM … as without a name", "FROM alpine AS\n", "1:1", /optional "AS name"/],
    ["a duplicate stage name", "FROM alpine AS x\nFROM alpine AS X\n", "2:1", /duplicate stage name/],
    ["an unterminated heredoc", "FROM alpine\nRUN <<EOF\necho\n", "2:5", /unterminated heredoc <<EOF/],
    ["an instruction without arguments", "FROM alpine\n  USER\n", "2:3", /USER needs arguments/],
    ["an ENV without a name", "FROM alpine\nENV\n", "2:1", /ENV needs/],
    ["a global ARG without a name", "ARG\nFROM alpine\n", "1:1", /ARG needs a name/],
  ])("rejects %s with a located INPUT_INVALID", (_name, text, at, message) => {
    const e = invalid(text);
    expect(e.code).toBe("INPUT_INVALID");
    expect(e.message).toMatch(message);
    expect(`${e.location?.line}:${e.location?.column}`).toBe(at);
    expect(e.location?.file).toBe("bad/Dockerfile");
    expect(e.toString()).toMatch(/^bad\/Dockerfile:\d+:\d+: invalid Dockerfile: .* \[INPUT_INVALID\]$/);
  });
});

describe("dockerfile parser: lenient where Docker is", () => {
  it("accepts a bare RUN, CMD or ENTRYPOINT, which Docker builds", () => {
    const v = valueOf("FROM alpine\nCMD\nENTRYPOINT\n");
    expect(v.stages[0]!.instructions.map((i) => [i.keyword, i.arguments, i.form])).toEqual([
      ["CMD", "", "shell"],
      ["ENTRYPOINT", "", "shell"],
    ]);
  });

  it("keeps ONBUILD's trigger as its arguments", () => {
    const v = valueOf("FROM alpine\nONBUILD RUN curl -fsSL https://x | sh\n");
    expect(v.stages[0]!.instructions[0]).toMatchObject({
      keyword: "ONBUILD",
      arguments: "RUN curl -fsSL https://x | sh",
    });
  });
});

describe("builtin:dockerfile on the parser's output", () => {
  const clock = fixedClock("2026-11-21T12:00:00Z");

  it("passes its own PolicyTest cases, and every policy has a failing case", async () => {
    const set = await loadPolicySet(["builtin:dockerfile"]);
    const results = await runPolicyTests(set, { clock, parseFile: parseIacFile });
    expect(results.filter((r) => !r.passed).map((r) => `${r.case.name}: ${r.failure}`)).toEqual([]);
    const ids = set.rules.map((r) => r.id).sort();
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `DKR-${String(i + 1).padStart(3, "0")}`));
    const failing = new Set(
      results.flatMap((r) => (r.case.decision === "allow" ? [] : (r.violations ?? []))),
    );
    expect(ids.filter((id) => !failing.has(id))).toEqual([]);
    expect(results.some((r) => r.case.decision === "allow")).toBe(true);
  });

  it("points each violation at the offending instruction", async () => {
    const set = await loadPolicySet(["builtin:dockerfile"]);
    const engine = new PolicyEngine(set, { clock });
    const file = "fixtures/package-cache.Dockerfile";
    const text = readFileSync(new URL("package-cache.Dockerfile", FIXTURES), "utf8");
    const report = engine.evaluate(dockerfileParser.parse(text, file));
    const violations = report.results.flatMap((r) => r.violations);
    expect(violations.map((v) => [v.policyId, v.location?.line, v.location?.path])).toEqual([
      ["DKR-008", 2, "stages[0].instructions[0]"],
      ["DKR-008", 4, "stages[0].instructions[1]"],
      ["DKR-008", 5, "stages[0].instructions[2]"],
      ["DKR-008", 6, "stages[0].instructions[3]"],
    ]);
    expect(violations[0]!.message).toContain(
      "RUN at line 2 (apt-get install without rm -rf /var/lib/apt/lists/*)",
    );
  });

  it("names DKR-003 exactly as ARCHITECTURE does and points at the USER or the final FROM", async () => {
    const set = await loadPolicySet(["builtin:dockerfile"]);
    const engine = new PolicyEngine(set, { clock });
    const run = (text: string) =>
      engine
        .evaluate(dockerfileParser.parse(text, "Dockerfile"))
        .results.flatMap((r) => r.violations)
        .filter((v) => v.policyId === "DKR-003");
    const [explicit] = run(`FROM alpine@${DIGEST} AS a\nUSER root:root\nFROM a\nHEALTHCHECK CMD true\n`);
    expect(explicit).toMatchObject({
      title: "Containers must not run as root",
      enforcement: "deny",
      location: { line: 2, column: 1, path: "stages[0].instructions[0]" },
    });
    expect(explicit!.message).toBe("the final stage runs as root: USER root:root at line 2");
    const [missing] = run(`FROM alpine@${DIGEST}\nRUN true\n`);
    expect(missing!.location).toMatchObject({ line: 1, column: 1, path: "stages[0].from" });
    expect(run(`FROM alpine@${DIGEST}\nUSER 0\nUSER 1000\n`)).toEqual([]);
    expect(run(`FROM alpine@${DIGEST}\nUSER 00:1000\n`)).toHaveLength(1);
    expect(run(`FROM alpine@${DIGEST}\nUSER rootless\n`)).toEqual([]);
  });
});
