"""Answer-checking goldens from Math-Verify itself: its verdict on gold answers and model responses.

Writes test/fixtures/answerGoldens/mathVerify.json, a list of
    {"id", "source": "math-verify-tests" | "hard-case" | "realistic", "class", "gold", "response",
     "mathVerify": bool, "testExpected"?: bool, "disputed"?: str}
where mathVerify is exactly `verify(parse(gold), parse(response))` with Math-Verify's defaults
(parse: [LatexExtractionConfig(), ExprExtractionConfig()], fallback_mode="first_match",
extraction_mode="any_match"; verify: float_rounding=6, strict=True, allow_set_relation_comp=False,
timeout_seconds=5). Cases whose parse+verify take over SLOW_S seconds are dropped (their verdict could
depend on the machine's speed through Math-Verify's timeouts).
- math-verify-tests: the (gold, pred, expected) parametrizations of Math-Verify's tests/, read with `ast`;
  testExpected is what the test file expects, under the test's OWN configs (most use
  LatexExtractionConfig(boxed_match_priority=0), some only one extraction target, some other rounding),
  so it can differ from the default-config verdict recorded here.
- hard-case / realistic: written below; `want` is what a careful human grader would say; where
  Math-Verify's verdict differs, the case carries "disputed" with the reason (the verdict stays).

Environment (nothing here is committed but this script and its JSON):
  apt-get install -y python3-sympy python3-antlr4 default-jre-headless
  use the fetch tool (or git clone) for huggingface/Math-Verify and huggingface/latex2sympy2_extended, then
    mkdir -p /tmp/peers/Math-Verify /tmp/peers/latex2sympy2_extended
    git --git-dir=<Math-Verify.git> archive 5d148cfaaf99214c2e4ffb4bc497ab042c592a7a | tar -x -C /tmp/peers/Math-Verify
    git --git-dir=<latex2sympy2_extended.git> archive 08735067b667bb8fb5beb9ef1cbc77d06bae3660 \
        | tar -x -C /tmp/peers/latex2sympy2_extended     # version 1.10.2, the one math-verify 0.8.0 pins
  The ANTLR parser (gen/antlr4_9_3/, not in the repository) is generated on first run from the PS.g4
  grammar with the repository's antlr-4.9.3-complete.jar (`java -jar ... -Dlanguage=Python3`), matching
  Debian's 4.9 Python runtime (a 4.13.2 runtime gets the 4.13.2 jar instead).
Run from the repository root:
    PEERS=/tmp/peers /usr/bin/python3 scripts/goldens/answerGoldens.py
Run-time patch (peer code untouched on disk): latex2sympy2_extended.antlr_parser accepts only runtime
versions starting "4.9.3"/"4.11"/"4.13.2"; Debian ships 4.9.1, whose ATN format is the same as 4.9.3's, so
importlib.metadata.version reports 4.9.3 for it while the package is imported.
"""
import ast
import importlib.metadata as metadata
import json
import os
import subprocess
import sys
import time
from pathlib import Path

PEERS = Path(os.environ.get('PEERS', sys.argv[1] if len(sys.argv) > 1 else '/tmp/peers'))
OUT = Path(os.environ.get('OUT', 'test/fixtures/answerGoldens/mathVerify.json'))
SLOW_S = 2.0
MV = PEERS / 'Math-Verify'
L2S = PEERS / 'latex2sympy2_extended'


def setup_peers():
    runtime = metadata.version('antlr4-python3-runtime')
    tag = {'4.9': '4.9.3', '4.11': '4.11.0', '4.13': '4.13.2'}['.'.join(runtime.split('.')[:2])]
    pkg = L2S / 'src/latex2sympy2_extended'
    gen = pkg / 'gen' / ('antlr4_' + tag.replace('.', '_'))
    if not (gen / 'PSParser.py').exists():
        subprocess.run(['java', '-jar', str(L2S / f'antlr-{tag}-complete.jar'), 'PS.g4', '-Dlanguage=Python3',
                        '-o', str(gen.relative_to(pkg))], cwd=pkg, check=True)
    real_version = metadata.version

    def version(name):
        v = real_version(name)
        return tag if name == 'antlr4-python3-runtime' and v.startswith('4.9.') else v

    metadata.version = version
    sys.path[:0] = [str(MV / 'src'), str(L2S / 'src')]
    import latex2sympy2_extended.antlr_parser  # noqa: F401  (reads the version now)
    metadata.version = real_version
    import sympy
    return {'sympy': sympy.__version__, 'antlr4-python3-runtime': runtime, 'python': sys.version.split()[0]}


ENV = setup_peers()
from math_verify import parse, verify  # noqa: E402


PARSED = {}


def run_mv(gold, response):
    """Math-Verify's verdict with all defaults, and the seconds it took; keeps what parse returned."""
    start = time.monotonic()
    parsed_gold, parsed_response = parse(gold), parse(response)
    verdict = verify(parsed_gold, parsed_response)
    PARSED[gold, response] = [[str(x) for x in parsed_gold], [str(x) for x in parsed_response]]
    return bool(verdict), time.monotonic() - start


