import type { Cataloger } from "../../cataloger.js";
import { packagesLockCataloger } from "./packages-lock.js";

export { packagesLockCataloger, parsePackagesLock } from "./packages-lock.js";

/** .NET catalogers, in registry order. */
export const dotnetCatalogers: readonly Cataloger[] = [packagesLockCataloger];
