import type { Cataloger } from "../../cataloger.js";
import { installedPythonCataloger } from "./dist-info.js";
import { pipfileLockCataloger } from "./pipfile-lock.js";
import { poetryLockCataloger } from "./poetry-lock.js";
import { requirementsCataloger } from "./requirements.js";
import { uvLockCataloger } from "./uv-lock.js";

export { installedPythonCataloger } from "./dist-info.js";
export { pipfileLockCataloger } from "./pipfile-lock.js";
export { poetryLockCataloger } from "./poetry-lock.js";
export { requirementsCataloger } from "./requirements.js";
export { normalizePythonName } from "./shared.js";
export { uvLockCataloger } from "./uv-lock.js";

/** The Python catalogers (ecosystem `PyPI`), lockfiles first, then installed distributions. */
export const pythonCatalogers: readonly Cataloger[] = [
  requirementsCataloger,
  poetryLockCataloger,
  pipfileLockCataloger,
  uvLockCataloger,
  installedPythonCataloger,
];
