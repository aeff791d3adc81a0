import type { Cataloger } from "../../cataloger.js";
import { apkCataloger } from "./apk.js";
import { dpkgCataloger } from "./dpkg.js";
import { rpmCataloger } from "./rpm.js";

export { apkCataloger } from "./apk.js";
export { dpkgCataloger } from "./dpkg.js";
export { osReleasePaths, parseOsRelease, readOsRelease } from "./os-release.js";
export { rpmCataloger } from "./rpm.js";

/** Installed-package databases of Linux distributions (root filesystems and images only). */
export const osCatalogers: readonly Cataloger[] = [dpkgCataloger, apkCataloger, rpmCataloger];
