import type { Cataloger } from "../../cataloger.js";
import { composerLockCataloger } from "./composer-lock.js";

export { composerLockCataloger, parseComposerLock } from "./composer-lock.js";

/** PHP catalogers, in registry order. */
export const phpCatalogers: readonly Cataloger[] = [composerLockCataloger];
