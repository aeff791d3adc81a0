import type { Cataloger } from "../../cataloger.js";
import { javaArchiveCataloger } from "./archive.js";
import { gradleLockfileCataloger } from "./gradle-lockfile.js";

export { catalogJavaArchive, javaArchiveCataloger, type JavaArchiveOptions } from "./archive.js";
export { gradleLockfileCataloger, parseGradleLockfile } from "./gradle-lockfile.js";

/** Java catalogers, in registry order. */
export const javaCatalogers: readonly Cataloger[] = [javaArchiveCataloger, gradleLockfileCataloger];
