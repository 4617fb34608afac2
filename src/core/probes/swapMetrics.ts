/**
 * The vision-swap metrics. Change (the paper's rule, §1.5): an answer changed when its normalized
 * form differs from the unswapped answer's, except that when either is 20 characters or longer,
 * one containing the other counts as unchanged. Source adoption (ours): the swapped answer gives
 * the source image's expected answer; undefined (null) where the pair cannot tell, e.g. the OCR
 * pairs whose target and source show the same word.
 */
import type { VisionPair } from './visionPairs';
import { metaBox } from './visionPairs';

/** Lowercase, trim, then drop trailing . , ! ? ; : (the paper's normalization). */
export function normalizeSwapAnswer(text: string): string {
  return text.toLowerCase().trim().replace(/[.,!?;:]+$/, '');
}

export function answerChanged(original: string, swapped: string): boolean {
  const a = normalizeSwapAnswer(original);
  const b = normalizeSwapAnswer(swapped);
  if (a.length < 20 && b.length < 20) return a !== b;
  if (a.includes(b) || b.includes(a)) return false;
  return a !== b;
}

/** Whether `answer` gives the source image's answer; null when the pair has none or both images share it. */
export function adoptsSource(pair: VisionPair, answer: string): boolean | null {
  if (pair.sourceAnswer === null || pair.targetAnswer === null) return null;
  switch (pair.task) {
    case 'counting': {
      const source = Number(pair.sourceAnswer);
      if (source === Number(pair.targetAnswer)) return null;
      const count = /\d+/.exec(answer);
      return count !== null && Number(count[0]) === source;
    }
    case 'recognition': {
      const source = yesNo(pair.sourceAnswer);
      if (source === null || source === yesNo(pair.targetAnswer)) return null;
      return yesNo(answer) === source;
    }
    case 'ocr': {
      const source = wordOf(pair.sourceAnswer);
      if (source === wordOf(pair.targetAnswer)) return null;
      return wordOf(answer) === source;
    }
    case 'grounding': {
      const source = metaBox(pair.meta, 'source_bbox_xyxy');
      const target = metaBox(pair.meta, 'target_bbox_xyxy');
      if (!source || !target) return null;
      const threshold = typeof pair.meta.iou_threshold === 'number' ? pair.meta.iou_threshold : 0.5;
      const numbers = answer.match(/-?\d+(?:\.\d+)?/g);
      if (!numbers || numbers.length < 4) return false;
      return boxIou(numbers.slice(0, 4).map(Number) as [number, number, number, number], source) >= threshold;
    }
  }
}

/** Intersection over union of two [x1, y1, x2, y2] boxes (corners in any order). */
export function boxIou(a: readonly [number, number, number, number], b: readonly [number, number, number, number]): number {
  const box = ([x1, y1, x2, y2]: readonly number[]) => [Math.min(x1!, x2!), Math.min(y1!, y2!), Math.max(x1!, x2!), Math.max(y1!, y2!)] as const;
  const [ax1, ay1, ax2, ay2] = box(a);
  const [bx1, by1, bx2, by2] = box(b);
  const overlap = Math.max(0, Math.min(ax2, bx2) - Math.max(ax1, bx1)) * Math.max(0, Math.min(ay2, by2) - Math.max(ay1, by1));
  const union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - overlap;
  return union > 0 ? overlap / union : 0;
}

function yesNo(text: string): 'yes' | 'no' | null {
  const first = /^[^a-z]*([a-z]+)/.exec(text.toLowerCase());
  return first?.[1] === 'yes' || first?.[1] === 'no' ? first[1] : null;
}

/** The answer as one word: lowercase, without surrounding quotes and punctuation. */
function wordOf(text: string): string {
  return text.toLowerCase().trim().replace(/^[\s"'`*]+|[\s"'`*.,!?;:]+$/g, '');
}
