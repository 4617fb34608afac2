/**
 * Input conditions and describers: the black image keeps the real one's token layout; the
 * description layout; the endpoint describer against a local HTTP server started here (temperature
 * 0, a failed request retried, the answer cached with its prompt and model so no second request).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchmarkItem } from '../../../src/core/bench/benchmarkItems';
import { FrankenlensError } from '../../../src/core/errors';
import { conditionMessages, DESCRIBE_PROMPT } from '../../../src/core/probes/conditions';
import { endpointDescriber } from '../../../src/core/probes/describer';
import { openProbeModel, preparePrompt } from '../../../src/core/probes/probeModel';
import { readImageFile } from '../../../src/core/vision/imageDecode';
import { tempDir } from '../../helpers/tempDir';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures');
const model = openProbeModel('in', join(FIXTURES, 'qwen2_5_vl_tiny'), { cacheDir: tempDir(), intraOpThreads: 1 });
after(() => model.runtime.unload());
const imagePath = join(FIXTURES, 'vision_functionality', 'counting', 'images', 'counting_000000_t.jpg');
const item: BenchmarkItem = { id: 'q1', images: [imagePath], question: 'How many?', answer: '3', answerType: 'number', description: 'Three cubes.' };

describe('input conditions', () => {
  it('the black image has the real image\'s size and token layout', async () => {
    const real = await conditionMessages(item, 'real', {});
    const black = await conditionMessages(item, 'black', {});
    const image = (messages: typeof real) => (messages[0]!.content as { type: string; image?: { width: number; height: number; data: Uint8Array } }[])[0]!.image!;
    assert.deepEqual([image(black).width, image(black).height], [image(real).width, image(real).height]);
    assert.ok(image(black).data.every((byte) => byte === 0));
    const [a, b] = [await preparePrompt(model, real), await preparePrompt(model, black)];
    assert.deepEqual(a.ids, b.ids);
  });

  it('black+description puts the description and the question after the prefix', async () => {
    const messages = await conditionMessages(item, 'black+description', { system: 'S', prefix: 'Solve it.' });
    assert.deepEqual(messages[0], { role: 'system', content: 'S' });
    const parts = messages[1]!.content as { type: string; text?: string }[];
    assert.equal(parts.at(-1)!.text, 'Solve it.\n\nImage Description: Three cubes.\n\nQuestion: How many?');
    await assert.rejects(conditionMessages({ ...item, description: undefined }, 'black+description', {}), (error: unknown) => error instanceof FrankenlensError && /no description/.test(error.message));
  });
});

describe('endpoint describer', () => {
  it('asks with temperature 0, retries a failure, caches with prompt and model', async () => {
    const requests: Record<string, unknown>[] = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        requests.push(JSON.parse(body) as Record<string, unknown>);
        if (requests.length === 1) {
          response.writeHead(503).end('busy');
          return;
        }
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: ' A red cube. ' } }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    after(() => server.close());
    const cacheDir = tempDir();
    const options = { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, model: 'judge-1', cacheDir, retryDelayMs: 1 };
    const images = [{ path: imagePath, image: readImageFile(imagePath) }];
    assert.equal(await endpointDescriber(options).describe(item, images), 'A red cube.');
    assert.equal(requests.length, 2, 'one failure, one retry');
    assert.equal(requests[1]!.temperature, 0);
    assert.equal(requests[1]!.model, 'judge-1');
    const [cached] = readdirSync(cacheDir);
    const entry = JSON.parse(readFileSync(join(cacheDir, cached!), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([entry.model, entry.prompt, entry.description], ['judge-1', DESCRIBE_PROMPT, 'A red cube.']);
    assert.equal(await endpointDescriber(options).describe(item, images), 'A red cube.');
    assert.equal(requests.length, 2, 'served from the cache');
    await endpointDescriber({ ...options, model: 'judge-2' }).describe(item, images);
    assert.equal(requests.length, 3, 'another model is another cache entry');
  });
});
