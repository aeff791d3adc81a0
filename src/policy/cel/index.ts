export { CEL_VARIABLES, type CelEnvironmentOptions, createCelEnvironment } from "./environment.js";
export { RE2_MATCHES, rewriteMatches } from "./matches.js";
