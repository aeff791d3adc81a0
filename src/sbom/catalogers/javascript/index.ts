import type { Cataloger } from "../../cataloger.js";
import { nodeModulesCataloger } from "./node-modules.js";
import { packageLockCataloger } from "./package-lock.js";
import { pnpmLockCataloger } from "./pnpm-lock.js";
import { yarnLockCataloger } from "./yarn-lock.js";

export { installedFolderName, nodeModulesCataloger } from "./node-modules.js";
export { packageLockCataloger } from "./package-lock.js";
export { pnpmLockCataloger } from "./pnpm-lock.js";
export { yarnLockCataloger } from "./yarn-lock.js";

/** The npm ecosystem's catalogers: three lockfile formats for source trees, installed packages for images. */
export const javascriptCatalogers: readonly Cataloger[] = [
  packageLockCataloger,
  yarnLockCataloger,
  pnpmLockCataloger,
  nodeModulesCataloger,
];
