/**
 * Our answer checking against the peers' own verdicts (test/fixtures/answerGoldens, written by
 * scripts/goldens/answerGoldens.py and vlmEvalKitChoiceGoldens.py from the real Math-Verify and
 * VLMEvalKit code). Each case runs the path `frankenlens score` runs: extractAnswer on the whole
 * response (transfer protocol), then checkAnswer against the gold.
 *
 * - Math-Verify cases: gold as an `expression` answer; agreement = our correct/incorrect equals
 *   `verify(parse(gold), parse(response))`.
 * - VLMEvalKit cases: the letter we read (checkAnswer's choice) against can_infer's letter (null
 *   for none); agreement = the same letter or both none.
 * - Disputed cases (the goldens say why the peer is wrong there): agreement is counted against the
 *   documented right decision (`correct`), and they are listed in the printout.
 *
 * False accepts: cases where we accept (math) or name a letter (choice) and the expected decision
 * is a reject / another letter / none, over all cases.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkAnswer, type CheckResult } from '../../../src/core/bench/answerCheck';
import { extractAnswer, type Extraction } from '../../../src/core/bench/answerExtraction';

const GOLDENS = join(__dirname, '..', '..', 'test', 'fixtures', 'answerGoldens');

interface MathCase {
  id: string;
  source: string;
  class: string;
  gold: string;
  response: string;
  mathVerify: boolean;
  correct?: boolean;
  disputed?: string;
}

interface ChoiceCase {
  id: string;
  source: string;
  choices: Record<string, string>;
  response: string;
  vlmEvalKit: string | null;
  correct?: string | null;
  disputed?: string;
}

interface Outcome {
  id: string;
  group: string;
  agree: boolean;
  falseAccept: boolean;
  disputed?: string;
  ours: string;
  expected: string;
  detail: string;
}

/** The peer's verdict, or for a disputed case the decision its reason documents. */
function expectedOf<T>(testCase: { disputed?: string; correct?: T }, peer: T): T {
  return testCase.disputed !== undefined && testCase.correct !== undefined ? testCase.correct : peer;
}

/** One case's outcome: `ours` against `expected`; a false accept is naming an answer the expectation does not. */
function outcome(testCase: { id: string; disputed?: string }, group: string, ours: boolean | string | null, expected: boolean | string | null, extraction: Extraction, check: CheckResult): Outcome {
  return {
    id: testCase.id,
    group,
    agree: ours === expected,
    falseAccept: ours !== false && ours !== null && ours !== expected,
    ...(testCase.disputed !== undefined ? { disputed: testCase.disputed } : {}),
    ours: String(ours),
    expected: String(expected),
    detail: `extracted ${JSON.stringify(extraction.extracted)} (${extraction.rule}); ${check.rule}: ${check.detail}`,
  };
}

function mathOutcome(testCase: MathCase): Outcome {
  const extraction = extractAnswer(testCase.response);
  const check = checkAnswer(extraction, { answer: testCase.gold, answerType: 'expression' }, testCase.response);
  return outcome(testCase, `math/${testCase.class}`, check.correct, expectedOf(testCase, testCase.mathVerify), extraction, check);
}

function choiceOutcome(testCase: ChoiceCase): Outcome {
  const letters = Object.keys(testCase.choices);
  const choices = letters.map((letter) => testCase.choices[letter]!);
  const extraction = extractAnswer(testCase.response, { choices });
  // The gold letter does not change which choice we read; A is a placeholder.
  const check = checkAnswer(extraction, { answer: 'A', answerType: 'choice', choices }, testCase.response);
  return outcome(testCase, `choice/${testCase.source}`, check.predictedChoice ?? null, expectedOf(testCase, testCase.vlmEvalKit), extraction, check);
}

interface LmmsEvalCase {
  id: string;
  kind: 'choice' | 'open';
  choices?: Record<string, string>;
  gold: string;
  response: string;
  lmmsEval: boolean;
  correct?: boolean;
  disputed?: string;
}

/** lmms-eval's MMMU verdicts (its rule-based parsers): choice items by their options, open ones as math. */
function lmmsEvalOutcome(testCase: LmmsEvalCase): Outcome {
  const choices = testCase.choices ? Object.values(testCase.choices) : undefined;
  const extraction = extractAnswer(testCase.response, { choices });
  const gold = choices ? { answer: testCase.gold, answerType: 'choice' as const, choices } : { answer: testCase.gold, answerType: /^-?\d+(\.\d+)?$/.test(testCase.gold) ? ('number' as const) : ('expression' as const) };
  const check = checkAnswer(extraction, gold, testCase.response);
  return outcome(testCase, `lmms-eval/${testCase.kind}`, check.correct, expectedOf(testCase, testCase.lmmsEval), extraction, check);
}

