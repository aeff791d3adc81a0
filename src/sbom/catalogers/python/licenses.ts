import parseSpdx from "spdx-expression-parse";

/**
 * Trove license classifiers that name exactly one SPDX license
 * (https://pypi.org/classifiers/). Left out on purpose, because they do not say which license
 * or version: `Apache Software License`, `BSD License`, `GNU General Public License (GPL)`,
 * `GNU Library or Lesser General Public License (LGPL)`, `Artistic License`,
 * `Academic Free License (AFL)`, `Public Domain`, `Other/Proprietary License`. Mapping those would
 * guess (BSD-2 or BSD-3? Apache 1.1 or 2.0?), which catalogers must not do.
 */
export const LICENSE_CLASSIFIERS: Readonly<Record<string, string>> = {
  "License :: OSI Approved :: MIT License": "MIT",
  "License :: OSI Approved :: MIT No Attribution License (MIT-0)": "MIT-0",
  "License :: OSI Approved :: ISC License (ISCL)": "ISC",
  "License :: OSI Approved :: Mozilla Public License 1.0 (MPL)": "MPL-1.0",
  "License :: OSI Approved :: Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
  "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
  "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
  "License :: OSI Approved :: The Unlicense (Unlicense)": "Unlicense",
  "License :: OSI Approved :: Zero-Clause BSD (0BSD)": "0BSD",
  "License :: OSI Approved :: Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
  "License :: OSI Approved :: Universal Permissive License (UPL)": "UPL-1.0",
  "License :: OSI Approved :: zlib/libpng License": "Zlib",
  "License :: OSI Approved :: Historical Permission Notice and Disclaimer (HPND)": "HPND",
  "License :: OSI Approved :: Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
  "License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
  "License :: OSI Approved :: European Union Public Licence 1.0 (EUPL 1.0)": "EUPL-1.0",
  "License :: OSI Approved :: European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
  "License :: OSI Approved :: European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
  "License :: OSI Approved :: GNU Affero General Public License v3": "AGPL-3.0-only",
  "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
  "License :: OSI Approved :: GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
  "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
  "License :: OSI Approved :: GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
  "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
  "License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
  "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
  "License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
  "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
  "License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
};

/** True when `text` is a valid SPDX license expression. */
export function isSpdxExpression(text: string): boolean {
  if (text.length === 0 || text.length > 1000 || text.includes("\n")) return false;
  try {
    parseSpdx(text);
    return true;
  } catch {
    return false;
  }
}
