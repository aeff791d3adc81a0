export * as core from "./core/index.js";
export * as policy from "./policy/index.js";