function percent(count: number, total: number): string {
  return `${((100 * count) / Math.max(1, total)).toFixed(1)}%`;
}

function report(title: string, outcomes: readonly Outcome[]): { agreement: number; falseAccepts: number } {
  const groups = [...new Set(outcomes.map((outcome) => outcome.group))].sort();
  const lines = [`${title}: ${outcomes.length} cases`];
  for (const group of groups) {
    const inGroup = outcomes.filter((outcome) => outcome.group === group);
    const agree = inGroup.filter((outcome) => outcome.agree).length;
    const falseAccepts = inGroup.filter((outcome) => outcome.falseAccept).length;
    lines.push(`  ${group.padEnd(34)} agree ${String(agree).padStart(3)}/${String(inGroup.length).padEnd(3)} ${percent(agree, inGroup.length).padStart(6)}  false accepts ${falseAccepts}`);
  }
  const agree = outcomes.filter((outcome) => outcome.agree).length;
  const falseAccepts = outcomes.filter((outcome) => outcome.falseAccept).length;
  lines.push(`  ${'all'.padEnd(34)} agree ${agree}/${outcomes.length} ${percent(agree, outcomes.length)}  false accepts ${falseAccepts} (${percent(falseAccepts, outcomes.length)})`);
  const disputed = outcomes.filter((outcome) => outcome.disputed !== undefined);
  if (disputed.length > 0) {
    lines.push(`  disputed (counted against the documented decision): ${disputed.length}`);
    for (const outcome of disputed) lines.push(`    ${outcome.agree ? 'ok  ' : 'DIFF'} ${outcome.id}: ours ${outcome.ours}, expected ${outcome.expected} — ${outcome.disputed}`);
  }
  const disagreements = outcomes.filter((outcome) => !outcome.agree);
  if (disagreements.length > 0) {
    lines.push(`  disagreements: ${disagreements.length}`);
    for (const outcome of disagreements) lines.push(`    ${outcome.falseAccept ? 'FALSE ACCEPT ' : ''}${outcome.id}: ours ${outcome.ours}, expected ${outcome.expected}; ${outcome.detail.slice(0, 300)}`);
  }
  console.log(lines.join('\n'));
  return { agreement: agree / outcomes.length, falseAccepts: falseAccepts / outcomes.length };
}

describe('agreement with the peers on their own verdicts (answerGoldens)', () => {
  it('Math-Verify: agreement ≥ 95%, false accepts ≤ 3%', () => {
    const cases = JSON.parse(readFileSync(join(GOLDENS, 'mathVerify.json'), 'utf8')) as MathCase[];
    assert.ok(cases.length > 100);
    const { agreement, falseAccepts } = report('Math-Verify', cases.map(mathOutcome));
    assert.ok(agreement >= 0.95, `agreement ${agreement}`);
    assert.ok(falseAccepts <= 0.03, `false accepts ${falseAccepts}`);
  });

  it("VLMEvalKit's option matching: agreement ≥ 95%, false accepts ≤ 3%", () => {
    const cases = JSON.parse(readFileSync(join(GOLDENS, 'vlmEvalKitChoices.json'), 'utf8')) as ChoiceCase[];
    assert.ok(cases.length > 50);
    const { agreement, falseAccepts } = report('VLMEvalKit choices', cases.map(choiceOutcome));
    assert.ok(agreement >= 0.95, `agreement ${agreement}`);
    assert.ok(falseAccepts <= 0.03, `false accepts ${falseAccepts}`);
  });

  // Measured 91.7% with no false accept: the misses are lmms-eval's own looser rules (two-decimal
  // rounding, the last letter of "A or B", the option text anywhere) and forms we do not read yet
  // ("f(x) = …" in plain text, number words). The floor keeps what is measured from sliding back.
  it("lmms-eval's MMMU parsers: agreement ≥ 90%, false accepts ≤ 3%", () => {
    const cases = JSON.parse(readFileSync(join(GOLDENS, 'lmmsEval.json'), 'utf8')) as LmmsEvalCase[];
    assert.ok(cases.length > 50);
    const { agreement, falseAccepts } = report('lmms-eval MMMU', cases.map(lmmsEvalOutcome));
    assert.ok(agreement >= 0.9, `agreement ${agreement}`);
    assert.ok(falseAccepts <= 0.03, `false accepts ${falseAccepts}`);
  });
});
