/**
 * The trainer-side counterpart of a freeze merge: which parameters to hold fixed so that RL never
 * updates a range of decoder layers, as a name list, one Python/JavaScript regex and a snippet.
 */
import { placeTensor, type ModelShape } from '../checkpoint/canonicalNames';
import { FrankenlensError } from '../errors';

export interface TrainerFreezeExport {
  /** HF 0-based decoder layers [start, end). */
  range: [number, number];
  /** The checkpoint's tensors in those layers, in checkpoint order. */
  parameterNames: string[];
  /** Matches those layers' names in `model.named_parameters()` under both Qwen2.5-VL layouts, and nothing else. */
  regex: string;
  pythonSnippet: string;
  note: string;
}

/** Layer placement needs no config: the index comes from the name. */
const NAME_ONLY_SHAPE: ModelShape = { llmLayers: null, visionDepth: null, regionCuts: null };

const digitClass = (low: string, high: string): string => (low === high ? low : `[${low}-${high}]`);

const anyDigits = (count: number): string => (count === 1 ? '[0-9]' : `[0-9]{${count}}`);

/** Alternatives matching exactly the decimal numbers from `low` to `high`, both written with the same number of digits. */
function sameLengthRange(low: string, high: string): string[] {
  if (low === high) return [low];
  if (low.length === 1) return [digitClass(low, high)];
  const [lowHead, lowTail, highHead, highTail] = [low[0]!, low.slice(1), high[0]!, high.slice(1)];
  if (lowHead === highHead) return sameLengthRange(lowTail, highTail).map((tail) => lowHead + tail);
  const tailLength = low.length - 1;
  const alternatives: string[] = [];
  // Split into: low's leading digit with its tail up to 9…9, full blocks in between, high's leading digit from 0…0.
  let firstFull = Number(lowHead);
  let lastFull = Number(highHead);
  if (!/^0+$/.test(lowTail)) {
    alternatives.push(...sameLengthRange(lowTail, '9'.repeat(tailLength)).map((tail) => lowHead + tail));
    firstFull += 1;
  }
  const highPartial = !/^9+$/.test(highTail);
  if (highPartial) lastFull -= 1;
  if (firstFull <= lastFull) alternatives.push(digitClass(String(firstFull), String(lastFull)) + anyDigits(tailLength));
  if (highPartial) alternatives.push(...sameLengthRange('0'.repeat(tailLength), highTail).map((tail) => highHead + tail));
  return alternatives;
}

/** A regex fragment matching exactly the integers in [low, high] written without leading zeros. */
export function integerRangePattern(low: number, high: number): string {
  const alternatives: string[] = [];
  for (let digits = String(low).length; digits <= String(high).length; digits++) {
    const from = Math.max(low, digits === 1 ? 0 : 10 ** (digits - 1));
    const to = Math.min(high, 10 ** digits - 1);
    alternatives.push(...sameLengthRange(String(from), String(to)));
  }
  return alternatives.length === 1 ? alternatives[0]! : `(?:${alternatives.join('|')})`;
}

export function trainerFreezeExport(range: [number, number], tensorNames: string[]): TrainerFreezeExport {
  const [start, end] = range;
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start < end)) {
    throw new FrankenlensError('InvalidArgument', `freeze range [${start}, ${end}) must be HF decoder layers with 0 ≤ start < end`);
  }
  const layerOf = (name: string) => placeTensor(name, NAME_ONLY_SHAPE).hfLayer;
  const layerCount = tensorNames.reduce((count, name) => Math.max(count, (layerOf(name) ?? -1) + 1), 0);
  if (end > layerCount) {
    throw new FrankenlensError('InvalidArgument', `freeze range [${start}, ${end}) reaches past the checkpoint's ${layerCount} decoder layers`);
  }
  const parameterNames = tensorNames.filter((name) => {
    const layer = layerOf(name);
    return layer !== null && start <= layer && layer < end;
  });

  // `model.layers.N.` (transformers ≤ 4.51) or `model.language_model.layers.N.` (≥ 4.52); the
  // trailing `\.` keeps layer 1 from matching 10-19.
  const regex = `^model\\.(?:language_model\\.)?layers\\.${integerRangePattern(start, end - 1)}\\.`;
  const layers = end - start === 1 ? `layer ${start}` : `layers ${start}-${end - 1}`;
  const pythonSnippet = [
    'import re',
    '',
    `# Freeze decoder ${layers} (HF 0-based) before building the optimizer.`,
    `FROZEN = re.compile(r"${regex}")`,
    'frozen = 0',
    'for name, param in model.named_parameters():',
    '    if FROZEN.match(name):',
    '        param.requires_grad = False',
    '        frozen += 1',
    '# A wrapped model (PEFT, DDP) prefixes the names and would match nothing.',
    `assert frozen == ${parameterNames.length}, f"expected ${parameterNames.length} parameters in decoder ${layers}, froze {frozen}"`,
  ].join('\n');
  const note =
    `Freezes decoder ${layers} during RL training, so RL updates only the other layers. This is the trainer-side counterpart ` +
    `of the inference-time freeze merge (the RL checkpoint with these layers taken back from IN), which only approximates it: ` +
    `in a real frozen run the other layers adapt to the unchanged ones.`;
  return { range: [start, end], parameterNames, regex, pythonSnippet, note };
}
