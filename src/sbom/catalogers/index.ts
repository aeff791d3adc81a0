import type { Cataloger } from "../cataloger.js";
import { dotnetCatalogers } from "./dotnet/index.js";
import { goCatalogers } from "./go/index.js";
import { javaCatalogers } from "./java/index.js";
import { javascriptCatalogers } from "./javascript/index.js";
import { osCatalogers } from "./os/index.js";
import { phpCatalogers } from "./php/index.js";
import { pythonCatalogers } from "./python/index.js";
import { rubyCatalogers } from "./ruby/index.js";
import { rustCatalogers } from "./rust/index.js";

/**
 * Every cataloger, in one explicit list (nothing registers itself at import time). Order only
 * affects the order of issues; merging makes the SBOM independent of it.
 */
export const CATALOGERS: readonly Cataloger[] = [
  ...javascriptCatalogers,
  ...pythonCatalogers,
  ...goCatalogers,
  ...rustCatalogers,
  ...rubyCatalogers,
  ...phpCatalogers,
  ...dotnetCatalogers,
  ...javaCatalogers,
  ...osCatalogers,
];