# ---------------------------------------------------------------- Math-Verify's own tests
TEST_FILES = ['test_all.py', 'test_boxed.py', 'test_numina_cases.py', 'test_open_thoughts.py', 'test_strict.py',
              'test_yujianll.py']


def test_cases():
    """(file, function, index, gold, pred, expected) from every parametrize over gold/pred/expected."""
    out = []
    for name in TEST_FILES:
        tree = ast.parse((MV / 'tests' / name).read_text())
        for fn in tree.body:
            if not isinstance(fn, ast.FunctionDef):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, 'attr', '') == 'parametrize'):
                    continue
                names = [n.strip() for n in ast.literal_eval(dec.args[0]).split(',')]
                if 'gold' not in names or 'pred' not in names:
                    continue
                exp_name = 'expected' if 'expected' in names else 'result'
                for i, row in enumerate(dec.args[1].elts):
                    try:
                        values = dict(zip(names, ast.literal_eval(row)))
                    except ValueError:
                        continue
                    if values.get('strict') is False or values.get('allow_set_relation_comp') is True:
                        continue  # these rows test a non-default verify option
                    out.append((name[:-3], fn.name, i, values['gold'], values['pred'], bool(values[exp_name])))
    return out


def classify(gold, pred):
    """A rough label of what a test case exercises, from its text."""
    import re
    both = gold + ' ' + pred
    if 'matrix' in both:
        return 'matrix'
    if both.count('\\boxed') > 2 or gold.count('\\boxed') > 1:
        return 'boxed-multi'
    if '%' in both:
        return 'percentage'
    if re.search(r'\\(cup|cap|infty)|\\in\b|^\$?\s*[\[(][^,]+,[^,]+[\])]\s*\$?$', both):
        return 'interval'
    if re.search(r'\\(le|ge|leq|geq|neq|ne)\b|<|>', both):
        return 'inequality'
    if '\\{' in both or re.search(r'\{\s*-?\d+\s*,', both):
        return 'set'
    if re.search(r'\\(circ|degree)|°|\\pi', both):
        return 'angle'
    if re.search(r'(^|[^a-z])[a-zA-Z_]\w*(\([^)]*\))?\s*=', both):
        return 'equation'
    if re.search(r'\(\s*[^()]+,[^()]+\)', both):
        return 'tuple'
    if re.search(r'\d\s*\\?times\s*10|\d[eE][-+]?\d', both):
        return 'scientific'
    if re.search(r'\\text|\\mathrm|\\textbf|\\mbox', both):
        return 'text' if not re.search(r'\d', both) else 'unit'
    if 'sqrt' in both or '√' in both:
        return 'sqrt'
    if re.search(r'\d,\d{3}\b|\d \d{3}\b', both):
        return 'thousands'
    if re.search(r'\d,\d', both):
        return 'decimal-comma'
    if re.search(r'\\[dtc]?frac|\d/\d', both):
        return 'fraction'
    if re.fullmatch(r'[\s$\\(){}]*-?[\d.]+[\s$\\(){}.]*', gold) and re.fullmatch(r'[\s$\\(){}]*-?[\d.,]+[\s$\\(){}.]*', pred):
        return 'number'
    if len(pred) > 80:
        return 'final-answer-sentence'
    return 'expression'



