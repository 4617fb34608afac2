/**
 * An optional OpenAI-compatible chat endpoint as the image describer (set up by the user; nothing
 * here calls out unless asked). Unlike the paper's use of the API: temperature 0, failures retried
 * with backoff instead of recorded, and every description cached on disk together with the model
 * name, prompts and image hash it came from, so a rerun or another recipe reuses the same text.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { FrankenlensError } from '../errors';
import { CONFIG_FILE_BYTES, readJsonFile } from '../regularFile';
import type { RgbImage } from '../vision/imageDecode';
import { DESCRIBE_PROMPT, type Describer } from './conditions';
import { writeJsonAtomic } from '../atomicWrite';

export const DESCRIBE_SYSTEM = 'You describe images for someone who cannot see them. Report only what is visible; do not solve or answer anything.';

export interface EndpointOptions {
  /** e.g. http://localhost:8000/v1 (…/chat/completions is appended). */
  baseUrl: string;
  model: string;
  apiKey?: string;
  cacheDir: string;
  /** Attempts per request (default 4), waiting retryDelayMs · 2^attempt between them (default 1000 ms). */
  attempts?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  prompt?: string;
}

interface CachedDescription {
  model: string;
  system: string;
  prompt: string;
  imageSha256: string;
  temperature: 0;
  description: string;
}

export function endpointDescriber(options: EndpointOptions): Describer {
  const prompt = options.prompt ?? DESCRIBE_PROMPT;
  return {
    name: `endpoint ${options.baseUrl} model ${options.model}`,
    async describe(_item, images) {
      const parts: string[] = [];
      for (const { image } of images) parts.push(await describeImage(options, prompt, image));
      return parts.join('\n\n');
    },
  };
}

async function describeImage(options: EndpointOptions, prompt: string, image: RgbImage): Promise<string> {
  const png = encodePng(image);
  const imageSha256 = createHash('sha256').update(png).digest('hex');
  const key = createHash('sha256').update(JSON.stringify([options.model, DESCRIBE_SYSTEM, prompt, imageSha256])).digest('hex');
  mkdirSync(options.cacheDir, { recursive: true });
  const cacheFile = join(options.cacheDir, `${key}.json`);
  if (existsSync(cacheFile)) return cachedDescription(cacheFile);
  const body = {
    model: options.model,
    temperature: 0,
    messages: [
      { role: 'system', content: DESCRIBE_SYSTEM },
      { role: 'user', content: [{ type: 'text', text: prompt }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } }] },
    ],
  };
  const description = await chatCompletion(options, body);
  const cached: CachedDescription = { model: options.model, system: DESCRIBE_SYSTEM, prompt, imageSha256, temperature: 0, description };
  writeJsonAtomic(cacheFile, cached);
  return description;
}

/** A description cached by an earlier run; a broken cache file is named, not silently redone. */
function cachedDescription(cacheFile: string): string {
  const description = (readJsonFile(cacheFile, { code: 'InvalidArgument', maxBytes: CONFIG_FILE_BYTES }) as Partial<CachedDescription> | null)?.description;
  if (typeof description !== 'string') throw new FrankenlensError('InvalidArgument', `${cacheFile}: not a cached description (delete it to describe the image again)`, cacheFile);
  return description;
}

/** POSTs a chat completion; network errors, 429 and 5xx are retried, other statuses fail at once. */
async function chatCompletion(options: EndpointOptions, body: unknown): Promise<string> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  const attempts = options.attempts ?? 4;
  let lastProblem = '';
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, (options.retryDelayMs ?? 1000) * 2 ** (attempt - 1)));
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 120_000),
      });
    } catch (error) {
      lastProblem = (error as Error).message;
      continue;
    }
    if (response.status === 429 || response.status >= 500) {
      lastProblem = `HTTP ${response.status}`;
      continue;
    }
    const text = await response.text();
    if (!response.ok) throw new FrankenlensError('InvalidArgument', `${url}: HTTP ${response.status}: ${text.slice(0, 200)}`);
    const content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
    if (typeof content !== 'string' || content.trim() === '') throw new FrankenlensError('InvalidArgument', `${url}: the reply has no message content`);
    return content.trim();
  }
  throw new FrankenlensError('InvalidArgument', `${url}: no answer after ${attempts} attempts (${lastProblem})`);
}

function encodePng(image: RgbImage): Buffer {
  const png = new PNG({ width: image.width, height: image.height });
  for (let pixel = 0; pixel < image.width * image.height; pixel++) {
    png.data[4 * pixel] = image.data[3 * pixel]!;
    png.data[4 * pixel + 1] = image.data[3 * pixel + 1]!;
    png.data[4 * pixel + 2] = image.data[3 * pixel + 2]!;
    png.data[4 * pixel + 3] = 255;
  }
  return PNG.sync.write(png);
}
