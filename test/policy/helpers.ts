import { BulwarkError, fixedClock, sha256Hex } from "../../src/core/index.js";
import {
  type EvaluationContext,
  PolicyEngine,
  parseInput,
  policySetFromFiles,
} from "../../src/policy/index.js";

export const clock = fixedClock("2026-11-21T12:00:00Z");

/** A policy set from in-memory files (`name → YAML`). */
export function policySet(files: Record<string, string>) {
  return policySetFromFiles(
    Object.entries(files).map(([path, content]) => ({
      path,
      absolutePath: path,
      sha256: sha256Hex(content),
      content,
    })),
  );
}

export function engine(files: Record<string, string>) {
  return new PolicyEngine(policySet(files), { clock });
}

export function evaluate(files: Record<string, string>, input: string, ctx: EvaluationContext = {}) {
  return engine(files).evaluate(parseInput(input, "input.yaml"), ctx);
}

/** The error a function throws; fails the test if it does not throw a BulwarkError. */
export function errorOf(fn: () => unknown): BulwarkError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BulwarkError) return e;
    throw e;
  }
  throw new Error("expected a BulwarkError, nothing was thrown");
}

export const POD = `apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: { app: web }
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
    - name: sidecar
      image: busybox@sha256:${"a".repeat(64)}
`;

export const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: { env: prod }
spec:
  replicas: 7
  selector: { matchLabels: { app: web } }
  template:
    metadata:
      labels: { app: web }
    spec:
      volumes:
        - name: host
          hostPath: { path: /var/run }
      containers:
        - name: app
          image: nginx:1.27
          securityContext: { privileged: true }
`;

export const CRONJOB = `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
  namespace: shop
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: job
              image: alpine:3.20
              securityContext: { privileged: true }
`;
