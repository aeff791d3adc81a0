import type { Cataloger } from "../../cataloger.js";
import { goBinaryCataloger } from "./binary.js";
import { goModCataloger } from "./go-mod.js";

export { goBinaryCataloger } from "./binary.js";
export { type BuildInfoRead, readBuildInfo } from "./buildinfo.js";
export { goModCataloger } from "./go-mod.js";
export { type GoModule, type ModInfo, parseModInfo } from "./modinfo.js";

/** The Go catalogers (ecosystem `Go`): go.mod for source trees, build info for binaries. */
export const goCatalogers: readonly Cataloger[] = [goModCataloger, goBinaryCataloger];
