import { parseArgs } from 'node:util';
import { generateGreedy } from '../../core/model/generate';
import { MEMORY_BUDGET_ENV } from '../../core/model/memoryPlan';
import { ModelRuntime } from '../../core/model/modelRuntime';
import { embedPrompt } from '../../core/model/promptEmbedding';
import { peakRssBytes } from '../../core/processMemory';
import type { CancelToken } from '../../core/progress';
import { loadChatTemplate } from '../../core/text/chatTemplate';
import { loadGenerationSettings, maxNewTokensFor } from '../../core/text/generationConfig';
import { loadTokenizer } from '../../core/text/tokenizer';
import { buildModelInputs, loadVisionLanguageProcessor } from '../../core/text/visionPrompt';
import { readImageFile } from '../../core/vision/imageDecode';
import { executionProvider, PRECISION_USAGE, weightPrecision } from '../choiceArgument';
import { UsageError } from '../cliErrors';
import { checkMemoryPlan, modelConfigOf } from '../../core/jobs/memoryCheck';
import { MEMORY_BUDGET_OPTION, memoryBudgetFlag } from '../memoryBudgetArgument';
import { wholeNumber } from '../wholeNumberArgument';

export const GENERATE_USAGE = `frankenlens generate --model DIR [--image FILE] --prompt TEXT [options]

Greedy decoding with a KV cache on onnxruntime, from the checkpoint's own weights (ONNX graphs are
built once and cached; weights are referenced, never copied). The prompt goes through the
checkpoint's chat template as one user message; the image (PNG or JPEG) is placed before the text.

Options:
  --max-new-tokens N   at most N new tokens (default as transformers: max_new_tokens of
                       generation_config.json, else max_length less the prompt, 20 when unset)
  --device D           auto (CUDA when "frankenlens gpu check" passes, else CPU, saying why), cpu or
                       cuda (fails with what is missing) (default auto)
  --threads N          onnxruntime threads per operator (default: one per core)
${PRECISION_USAGE}
  --cache-dir DIR      graph cache folder (default ~/.cache/frankenlens/graphs)
  --memory-budget SIZE memory the run may use, e.g. 48GB, 512MiB or bytes (binary units: 48GB =
                       48GiB; default ${MEMORY_BUDGET_ENV}, else the free memory); refuses before
                       loading when the CPU plan for this prompt and answer cap needs more
  --json               print the answer with the effective settings and timings (peak RSS included) as JSON`;

export async function generateCommand(argv: string[], cancel: CancelToken): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      image: { type: 'string' },
      prompt: { type: 'string' },
      'max-new-tokens': { type: 'string' },
      device: { type: 'string', default: 'auto' },
      threads: { type: 'string', default: '0' },
      precision: { type: 'string', default: 'float32' },
      'cache-dir': { type: 'string' },
      ...MEMORY_BUDGET_OPTION,
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
    strict: true,
  });
  if (positionals.length > 0) throw new UsageError('generate takes no positional arguments');
  if (!values.model) throw new UsageError('generate needs --model DIR');
  if (values.prompt === undefined) throw new UsageError('generate needs --prompt TEXT');
  const device = executionProvider(values.device!);
  const threads = wholeNumber('--threads', values.threads!);
  const precision = weightPrecision(values.precision!);
  const dir = values.model;
  const config = modelConfigOf(dir);
  const generationSettings = loadGenerationSettings(dir);

  let inputIds: number[];
  let images: { pixelValues: Float32Array; grids: { t: number; h: number; w: number }[] } | undefined;
  const tokenizer = loadTokenizer(dir);
  if (values.image) {
    const processor = loadVisionLanguageProcessor(dir);
    const inputs = buildModelInputs(processor, [{ role: 'user', content: [{ type: 'image', image: readImageFile(values.image), name: values.image }, { type: 'text', text: values.prompt }] }]);
    inputIds = inputs.inputIds;
    images = { pixelValues: inputs.pixelValues, grids: inputs.images.map(({ gridThw: [t, h, w] }) => ({ t, h, w })) };
  } else {
    inputIds = tokenizer.encode(loadChatTemplate(dir, tokenizer).render([{ role: 'user', content: values.prompt }], { addGenerationPrompt: true }));
  }
  const maxNewTokens = values['max-new-tokens'] === undefined ? maxNewTokensFor(generationSettings, inputIds.length, config.decoder.maxPositionEmbeddings) : wholeNumber('--max-new-tokens', values['max-new-tokens']);
  // This prompt's own length and image size: known before anything is loaded.
  const imagePatches = images ? Math.max(...images.grids.map(({ t, h, w }) => t * h * w)) : undefined;
  const plan = checkMemoryPlan({ command: 'generate', models: [config], promptTokens: inputIds.length, promptKnown: true, maxNewTokens, precision, images: images !== undefined, imagePatches }, { budget: memoryBudgetFlag(values['memory-budget']), device, log: (line) => process.stderr.write(`${line}\n`) });

  const runtime = ModelRuntime.open(dir, { executionProvider: device, intraOpThreads: threads, precision, cacheDir: values['cache-dir'], releaseVisionAfterEncoding: plan.request.visionResident === false });
  try {
    const prompt = await embedPrompt(runtime, inputIds, images);
    const generation = await generateGreedy(runtime, inputIds, prompt, { maxNewTokens, repetitionPenalty: generationSettings.repetitionPenalty, eosTokenIds: generationSettings.eosTokenIds }, { cancel });
    const text = tokenizer.decode(generation.tokens, { skipSpecialTokens: true });
    if (!values.json) return text;
    const decodeSteps = Math.max(0, generation.tokens.length - 1);
    return JSON.stringify({
      model: runtime.checkpoint.path,
      image: values.image ?? null,
      promptTokens: inputIds.length,
      imageTokens: prompt.imageTokenPositions.length,
      tokens: generation.tokens,
      text,
      stoppedBy: generation.stoppedBy,
      settings: { ...generation.settings, source: generationSettings.source, notApplied: generationSettings.notApplied },
      executionProvider: await runtime.provider(),
      precision: runtime.precision,
      prefillSeconds: generation.prefillSeconds,
      decodeSeconds: generation.decodeSeconds,
      decodeTokensPerSecond: decodeSteps > 0 ? decodeSteps / generation.decodeSeconds : null,
      peakRssBytes: peakRssBytes(),
    }, null, 2);
  } finally {
    await runtime.unload();
  }
}

