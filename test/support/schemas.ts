/**
 * Validators for the official JSON schemas in the shared reference data (never copied into the
 * repository): CycloneDX, SARIF 2.1.0, OSV. Callers get the shared directory from `requireShared()`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ajvModule from "ajv";
import ajvDraft04 from "ajv-draft-04";
import ajvFormats from "ajv-formats";
import ajv2020Module from "ajv/dist/2020.js";

// CommonJS packages: under NodeNext the default import is `module.exports`, whose `default` is the export.
const Ajv = ajvModule.default;
const Ajv04 = ajvDraft04.default;
const Ajv2020 = ajv2020Module.default;
const addFormats = ajvFormats.default;

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

const load = (shared: string, path: string) =>
  JSON.parse(readFileSync(join(shared, "schemas", path), "utf8")) as Record<string, unknown>;

export function cyclonedxValidator(shared: string, version: "1.5" | "1.6" | "1.7"): Validate {
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  for (const format of ["iri-reference", "idn-email"]) ajv.addFormat(format, true);
  ajv.addSchema(load(shared, "cyclonedx/spdx.schema.json"));
  ajv.addSchema(load(shared, "cyclonedx/jsf-0.82.schema.json"));
  if (version === "1.7") ajv.addSchema(load(shared, "cyclonedx/cryptography-defs.schema.json"));
  return ajv.compile(load(shared, `cyclonedx/bom-${version}.schema.json`)) as Validate;
}

export function sarifValidator(shared: string): Validate {
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(load(shared, "sarif/sarif-schema-2.1.0.json")) as Validate;
}

export function osvValidator(shared: string): Validate {
  const schema = load(shared, "osv/schema.json");
  const draft2020 = String(schema.$schema ?? "").includes("2020-12");
  const ajv = draft2020
    ? new Ajv2020({ allErrors: true, strict: false })
    : new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema) as Validate;
}
