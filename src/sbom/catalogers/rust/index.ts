import type { Cataloger } from "../../cataloger.js";
import { cargoLockCataloger } from "./cargo-lock.js";

export { cargoLockCataloger, parseCargoLock } from "./cargo-lock.js";

/** Rust catalogers, in registry order. */
export const rustCatalogers: readonly Cataloger[] = [cargoLockCataloger];
