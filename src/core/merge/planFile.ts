/** A merge plan file (.json or .yaml, as "frankenlens plan" writes it), validated, model paths resolved. */
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FrankenlensError } from '../errors';
import { CONFIG_FILE_BYTES, isStackOverflow, MAX_NESTING, nestedTooDeeply, nestingExceeds, parseJson, readRegularFileText, yamlNestingExceeds } from '../regularFile';
import { fromMergekitYaml } from './mergekitYaml';
import { validatePlan, type MergePlan } from './mergePlan';

const PLAN_LIMIT = { code: 'InvalidPlan', maxBytes: CONFIG_FILE_BYTES } as const;

export function readPlanFile(path: string): MergePlan {
  const text = readRegularFileText(path, PLAN_LIMIT);
  const raw = /\.ya?ml$/i.test(path) ? parsePlanYaml(text, path) : parseJson(text, path, 'InvalidPlan');
  const plan = validatePlan(raw, path);
  // Relative model paths in a plan file are relative to the file.
  for (const [alias, modelPath] of Object.entries(plan.models)) plan.models[alias] = resolve(path, '..', modelPath);
  return plan;
}

/** YAML, with the parser's stack overflow on deep nesting reported as such. */
function parsePlanYaml(text: string, path: string): unknown {
  if (yamlNestingExceeds(text, MAX_NESTING)) throw nestedTooDeeply(path);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    if (isStackOverflow(error)) throw nestedTooDeeply(path);
    throw new FrankenlensError('InvalidPlan', `${path}: not valid YAML (${(error as Error).message.split('\n')[0]})`, path);
  }
  if (nestingExceeds(raw, MAX_NESTING)) throw nestedTooDeeply(path);
  return raw;
}

/** A mergekit passthrough YAML file, imported as a plan. */
export function readMergekitFile(path: string): MergePlan {
  return fromMergekitYaml(readRegularFileText(path, PLAN_LIMIT), path);
}