# ---------------------------------------------------------------- hard cases
# (class, gold, response, want, why): want is a careful grader's verdict (None: ambiguous, never disputed);
# why, if given, is the reason recorded when Math-Verify disagrees with want.
HARD = [
    # sets and several answers (unordered)
    ('set', r'$\{1,2,3\}$', r'$\{3,1,2\}$', True, None),
    ('set', r'$\{1,2,3\}$', r'$\{1,2\}$', False, None),
    ('set', r'$\{1,2,3\}$', r'$\{1,2,4\}$', False, None),
    ('set', r'$\{1,2,3\}$', r'$3, 2, 1$', True, 'a bare list of the same elements is the same answer'),
    ('set', r'$-3, 2$', r'$x = 2$ or $x = -3$', True, 'both roots given, in another order'),
    ('set', r'$-3, 2$', r'$x = 2$', False, 'only one of the two roots'),
    ('set', r'$1, 2$', r'The solutions are $x=1$ and $x=2$.', True, 'both solutions given'),
    ('set', r'$1, 2$', r'The solutions are $x=1$ and $x=3$.', False, None),
    ('set', r'$\{-1, 1\}$', r'$x = \pm 1$', True, '\\pm 1 is the set {-1, 1}'),
    ('set', r'$\{0, 1\}$', r'$\{0, 1, 1\}$', True, 'a repeated element does not change a set'),
    # relations and equations with a named left side
    ('relation', '3', r'$x = 3$', True, None),
    ('relation', '3', r'$x = 4$', False, None),
    ('relation', r'$x=3$', '$3$', True, None),
    ('relation', r'$x=3$', '$4$', False, None),
    ('relation', '5', r'$k = 5$', True, None),
    ('relation', r'$x = 3$', r'$x - 3 = 0$', True, 'x - 3 = 0 is the same equation'),
    ('equation', r'$y = 2x + 1$', r'$y = 1 + 2x$', True, None),
    ('equation', r'$y = 2x + 1$', r'$y = 2x - 1$', False, None),
    ('equation', r'$x^2+y^2=1$', r'$y^2 + x^2 = 1$', True, None),
    ('equation', r'$x^2+y^2=1$', r'$x^2+y^2=2$', False, None),
    ('equation', r'$y = 2x + 1$', r'$2x + 1$', True, 'the right side of the gold equation'),
    # matrices
    ('matrix', r'$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$', r'$\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix}$', True, None),
    ('matrix', r'$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$', r'$\begin{bmatrix} 1 & 2 \\ 3 & 5 \end{bmatrix}$', False, None),
    ('matrix', r'$\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}$', r'$\begin{pmatrix} 1 & 3 \\ 2 & 4 \end{pmatrix}$', False, 'the transpose is a different matrix'),
    ('matrix', r'$\begin{pmatrix} 1/2 \\ 0 \end{pmatrix}$', r'$\begin{pmatrix} 0.5 \\ 0 \end{pmatrix}$', True, None),
    ('matrix', r'$\begin{pmatrix} 1 \\ 2 \end{pmatrix}$', r'$\begin{pmatrix} 1 & 2 \end{pmatrix}$', False, 'a row vector is not the column vector'),
    ('matrix', r'$\begin{pmatrix} 2 & 0 \\ 0 & 2 \end{pmatrix}$', r'The matrix is $\left[\begin{array}{cc} 2 & 0 \\ 0 & 2 \end{array}\right]$.', True, 'array inside brackets is the same matrix'),
    # units
    ('unit', '5', r'$5\,\text{cm}$', True, None),
    ('unit', '5', r'$6\,\text{cm}$', False, None),
    ('unit', '5', '5 cm', True, None),
    ('unit', r'$5\text{ cm}$', '5', True, None),
    ('unit', '12', r'$12\ \mathrm{m/s}$', True, None),
    ('unit', '12', r'$\boxed{12 \text{ m}^2}$', True, None),
    ('unit', '12', r'$\boxed{13 \text{ m}^2}$', False, None),
    ('unit', '12.5', r'$\$12.50$', True, None),
    ('unit', '12.5', r'$\$12.05$', False, None),
    ('unit', '3', r'$3 \text{ hours}$', True, None),
    ('unit', '180', r'The answer is 3 hours, i.e. 180 minutes.', True, '3 hours and 180 minutes are the same; it takes the 3 after "answer is"'),
    # intervals vs inequalities
    ('interval', r'$[2, 5]$', r'$x \in [2,5]$', True, None),
    ('interval', r'$[2, 5]$', r'$2 \le x \le 5$', True, 'the inequality describes the same interval'),
    ('interval', r'$[2, 5]$', r'$(2,5)$', False, None),
    ('interval', r'$[2, 5]$', r'$2 < x < 5$', False, 'open interval is not the closed one'),
    ('interval', r'$[2, 5]$', r'$[2, 6]$', False, None),
    ('interval', r'$(-\infty, 3)$', r'$x < 3$', True, 'x < 3 is the same interval'),
    ('interval', r'$(-\infty, 3)$', r'$x \le 3$', False, None),
    ('interval', r'$(-\infty, 3)$', r'$x > 3$', False, None),
    ('inequality', r'$x \ge 1$', r'$[1, \infty)$', True, None),
    ('inequality', r'$x \ge 1$', r'$x \geq 1$', True, None),
    ('inequality', r'$x \ge 1$', r'$x > 1$', False, None),
    ('inequality', r'$x \ge 1$', r'$1 \le x$', True, None),
    ('interval', r'$(-\infty, -1) \cup (1, \infty)$', r'$|x| > 1$', True, 'the same set of x'),
    ('interval', r'$(-\infty, -1) \cup (1, \infty)$', r'$(1, \infty)$', False, None),
    # tuples
    ('tuple', '$(1, 2)$', '$(1,2)$', True, None),
    ('tuple', '$(1, 2)$', '$(2,1)$', False, 'order matters in a point'),
    ('tuple', '$(1, 2)$', '$(1, 2, 3)$', False, None),
    ('tuple', '$(1, 2)$', r'$x=1, y=2$', True, 'the same point written as assignments'),
    ('tuple', '$(3, -1)$', r'The point is $\left(3, -1\right)$.', True, None),
    ('tuple', '$(3, -1)$', r'The point is $\left(-1, 3\right)$.', False, None),
    # LaTeX spacing commands inside numbers and thousands separators
    ('thousands', '1000', r'$1\,000$', True, 'a thin space inside a number is a digit-group separator; it parses 1*0'),
    ('thousands', '1000', r'$1\!000$', True, None),
    ('thousands', '1000', r'$1{,}000$', True, None),
    ('thousands', '1000', r'$1\ 000$', True, 'a control space inside a number is a digit-group separator; it parses 1*0'),
    ('thousands', '1000', r'$1\,001$', False, None),
    ('thousands', '1000000', '1 000 000', True, None),
    ('thousands', '1000000', r'$1\,000\,000$', True, 'thin spaces as digit-group separators; it parses 1*0*0'),
    ('thousands', '1000000', '1 000 001', False, None),
    ('thousands', '7425000', '7,425,000', True, None),
    ('thousands', '12345', 'The total is 12,345 dollars.', True, None),
    ('thousands', '12345', 'The total is 12,346 dollars.', False, None),
    ('thousands', '1234', r'$1,234$', True, None),
    ('thousands', '1234', r'\boxed{1\,234}', True, 'a thin space as digit-group separator; it parses 235'),
    ('thousands', '1234', r'\boxed{1\,243}', False, None),
    # decimal commas
    ('decimal-comma', '2.5', '2,5', True, None),
    ('decimal-comma', '2.5', r'$2{,}5$', True, '{,} is the LaTeX decimal comma; it parses the set {2, 5}'),
    ('decimal-comma', '2.5', '2,6', False, None),
    ('decimal-comma', '0.75', '0,75', True, None),
    ('decimal-comma', '1.234', '1,234', None, None),
    ('decimal-comma', '3.14', r'La réponse est $3{,}14$.', True, '{,} is the LaTeX decimal comma; it parses the set {3, 14}'),
    # a later "final answer" sentence after an earlier \boxed{}
    ('final-answer-sentence', '7', 'First guess: $\\boxed{5}$. Wait, that is wrong; recomputing gives 7.\n\nFinal answer: 7', True, 'the response replaced its boxed 5 by a final answer of 7'),
    ('final-answer-sentence', '5', 'First guess: $\\boxed{5}$. Wait, that is wrong; recomputing gives 7.\n\nFinal answer: 7', False, 'the response withdrew 5; its final answer is 7'),
    ('final-answer-sentence', '7', 'So $\\boxed{5}$? Let me check again.\n\n**Final Answer**\n$\\boxed{7}$', True, 'the last boxed answer is the final one'),
    ('final-answer-sentence', '5', 'So $\\boxed{5}$? Let me check again.\n\n**Final Answer**\n$\\boxed{7}$', False, 'the last boxed answer is the final one'),
    ('final-answer-sentence', '7', 'I get $\\boxed{5}$ at first, but the final answer is $7$.', True, 'the final answer sentence comes after and replaces the boxed value'),
    ('final-answer-sentence', '12', 'The final answer is $12$. I hope it is correct.', True, None),
    ('final-answer-sentence', '12', 'The final answer is $13$. I hope it is correct.', False, None),
    # several \boxed{} that together form the answer
    ('boxed-multi', '$2, 3$', r'The roots are $\boxed{2}$ and $\boxed{3}$.', True, 'the two boxes together are the answer'),
    ('boxed-multi', '$2, 3$', r'The roots are $\boxed{2}$ and $\boxed{4}$.', False, None),
    ('boxed-multi', '$-1, 1$', r'$x = \boxed{1}$ or $x = \boxed{-1}$', True, 'the two boxes together are the answer'),
    ('boxed-multi', '$-1, 1$', r'$x = \boxed{1}$', False, None),
    ('boxed-multi', '$(1, 2)$', r'$x = \boxed{1}$, $y = \boxed{2}$', True, 'the two boxed coordinates form the point'),
    ('boxed-multi', '$2, 3$', r'$\boxed{2, 3}$', True, None),
    # \cfrac, \tfrac, \dfrac
    ('fraction', r'$\frac{3}{4}$', r'$\dfrac{3}{4}$', True, None),
    ('fraction', r'$\frac{3}{4}$', r'$\tfrac34$', True, None),
    ('fraction', r'$\frac{3}{4}$', r'$\cfrac{3}{4}$', True, None),
    ('fraction', r'$\frac{3}{4}$', r'$\dfrac{4}{3}$', False, None),
    ('fraction', r'$\frac{3}{4}$', '0.75', True, None),
    ('fraction', r'$\frac{3}{4}$', '3/4', True, None),
    ('fraction', r'$\frac{3}{4}$', '0.7', False, None),
    ('fraction', r'$\frac{1}{1+\frac{1}{2}}$', r'$\cfrac{1}{1+\cfrac{1}{2}}$', True, None),
    ('fraction', r'$\frac{1}{1+\frac{1}{2}}$', r'$\frac23$', True, None),
    ('fraction', r'$\frac{1}{1+\frac{1}{2}}$', r'$\frac32$', False, None),
    ('fraction', r'\frac{3}{4}', r'$\frac{3}{4}$', True, 'a gold written without $...$ should still be read as LaTeX'),
    # \text{}, \textnormal{}, \mathrm{}
    ('latex-format', '12', r'$\textnormal{12}$', True, None),
    ('latex-format', '12', r'$\mathrm{12}$', True, None),
    ('latex-format', '12', r'$\text{12}$', True, None),
    ('latex-format', '12', r'$\textbf{12}$', True, None),
    ('latex-format', '12', r'$\mathbf{13}$', False, None),
    ('latex-format', r'$\frac{1}{2}$', r'$\displaystyle \frac{1}{2}$', True, None),
    ('latex-format', r'$\frac{1}{2}$', r'\[ \boxed{\frac{1}{2}} \]', True, None),
    ('latex-format', r'$\frac{1}{2}$', r'\( \frac{1}{2} \)', True, None),
    ('latex-format', r'$\frac{1}{2}$', r'$$\frac{1}{3}$$', False, None),
    ('latex-format', r'$x^2$', r'$x^{2}$', True, None),
    ('latex-format', r'$x^2$', r'${x}^{3}$', False, None),
    ('latex-format', r'$\frac{1}{2}$', r'$\left( \frac{1}{2} \right)$', True, None),
    ('text', r'$\text{Tuesday}$', r'$\boxed{\text{Tuesday}}$', True, None),
    ('text', r'$\text{Tuesday}$', r'$\boxed{\text{Monday}}$', False, None),
    ('text', r'$\textnormal{even}$', r'\boxed{\text{even}}', True, None),
    ('text', r'$\textnormal{even}$', r'\boxed{\text{odd}}', False, None),
    ('text', 'yes', 'Yes', True, 'same word; the default configs parse neither (no StringExtractionConfig), and nothing never verifies'),
    ('text', 'yes', 'No', False, None),
    # = inside subscripts and superscripts
    ('expression', r'$\frac{n(n+1)}{2}$', r'$\sum_{k=1}^{n} k = \frac{n(n+1)}{2}$', True, None),
    ('expression', r'$\frac{n(n+1)}{2}$', r'$\sum_{k=1}^{n} k = \frac{n(n-1)}{2}$', False, None),
    ('expression', '8', r'$a_{n=3} = 8$', True, 'a subscripted name with = inside is still a left side'),
    ('expression', '8', r'$a_{n=3} = 9$', False, None),
    ('expression', '1024', r'$2^{10} = 1024$', True, None),
    ('expression', '1024', r'$\prod_{i=1}^{10} 2 = 1024$', True, None),
    # a trailing number with √
    ('sqrt', r'$2\sqrt{3}$', '2√3', True, 'the √ sign is not read; it parses 2'),
    ('sqrt', r'$2\sqrt{3}$', 'The side is 2√3', True, 'the √ sign is not read; it parses 2'),
    ('sqrt', r'$2\sqrt{3}$', r'$\sqrt{12}$', True, None),
    ('sqrt', r'$2\sqrt{3}$', '3√2', False, None),
    ('sqrt', r'$\sqrt{2}$', '√2', True, 'the √ sign is not read; nothing parses'),
    ('sqrt', r'$\sqrt{2}$', '√3', False, None),
    ('sqrt', r'$\sqrt{2}/2$', r'$\frac{\sqrt2}{2}$', True, None),
    ('sqrt', r'$\sqrt{2}/2$', r'$\frac{1}{\sqrt{2}}$', True, None),
    ('sqrt', r'$\sqrt{2}/2$', r'$\frac{\sqrt{3}}{2}$', False, None),
    ('sqrt', '5', 'The length is √25 = 5', True, None),
    # percentages vs fractions
    ('percentage', r'$25\%$', '0.25', True, None),
    ('percentage', r'$\frac{1}{4}$', r'$25\%$', True, None),
    ('percentage', '25', '25%', True, None),
    ('percentage', '25', '26%', False, None),
    ('percentage', r'$25\%$', '0.26', False, None),
    ('percentage', '25', '0.25', None, None),
    ('percentage', r'$12.5\%$', r'$\frac{1}{8}$', True, None),
    ('percentage', r'$12.5\%$', r'$\frac{1}{5}$', False, None),
    ('percentage', '40', r'The discount is $40\%$.', True, 'a percentage gold written without %; 40\\% parses as 2/5, while bare 25% is accepted against 25'),
    # scientific notation
    ('scientific', r'$3 \times 10^{8}$', '3e8', True, 'E notation is not read; it parses 3'),
    ('scientific', r'$3 \times 10^{8}$', r'$3\times10^8$', True, None),
    ('scientific', r'$3 \times 10^{8}$', '300000000', True, None),
    ('scientific', r'$3 \times 10^{8}$', r'$3.0 \cdot 10^{8}$', True, None),
    ('scientific', r'$3 \times 10^{8}$', r'$3 \times 10^{9}$', False, None),
    ('scientific', r'$3 \times 10^{8}$', '3E-8', False, None),
    ('scientific', '6.02e23', r'$6.02 \times 10^{23}$', True, 'E notation in the gold is not read; it parses 6.02'),
    ('scientific', '0.00015', r'$1.5\times 10^{-4}$', True, None),
    ('scientific', '0.00015', r'$1.5\times 10^{-5}$', False, None),
    # degrees vs radians
    ('angle', r'$90^\circ$', r'$\frac{\pi}{2}$', True, '90 degrees is pi/2 radians'),
    ('angle', r'$90^\circ$', '90', True, None),
    ('angle', r'$90^\circ$', '90°', True, None),
    ('angle', r'$90^\circ$', r'$45^{\circ}$', False, None),
    ('angle', r'$\frac{\pi}{3}$', r'$60^\circ$', True, '60 degrees is pi/3 radians'),
    ('angle', r'$\frac{\pi}{3}$', '60', None, None),
    ('angle', r'$\frac{\pi}{3}$', r'$\frac{\pi}{6}$', False, None),
    ('angle', '30', r'$30^{\circ}$', True, None),
    ('angle', '30', r'$\angle ABC = 30^\circ$', True, None),
    ('angle', '30', r'$\angle ABC = 35^\circ$', False, None),
    # plain numbers
    ('number', '42', '42', True, None),
    ('number', '42', '42.0', True, None),
    ('number', '42', '-42', False, None),
    ('number', '42', '41', False, None),
    ('number', '-5', '−5', True, 'U+2212 minus sign'),
    ('number', '0.5', '.5', True, None),
    ('number', '3.14159', '3.14', False, None),
    ('number', r'$\frac{1}{3}$', '0.333333', None, None),
    ('number', r'$\frac{1}{3}$', '0.33', False, None),
    ('number', '42', 'I found 42 apples, but 3 were rotten, so 39.', False, 'the response ends with 39'),
    # expressions
    ('expression', r'$x^2 + 2x + 1$', r'$(x+1)^2$', True, None),
    ('expression', r'$x^2 + 2x + 1$', r'$(x-1)^2$', False, None),
    ('expression', r'$2\pi r$', r'$2 r \pi$', True, None),
    ('expression', r'$2\pi r$', r'$\pi r^2$', False, None),
    ('expression', r'$\ln 8$', r'$3 \ln 2$', True, None),
    ('expression', r'$\ln 8$', r'$2 \ln 3$', False, None),
    # multiple-choice letters (no StringExtractionConfig in the defaults)
    ('choice', 'B', 'B', True, 'a bare letter gold parses to nothing with the default configs (no StringExtractionConfig), so nothing verifies against it'),
    ('choice', 'B', '(B)', True, 'a bare letter gold parses to nothing with the default configs'),
    ('choice', 'B', 'The answer is B.', True, 'a bare letter gold parses to nothing with the default configs'),
    ('choice', 'B', 'C', False, None),
    ('choice', r'$\text{(B)}$', r'\boxed{B}', True, None),
    ('choice', r'$\text{(B)}$', r'\boxed{\text{(D)}}', False, None),
    ('choice', 'B', 'Between the options, A is wrong; the answer is B.', True, 'a bare letter gold parses to nothing with the default configs'),
    ('choice', 'B', 'B is wrong, so the answer is D.', False, None),
    # false-accept probes: the gold value appears, but the answer given is another one
    ('number', '42', 'The answer is not 42; it is 24.', False, 'the response rejects 42 and answers 24'),
    ('number', '42', '42 is what I first thought, but the correct answer is 43.', False, 'the response answers 43'),
    ('number', '10', '$10 - 2 = 8$', False, 'the result of the computation is 8'),
    ('number', '100', 'approximately 100.5', False, None),
    ('number', '0.5', '0.50001', False, None),
    ('number', '0.5', '0.5000001', None, None),
    ('number', '12', '120', False, None),
    ('number', '12', '1.2', False, None),
    ('number', '12', '$12^2$', False, None),
    ('number', '12', '$\\frac{1}{12}$', False, None),
    ('number', '1000', r'$1\,000.5$', False, None),
    ('number', '1000', '10 000', False, None),
    ('number', '7', 'Options: 5, 7, 9. I choose 9.', False, 'the chosen answer is 9'),
    ('final-answer-sentence', '7', 'The answer is 7? No: the final answer is 9.', False, 'the final answer is 9'),
    ('final-answer-sentence', '7', '**Answer:** 9\n\n(Note: an earlier draft said 7.)', False, 'the answer is 9; 7 is only a note'),
    ('expression', '$3$', r'The answer is $\boxed{3+1}$', False, None),
    ('expression', '4', r'The answer is $\boxed{3+1}$', True, None),
    ('expression', r'$\frac{1}{2}$', r'$\frac{1}{2} + 1 = \frac{3}{2}$', False, 'the result is 3/2'),
    ('expression', '2', '$2x$', False, None),
    ('expression', r'$x^2$', '$2x$', False, None),
    ('expression', r'$e^{2}$', '$2e$', False, None),
    ('expression', r'$\sin x$', r'$\cos x$', False, None),
    ('expression', r'$\log_2 8$', '3', True, None),
    ('relation', r'$x=3$', r'$x=3$ or $x=-3$', False, 'an extra root'),
    ('relation', '3', r'$x = 3$ is not a solution; the solution is $x = 5$.', False, 'the solution given is 5'),
    ('set', r'$\{1,2\}$', r'$\{1,2,3\}$', False, None),
    ('set', r'$\{2\}$', '$2, 3$', False, None),
    ('tuple', '$(1, 2)$', '$(1, 2), (2, 1)$', False, None),
    ('tuple', '$(1, 2)$', '$[1, 2]$', None, None),
    ('interval', '$[1, 2]$', '$[1, 2)$', False, None),
    ('sqrt', r'$2\sqrt{3}$', '3.46', None, None),
    ('sqrt', r'$2\sqrt{3}$', r'$2\sqrt{3} + 1$', False, None),
    ('percentage', r'$25\%$', '25', None, None),
    ('percentage', r'$25\%$', '2.5', False, None),
    ('percentage', r'$25\%$', r'$\frac{1}{25}$', False, None),
    ('angle', r'$90^\circ$', '$90$ radians', False, '90 radians is not 90 degrees'),
    ('scientific', r'$3 \times 10^{8}$', r'$3.1 \times 10^{8}$', False, None),
    ('matrix', r'$\begin{pmatrix}1&0\\0&1\end{pmatrix}$', '$1$', False, None),
    ('matrix', r'$\begin{pmatrix}1&0\\0&1\end{pmatrix}$', r'$\begin{pmatrix}1&0\\0&-1\end{pmatrix}$', False, None),
    ('boxed-multi', '$2, 3$', r'$\boxed{2}$, $\boxed{3}$, $\boxed{5}$', False, 'an extra answer'),
    ('text', r'$\text{Tuesday}$', 'Tuesday or Wednesday', False, None),
    ('choice', r'$\text{(B)}$', r'$\text{(A)}$ and $\text{(B)}$', False, 'two options chosen'),
    ('unit', '5', r'$5\,\text{cm}^2$, so the side is $\boxed{\sqrt{5}\,\text{cm}}$', False, 'the boxed answer is sqrt(5)'),
    ('thousands', '1234', '1,234,5', False, 'a malformed group: it reads 1,234 and drops the trailing ,5'),
]

