/**
 * The flags that choose who describes images for the black+description condition, shared by the
 * commands that run it: the item's own description (default), a local vision-language checkpoint,
 * or an OpenAI-compatible endpoint (src/core/jobs/describerChoice.ts).
 */
import type { DescriberChoice } from '../core/jobs/jobProtocol';
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

/** The describer the flags ask for; undefined: the items' own descriptions. */
export function describerChoice(values: Partial<Record<keyof typeof DESCRIBER_OPTIONS, string>>): DescriberChoice | undefined {
  if (values['describer-url'] && values['describer-model']) throw new UsageError('--describer-url and --describer-model exclude each other');
  if (values['describer-url']) {
    if (!values['describer-name']) throw new UsageError('--describer-url needs --describer-name MODEL');
    const apiKey = values['describer-key-env'] ? process.env[values['describer-key-env']] : undefined;
    return { kind: 'endpoint', baseUrl: values['describer-url'], model: values['describer-name'], apiKey, cacheDir: values['describer-cache'] };
  }
  if (values['describer-model']) return { kind: 'model', dir: values['describer-model'] };
  return undefined;
}
