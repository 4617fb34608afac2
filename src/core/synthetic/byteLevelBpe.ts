/**
 * Learns a small byte-level BPE vocabulary (GPT-2/Qwen style) from a seeded pseudo-English corpus,
 * so synthetic checkpoints get a real tokenizer whose merges fire on ordinary prompts.
 */
import { FrankenlensError } from '../errors';
import { seededRandom } from '../seededRandom';

/**
 * GPT-2's reversible byte → printable character map, in its id order: printable Latin-1 bytes map to
 * themselves, the others to U+0100 onwards. Token id i of a byte-level vocabulary is the i-th entry.
 */
export function byteLevelAlphabet(): { byte: number; char: string }[] {
  const printable = (byte: number) => (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || (byte >= 0xae && byte <= 0xff);
  const alphabet: { byte: number; char: string }[] = [];
  for (let byte = 0; byte < 256; byte++) if (printable(byte)) alphabet.push({ byte, char: String.fromCharCode(byte) });
  let next = 256;
  for (let byte = 0; byte < 256; byte++) if (!printable(byte)) alphabet.push({ byte, char: String.fromCharCode(next++) });
  return alphabet;
}

const WORDS = (
  'the a an of in on is are what which how many color shape image picture shows answer question left right top bottom ' +
  'red blue green black white circle square triangle line angle area value number point graph chart table between ' +
  'and or not there this that these it its each total sum difference larger smaller than equal to from with step ' +
  "reason think therefore final box option choose correct let's we find first then so because"
).split(' ');
const SYLLABLES = 'ka lo mi nu ser tal ven dor pri sto qua ble tion ment ing er ed al re un con pro vis ual mod el'.split(' ');

/** A deterministic corpus of questions and statements: common words plus seeded made-up words. */
function seededCorpus(seed: number, sentences: number): string[] {
  const random = seededRandom(seed, 'bpe-corpus');
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const lines: string[] = [];
  for (let s = 0; s < sentences; s++) {
    const words: string[] = [];
    const length = 4 + Math.floor(random() * 8);
    for (let w = 0; w < length; w++) {
      const roll = random();
      if (roll < 0.7) words.push(pick(WORDS));
      else if (roll < 0.95) words.push(Array.from({ length: 2 + Math.floor(random() * 2) }, () => pick(SYLLABLES)).join(''));
      else words.push(String(Math.floor(random() * 1000)));
    }
    words[0] = words[0]![0]!.toUpperCase() + words[0]!.slice(1);
    lines.push(`${words.join(' ')}${pick(['.', '?', ',', '!'])}`);
  }
  return lines;
}

export interface ByteLevelBpe {
  /** Token string (byte-level characters) → id; ids 0..255 are the bytes, then learned tokens. */
  vocab: Map<string, number>;
  /** Merge rules in priority order, each as the two token strings. */
  merges: [string, string][];
}

/**
 * Learns merges until the vocabulary holds `vocabSize` tokens (the 256 bytes included). `preTokenize`
 * is the tokenizer's own pre-tokenizer (split, then bytes to characters), so merges never cross the
 * boundaries encoding will see. Ties between equally frequent pairs go to the pair of smaller ids.
 */
export function learnByteLevelBpe(vocabSize: number, seed: number, preTokenize: (text: string) => string[]): ByteLevelBpe {
  const alphabet = byteLevelAlphabet();
  const tokens: string[] = alphabet.map(({ char }) => char);
  const vocab = new Map(tokens.map((token, id) => [token, id]));
  const merges: [string, string][] = [];

  const wordCounts = new Map<string, number>();
  const corpus = seededCorpus(seed, Math.max(200, vocabSize));
  for (const line of corpus) {
    for (const chars of preTokenize(line)) wordCounts.set(chars, (wordCounts.get(chars) ?? 0) + 1);
  }
  const words = [...wordCounts].map(([chars, count]) => ({ ids: [...chars].map((c) => vocab.get(c)!), count }));

  const PAIR = 1 << 21;
  while (tokens.length < vocabSize) {
    const pairCounts = new Map<number, number>();
    for (const { ids, count } of words) {
      for (let i = 0; i + 1 < ids.length; i++) {
        const key = ids[i]! * PAIR + ids[i + 1]!;
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + count);
      }
    }
    let best = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) if (count > bestCount || (count === bestCount && key < best)) [best, bestCount] = [key, count];
    if (best < 0) {
      throw new FrankenlensError('InvalidArgument', `a byte-level BPE of ${vocabSize} tokens cannot be learned from the synthetic corpus (it stops at ${tokens.length})`);
    }
    const [left, right] = [Math.floor(best / PAIR), best % PAIR];
    const merged = tokens[left]! + tokens[right]!;
    merges.push([tokens[left]!, tokens[right]!]);
    // Two merge paths can spell the same string ("ab"+"c", "a"+"bc"): one id, as in HF vocabularies.
    let mergedId = vocab.get(merged);
    if (mergedId === undefined) {
      mergedId = tokens.length;
      tokens.push(merged);
      vocab.set(merged, mergedId);
    }
    for (const word of words) {
      const ids = word.ids;
      const out: number[] = [];
      for (let i = 0; i < ids.length; i++) {
        if (i + 1 < ids.length && ids[i] === left && ids[i + 1] === right) {
          out.push(mergedId);
          i++;
        } else out.push(ids[i]!);
      }
      word.ids = out;
    }
  }
  return { vocab, merges };
}