# ---------------------------------------------------------------- realistic responses
# (gold, right answer as written, wrong answer as written, a line of reasoning)
REAL = [
    ('12', '12', '14', r'The rectangle is 3 by 4, so its area is $3 \cdot 4$.'),
    (r'$\frac{3}{5}$', r'$\frac{3}{5}$', r'$\frac{5}{3}$', 'There are 3 favourable outcomes out of 5.'),
    ('45', r'$45^\circ$', r'$135^\circ$', 'The two legs are equal, so the triangle is isosceles.'),
    ('2.5', '2.5', '2.25', 'Dividing the distance 10 km by the time 4 h gives the speed.'),
    (r'$\sqrt{13}$', r'$\sqrt{13}$', r'$\sqrt{15}$', r'By Pythagoras, $c^2 = 2^2 + 3^2$.'),
    (r'$(2, -1)$', r'$(2, -1)$', r'$(-1, 2)$', 'Solving the two equations by substitution.'),
    ('7', 'x = 7', 'x = 8', r'From $2x + 3 = 17$ we subtract 3 and divide by 2.'),
    ('1500', '1,500', '1,050', 'The monthly cost is 125 and there are 12 months.'),
    (r'$\frac{\pi}{4}$', r'$\frac{\pi}{4}$', r'$\frac{\pi}{3}$', r'$\tan\theta = 1$ in the first quadrant.'),
    ('0.3', '0.3', '0.03', 'The probability is 3 in 10.'),
    (r'$\{1, 4\}$', r'$x = 1$ or $x = 4$', r'$x = 1$ or $x = -4$', r'$x^2 - 5x + 4 = (x-1)(x-4)$.'),
    ('64', '64', '46', r'The cube has side 4, so its volume is $4^3$.'),
    (r'$[0, 2]$', r'$0 \le x \le 2$', r'$0 < x < 2$', r'$x(x-2) \le 0$ between the roots.'),
    ('3.6', '3.6', '36', 'The mean of 2, 3, 4, 4 and 5 is their sum over 5.'),
    ('20', r'$20\%$', r'$25\%$', 'The price fell from 50 to 40.'),
    (r'$y = 3x - 2$', r'$y = 3x - 2$', r'$y = 3x + 2$', 'The slope is 3 and the line passes through (1, 1).'),
    ('9', r'$\boxed{9}$', r'$\boxed{6}$', 'The bar chart shows 9 students chose blue.'),
    ('-4', r'$-4$', r'$4$', 'The function reaches its minimum at the vertex.'),
    (r'$\frac{1}{6}$', '1/6', '1/36', 'One face out of six on a fair die.'),
    ('250', r'$250\,\text{mL}$', r'$25\,\text{mL}$', 'A quarter of the one-litre bottle is poured out.'),
    (r'$6\sqrt{2}$', r'$6\sqrt{2}$', r'$6\sqrt{3}$', 'The diagonal of a square with side 6.'),
    ('100', '100', '1000', 'The graph crosses the y-axis at 100.'),
    (r'$\begin{pmatrix} 2 \\ 1 \end{pmatrix}$', r'$\begin{pmatrix} 2 \\ 1 \end{pmatrix}$', r'$\begin{pmatrix} 1 \\ 2 \end{pmatrix}$', 'Solving the linear system row by row.'),
    ('5', '5', '15', 'The table shows 5 apples in the third row.'),
    (r'$x^2 - 1$', r'$(x-1)(x+1)$', r'$(x-1)^2$', 'Multiplying the two factors out.'),
    ('0.125', r'$\frac{1}{8}$', r'$\frac{1}{6}$', 'Three fair coins all land heads with this probability.'),
    ('360', r'$360^\circ$', r'$180^\circ$', 'The exterior angles of any convex polygon.'),
    ('17', '17', '71', 'The next prime after 13 that is not 15 or 16.'),
    (r'$3 \times 10^{5}$', r'$3 \times 10^{5}$', r'$3 \times 10^{6}$', 'The population grew tenfold from 30 000.'),
    ('8', 'eight', 'nine', 'Counting the circles in the image one by one.'),
]

