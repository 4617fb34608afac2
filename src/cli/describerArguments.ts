/**
 * The flags that choose who describes images for the black+description condition, shared by the
 * commands that run it: the item's own description (default), a local vision-language checkpoint,
 * or an OpenAI-compatible endpoint (core: src/core/probes/conditions.ts and describer.ts).
 */
import { join } from 'node:path';
import type { RuntimeOptions } from '../core/model/modelRuntime';
import { itemDescriber, modelDescriber, type Describer } from '../core/probes/conditions';
import { endpointDescriber } from '../core/probes/describer';
import { openProbeModel } from '../core/probes/probeModel';
import { UsageError } from './cliErrors';

export const DESCRIBER_OPTIONS = {
  'describer-model': { type: 'string' },
  'describer-url': { type: 'string' },
  'describer-name': { type: 'string' },
  'describer-key-env': { type: 'string' },
  'describer-cache': { type: 'string' },
} as const;

export const DESCRIBER_USAGE = `  --describer-model DIR  describe images with this local model (default: the item's description)
  --describer-url URL    or an OpenAI-compatible endpoint (…/v1), with --describer-name MODEL,
                         --describer-key-env VAR (API key from that variable) and --describer-cache DIR`;

/** Greedy tokens a local describer may write per image. */
export const DESCRIPTION_TOKENS = 512;

export interface OpenedDescriber {
  describer: Describer;
  /** Releases a local describer model's sessions (nothing for the others). */
  unload(): Promise<void>;
}

/** The describer the flags ask for; the endpoint's cache defaults to `<outDir>/description-cache`. */
export function openDescriber(values: Partial<Record<keyof typeof DESCRIBER_OPTIONS, string>>, outDir: string, runtime: RuntimeOptions): OpenedDescriber {
  if (values['describer-url'] && values['describer-model']) throw new UsageError('--describer-url and --describer-model exclude each other');
  if (values['describer-url']) {
    if (!values['describer-name']) throw new UsageError('--describer-url needs --describer-name MODEL');
    const apiKey = values['describer-key-env'] ? process.env[values['describer-key-env']] : undefined;
    return { describer: endpointDescriber({ baseUrl: values['describer-url'], model: values['describer-name'], apiKey, cacheDir: values['describer-cache'] ?? join(outDir, 'description-cache') }), unload: async () => {} };
  }
  if (values['describer-model']) {
    const model = openProbeModel('in', values['describer-model'], runtime);
    return { describer: modelDescriber(model, DESCRIPTION_TOKENS), unload: () => model.runtime.unload() };
  }
  return { describer: itemDescriber, unload: async () => {} };
}
