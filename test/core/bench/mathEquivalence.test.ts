/**
 * Math equivalence by answer class, each case as Math-Verify decides it (verify(gold, pred) with its
 * defaults), or as the goldens document where we deliberately differ (marked "deviation").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mathEquivalent } from '../../../src/core/bench/mathEquivalence';

/** [prediction, gold, equal] */
const CLASSES: Record<string, [string, string, boolean][]> = {
  expressions: [
    ['x/2', '\\frac{1}{2}x', true],
    ['\\frac{1}{\\sqrt2}', '\\sqrt{2}/2', true],
    ['\\sec^2(y)', '\\tan^2(y)+1', true],
    ['\\frac{x}{7}+\\frac{2}{7}', '\\frac{x+2}{7}', true],
    ['x+1', 'x+2n+1', false],
    ['\\cfrac{1}{3}', '1/3', true],
    ['\\frac{1}{3x^{2/3}}', '\\frac{1}{3\\sqrt[3]{x}^2}', true],
  ],
  numbers: [
    ['0.333333', '\\frac13', true],
    ['0.333', '\\frac13', false],
    ['2.828427', '2\\sqrt2', true],
    ['1\\,000', '1000', true],
    ['1\\!000', '1000', true],
    ['1 000', '1000', true],
    ['2{,}5', '2.5', true], // deviation: LaTeX decimal comma
    ['3 \\times 10^{5}', '300000', true],
    ['3e5', '300000', true],
    ['−3', '-3', true],
  ],
  percentages: [
    ['50\\%', '0.5', true],
    ['50\\%', '\\frac12', true],
    ['50', '50\\%', false],
    ['25%', '25', true],
    ['26%', '25', false],
  ],
  angles: [
    ['90', '90^\\circ', true],
    ['\\frac{\\pi}{2}', '90^\\circ', true], // deviation: degrees against radians
    ['60^\\circ', '\\frac{\\pi}{3}', true],
    ['90 radians', '90^\\circ', false],
  ],
  units: [
    ['5\\,\\text{cm}', '5', true],
    ['12\\ \\mathrm{m/s}', '12', true],
    ['12 \\text{ m}^2', '12', true],
    ['13 \\text{ m}^2', '12', false],
    ['125\\textnormal{ miles}', '125 miles', true],
    ['3 hours', '3', true],
  ],
  relations: [
    ['x=3', '3', true],
    ['3', 'x=3', true],
    ['x = 4', '3', false],
    ['2x+1', 'y = 2x+1', true],
    ['1', '2x+z=1', false],
    ['x=1', 'y=1', false],
    ['x - 3 = 0', 'x = 3', true],
    ['y=-\\frac{1}{2}x+\\frac{3}{4}', '2x+4y-3=0', true],
    ['5 \\le x', 'x \\ge 5', true],
    ['-x > -1', 'x<1', true],
    ['x > -1', 'x<1', false],
    ['x = 5+5+1 = 7 =11', 'x = 11', true],
    ['x\\approx11', '11', true],
    ['\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}', '\\frac{n(n+1)}{2}', true],
  ],
  'sets and tuples': [
    ['\\{2,1\\}', '\\{1,2\\}', true],
    ['3, 2, 1', '\\{1,2,3\\}', true],
    ['\\{1,2\\}', '\\{1,2,3\\}', false],
    ['\\{0, 1, 1\\}', '\\{0, 1\\}', true],
    ['x = \\pm 1', '\\{-1, 1\\}', true],
    ['x = 2, x = -3', '-3, 2', true],
    ['(2,1)', '(1,2)', false],
    ['1,2', '(1,2)', true],
    ['x=1, y=2', '(1, 2)', true],
    ['(3, 1.5)', '(3,\\frac{3}{2})', true],
  ],
  intervals: [
    ['[1,2)', '[1,2]', false],
    ['(1,2)', '1 < x < 2', true],
    ['[2,5]', '2 \\le x \\le 5', true],
    ['2 \\le x \\le 5', '[2, 5]', true], // deviation: the inequality read as its interval
    ['x < 3', '(-\\infty, 3)', true],
    ['x \\le 3', '(-\\infty, 3)', false],
    ['-2 \\le x \\le 7', 'x \\in [-2,7]', false], // Math-Verify: a set gold is not compared with a relation
    ['[-1, -\\tfrac12) \\cup (-\\tfrac12, 0)', '[-1, -\\frac{1}{2}) \\cup (-\\frac{1}{2}, 0)', true],
  ],
  matrices: [
    ['\\begin{bmatrix}1&2\\\\3&4\\end{bmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', true],
    ['\\begin{pmatrix} 1 & 3 \\\\ 2 & 4 \\end{pmatrix}', '\\begin{pmatrix}1&2\\\\3&4\\end{pmatrix}', false],
    ['\\begin{pmatrix} 0.5 \\\\ 0 \\end{pmatrix}', '\\begin{pmatrix} 1/2 \\\\ 0 \\end{pmatrix}', true],
    ['\\begin{pmatrix} 1 & 2 \\end{pmatrix}', '\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}', false],
    ['\\left[\\begin{array}{cc} 2 & 0 \\\\ 0 & 2 \\end{array}\\right]', '\\begin{pmatrix} 2 & 0 \\\\ 0 & 2 \\end{pmatrix}', true],
  ],
};

describe('math equivalence by answer class (Math-Verify behaviour)', () => {
  for (const [name, cases] of Object.entries(CLASSES)) {
    it(name, () => {
      for (const [pred, gold, equal] of cases) assert.equal(mathEquivalent(pred, gold), equal, `${pred} vs gold ${gold}`);
    });
  }
});
