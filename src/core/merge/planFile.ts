/** A merge plan file (.json or .yaml, as "frankenlens plan" writes it), validated, model paths resolved. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { FrankenlensError } from '../errors';
import { fromMergekitYaml } from './mergekitYaml';
import { validatePlan, type MergePlan } from './mergePlan';

export function readPlanFile(path: string): MergePlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FrankenlensError('InvalidPlan', `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`, path);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new FrankenlensError('InvalidPlan', `${path}: not valid ${/\.ya?ml$/i.test(path) ? 'YAML' : 'JSON'} (${(error as Error).message.split('\n')[0]})`, path);
  }
  const plan = validatePlan(raw, path);
  // Relative model paths in a plan file are relative to the file.
  for (const [alias, modelPath] of Object.entries(plan.models)) plan.models[alias] = resolve(path, '..', modelPath);
  return plan;
}

/** A mergekit passthrough YAML file, imported as a plan. */
export function readMergekitFile(path: string): MergePlan {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new FrankenlensError('InvalidPlan', `${path}: cannot read (${(error as NodeJS.ErrnoException).code})`, path);
  }
  return fromMergekitYaml(text, path);
}
