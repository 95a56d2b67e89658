#!/usr/bin/env node
// Validates a Forge manifest with Atlassian's own validator (@forge/manifest, the
// schema and validators the Forge CLI runs for `forge lint` / `forge deploy`).
//
// Usage: node validate.js [--strict-connect] /abs/path/manifest.yml...
// Prints ONE JSON line per file: {"success":bool,"errors":[{"level","message","line"}...]}
// ("errors" also holds the warnings: level is "error" or "warning").
// Exit code 0 whenever the validator ran (whatever the verdict: the caller reads the
// JSON); non-zero only when it could not run (bad usage, package not installed, crash).
//
// API, as found in node_modules/@forge/manifest/out/index.{js,d.ts} (version 13.7.0):
//   validate(basic?: boolean = false, manifest?: string) =>
//     Promise<{success, manifestObject?, errors?: [{message, reference, level, line?, column?, metadata?}]}>
// - It is ASYNC (returns a Promise), so it is awaited here.
// - basic=false selects the FULL validation (FileValidator, YamlValidator, SchemaValidator
//   on out/schema/manifest-schema.json, then ModulesValidator, ConnectModulesValidator,
//   ConnectRemoteValidator, ConnectAuthenticationValidator, PermissionsValidator, ...).
// - `manifest` is a file path; when undefined it falls back to ./manifest.yml in the cwd.
//   Relative paths resolve against the cwd, so the path is made absolute here.
// - A missing file is reported as an error entry (not thrown).
// - The semantic validators only run once the JSON-schema step passed (they need
//   manifestObject.typedContent, which the SchemaValidator sets only on success), so a
//   manifest with schema errors shows only those.
// - `success` is true when only warnings remain; `errors` may be absent when clean.
// - Strings like ${VAR} are interpolated from process.env only for variables declared
//   under `environment.variables` in the manifest.
// - The event -> OAuth-scope check for triggers is NOT part of validate(); it is a separate
//   processor (ValidationTypes.PRODUCT_TRIGGER via ProcessorBuilder) and is not run here.
// - validate() does NOT look inside connectModules entries: the schema's connectModules
//   definition only describes a bare `lifecycle` property, and ConnectModulesValidator only
//   checks the `<product>:<type>` names, at most one `<product>:lifecycle` entry, and
//   (via ModulesValidator) that module keys are unique. Entry contents, a missing `key`, even
//   a non-array value, all pass.
//
// --strict-connect (opt-in, NOT something the Forge CLI does locally): after validate(),
// also checks every connectModules `<product>:<type>` value against the package's own
// schema for the module type `connect-<product>:<type>`
// (definitions.ModuleSchema.properties["connect-jira:generalPages"] etc. in
// out/schema/manifest-schema.json): an array (minItems 1) of objects with that type's
// required fields, `key` always among them (pattern ^[a-zA-Z0-9_-]+$). Its findings are
// appended as level "error" with the prefix "[strict-connect] " and make success false.
'use strict';

const path = require('path');

// Validates each connectModules value against definitions.ModuleSchema.properties
// ["connect-<product>:<type>"] of the package schema, reusing the package's SchemaValidator
// (ajv + its message formatting + line lookup).
async function strictConnect(forgeManifest, manifestObject) {
  const content = manifestObject && manifestObject.yamlContent;
  const connectModules = content && content.connectModules;
  if (!connectModules || typeof connectModules !== 'object') return [];
  // The package exports out/schema/manifest-schema.json as "@forge/manifest/schema.json".
  const full = require('@forge/manifest/schema.json');
  const moduleSchemas = full.definitions.ModuleSchema.properties;
  const properties = {};
  for (const name of Object.keys(connectModules)) {
    // Unknown names are already reported by validate() ("invalid value '...' in connectModules").
    if (Object.prototype.hasOwnProperty.call(moduleSchemas, `connect-${name}`)) {
      properties[name] = { $ref: `#/definitions/ModuleSchema/properties/connect-${name}` };
    }
  }
  const schema = {
    type: 'object',
    properties: { connectModules: { type: 'object', properties } },
    definitions: full.definitions,
  };
  const validator = new forgeManifest.SchemaValidator(schema);
  const res = await validator.validate({
    yamlContent: { connectModules },
    yamlContentByLine: manifestObject.yamlContentByLine,
  });
  return (res.errors || []).map((e) => ({ ...e, message: `[strict-connect] ${e.message}` }));
}

async function main() {
  const args = process.argv.slice(2);
  const strict = args[0] === '--strict-connect';
  const files = strict ? args.slice(1) : args;
  if (files.length === 0) {
    process.stderr.write('usage: node validate.js [--strict-connect] /abs/path/manifest.yml...\n');
    return 2;
  }
  let forgeManifest;
  try {
    forgeManifest = require('@forge/manifest');
  } catch (e) {
    process.stderr.write(
      `cannot load @forge/manifest (run "npm ci" in ${__dirname}): ${e.message}\n`
    );
    return 3;
  }
  // One verdict line per file, in order: one Node start for many manifests.
  for (const file of files) {
    const result = await forgeManifest.validate(false, path.resolve(file));
    let errors = result.errors || [];
    let success = result.success === true;
    if (strict) {
      const extra = await strictConnect(forgeManifest, result.manifestObject);
      if (extra.some((e) => e.level === 'error')) success = false;
      errors = errors.concat(extra);
    }
    const out = {
      success,
      errors: errors.map((e) => ({
        level: e.level,
        message: e.message,
        line: typeof e.line === 'number' ? e.line : null,
      })),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`validator crashed: ${(e && e.stack) || e}\n`);
    process.exitCode = 1;
  }
);