TEMPLATES = [
    lambda r, a: f'<think>\n{r} Let me compute carefully.\n</think>\n\nThe answer is {a}.',
    lambda r, a: f'{r} Therefore, the final answer is **{a}**.',
    lambda r, a: f'{r} Putting this together:\n\n$$\\boxed{{{a.strip("$")}}}$$',
    lambda r, a: f'Let us think step by step.\n{r}\n\n**Answer:** {a}',
    lambda r, a: f'{r}\n\nFinal Answer: The final answer is {a}. I hope it is correct.',
    lambda r, a: f'{r} So the answer is {a}',
]


# why the right answer in some items is right, whatever Math-Verify says
REAL_NOTES = {
    12: 'the inequality 0 <= x <= 2 is the interval [0, 2]',
    14: 'a percentage gold written without %; 20\\% parses as 1/5',
    18: 'the answer 1/6 in Markdown bold: "1/6**." parses as 1',
    29: 'eight is 8, written as a word',
}


def realistic():
    """(id, class, gold, response, want, why) for each REAL item, right and wrong, and two think variants."""
    out = []
    for i, (gold, right, wrong, reason) in enumerate(REAL):
        cls = classify(gold, right)
        note = REAL_NOTES.get(i)
        out.append((f'real-{i:02d}-right', cls, gold, TEMPLATES[i % len(TEMPLATES)](reason, right), True, note))
        out.append((f'real-{i:02d}-wrong', cls, gold, TEMPLATES[(i + 3) % len(TEMPLATES)](reason, wrong), False, None))
        text = f'{reason} One might guess {right}, but that skips a step. The answer is {wrong}.'
        out.append((f'real-{i:02d}-mentions-gold', cls, gold, text, False,
                    'the right value appears only as a rejected guess; the answer given is wrong'))
        if i % 2 == 0:
            text = (f'<think>\n{reason} Maybe it is {wrong}? No, I made an arithmetic slip; it is {right}.\n</think>\n\n'
                    f'{reason}\n\nThe answer is **{right}**.')
            out.append((f'real-{i:02d}-think-right', cls, gold, text, True, note or
                        'the answer after </think> is right; the wrong value is only inside the thinking'))
        else:
            text = (f'<think>\n{reason} So it is {right}... wait, let me redo it.\n</think>\n\n'
                    f'After redoing the computation, the answer is **{wrong}**.')
            out.append((f'real-{i:02d}-think-wrong', cls, gold, text, False,
                        'the final answer after </think> is wrong; the right value is only inside the thinking'))
    return out


