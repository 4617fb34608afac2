/**
 * Who describes images for the black+description condition: the item's own description (default),
 * a local vision-language checkpoint, or an OpenAI-compatible endpoint (src/core/probes/conditions.ts
 * and describer.ts).
 */
import { join } from 'node:path';
import type { RuntimeOptions } from '../model/modelRuntime';
import { itemDescriber, modelDescriber, type Describer } from '../probes/conditions';
import { endpointDescriber } from '../probes/describer';
import { openProbeModel } from '../probes/probeModel';
import type { DescriberChoice } from './jobProtocol';

/** Greedy tokens a local describer may write per image. */
export const DESCRIPTION_TOKENS = 512;

export interface OpenedDescriber {
  describer: Describer;
  /** Releases a local describer model's sessions (nothing for the others). */
  unload(): Promise<void>;
}

/** The describer chosen; an endpoint's cache defaults to `<outDir>/description-cache`. */
export function openDescriber(choice: DescriberChoice | undefined, outDir: string, runtime: RuntimeOptions): OpenedDescriber {
  if (choice?.kind === 'endpoint') {
    return { describer: endpointDescriber({ baseUrl: choice.baseUrl, model: choice.model, apiKey: choice.apiKey, cacheDir: choice.cacheDir ?? join(outDir, 'description-cache') }), unload: async () => {} };
  }
  if (choice?.kind === 'model') {
    const model = openProbeModel('in', choice.dir, runtime);
    return { describer: modelDescriber(model, DESCRIPTION_TOKENS), unload: () => model.runtime.unload() };
  }
  return { describer: itemDescriber, unload: async () => {} };
}

/** The local describer model's folder, when there is one (the memory plan counts it). */
export function describerModelDir(choice: DescriberChoice | undefined): string | undefined {
  return choice?.kind === 'model' ? choice.dir : undefined;
}
