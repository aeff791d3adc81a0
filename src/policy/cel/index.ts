export { CEL_VARIABLES, type CelEnvironmentOptions, createCelEnvironment } from "./environment.js";