def main():
    cases = []
    dropped = []
    for file, func, i, gold, pred, expected in test_cases():
        verdict, took = run_mv(gold, pred)
        cid = f'mv-{file[5:]}-{func[5:]}-{i:03d}'
        if took > SLOW_S:
            dropped.append((cid, round(took, 2)))
            continue
        cases.append({'id': cid, 'source': 'math-verify-tests', 'class': classify(gold, pred), 'gold': gold,
                      'response': pred, 'mathVerify': verdict, 'testExpected': expected})
    hard = [(f'hard-{cls}-{n:02d}', cls, gold, response, want, why) for n, (cls, gold, response, want, why) in
            enumerate(HARD)]
    for kind, rows in (('hard-case', hard), ('realistic', realistic())):
        for cid, cls, gold, response, want, why in rows:
            verdict, took = run_mv(gold, response)
            if took > SLOW_S:
                dropped.append((cid, round(took, 2)))
                continue
            case = {'id': cid, 'source': kind, 'class': cls, 'gold': gold, 'response': response, 'mathVerify': verdict}
            if want is not None:
                case['correct'] = want
                if verdict != want:
                    case['disputed'] = (f'Math-Verify says {verdict}; expected {want}'
                                        + (f': {why}' if why else ''))
                    if not why:
                        print('disputed without a reason:', cid, file=sys.stderr)
            cases.append(case)
    ids = [c['id'] for c in cases]
    assert len(ids) == len(set(ids)), 'duplicate ids'
    OUT.parent.mkdir(parents=True, exist_ok=True)
    for case in cases:
        case['parsed'] = PARSED[case['gold'], case['response']]
    OUT.write_text('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=False) for c in cases) + '\n]\n')
    print('environment', ENV, file=sys.stderr)
    print(f'wrote {len(cases)} cases to {OUT}; dropped as slow: {dropped}', file=sys.stderr)


if __name__ == '__main__':
    main()
