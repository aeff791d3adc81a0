export {
  applyWaivers,
  type CheckedFile,
  type CollectOptions,
  type Collected,
  collectInputs,
  findWaivers,
} from "./check.js";
export { detectParser, IAC_PARSERS, parseIacFile, parserNamed } from "./registry.js";
export { type IacParser, locator } from "./types.js";
export { type ImageConfigInput, readImageConfigInput } from "./image-config.js";
export { type PlanResource, type TerraformPlan, terraformPlanParser } from "./terraform.js";
