import type { Cataloger } from "../../cataloger.js";
import { gemfileLockCataloger } from "./gemfile-lock.js";

export { gemfileLockCataloger, parseGemfileLock } from "./gemfile-lock.js";

/** Ruby catalogers, in registry order. */
export const rubyCatalogers: readonly Cataloger[] = [gemfileLockCataloger];
