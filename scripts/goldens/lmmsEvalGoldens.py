"""lmms-eval's rule-based MMMU answer parsing and scoring on model responses.

Writes test/fixtures/answerGoldens/lmmsEval.json, a list of
    {"id", "source": "lmms-eval-mmmu", "kind": "choice" | "open", "choices"?: {"A": ..., ...}, "gold",
     "response", "lmmsEval": bool, "parsed": str | null, "correct": bool, "disputed"?: str}
where, as lmms_eval/tasks/mmmu/utils.py's mmmu_process_results + evaluate_mmmu score one response,
    choice: lmmsEval = eval_multi_choice(gold, parse_multi_choice_response(response, all_choices, index2ans))
            (index2ans, all_choices from get_multi_choice_info(list of option texts))
    open:   lmmsEval = eval_open(gold, parse_open_response(response))
parsed is the parsed letter (choice) or the sorted parse_open_response list as text (open; evaluate_mmmu
checks every element of it, though the submission file keeps only the first). correct is what a careful
grader would say; disputed says why, where lmms-eval differs, and on every case where
parse_multi_choice_response finds no letter and draws one with random.choice: there parsed is null and
lmmsEval is the verdict for the letter drawn by random.Random(0) (fresh for each case), i.e. arbitrary.

Environment: Python 3 standard library only, plus two files of an lmms-eval checkout:
    use the fetch tool (or git clone) for EvolvingLMMs-Lab/lmms-eval, then
    mkdir -p /tmp/peers/lmms-eval
    C=75571cfe0fa36ca5ec2e6aa2bb268f9d38295af3
    git --git-dir=<lmms-eval.git> show $C:lmms_eval/tasks/mmmu/utils.py > /tmp/peers/lmms-eval/mmmu_utils.py
    git --git-dir=<lmms-eval.git> show $C:lmms_eval/tasks/_task_utils/mmmu_mcq_utils.py \
        > /tmp/peers/lmms-eval/mmmu_mcq_utils.py
Run from the repository root:
    PEERS=/tmp/peers /usr/bin/python3 scripts/goldens/lmmsEvalGoldens.py
Stand-ins: mmmu_utils.py imports yaml, loguru, lmms_eval internals and reads a YAML template at import, so
it is not executed as a module: only the functions named in MMMU_FUNCTIONS are taken from its syntax tree
(ast) and executed, unchanged, with `re` and the two names they use from mmmu_mcq_utils.py.
mmmu_mcq_utils.py is executed whole, with `numpy` replaced by a stand-in whose argmax returns the index of
the first largest element (numpy's rule) and `random` by one that records the draw.
"""
import ast
import json
import os
import random
import re
import sys
import types
from pathlib import Path

PEERS = Path(os.environ.get('PEERS', sys.argv[1] if len(sys.argv) > 1 else '/tmp/peers'))
UTILS = PEERS / 'lmms-eval/mmmu_utils.py'
MCQ = PEERS / 'lmms-eval/mmmu_mcq_utils.py'
OUT = Path(os.environ.get('OUT', 'test/fixtures/answerGoldens/lmmsEval.json'))

MMMU_FUNCTIONS = ('eval_multi_choice', 'eval_open', 'parse_multi_choice_response', 'extract_numbers',
                  'check_is_number', 'normalize_str', 'parse_open_response', 'get_multi_choice_info')


class RecordingRandom:
    """Stands in for the `random` module in mmmu_mcq_utils: records that a letter was drawn."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.rng = random.Random(0)
        self.drawn = False

    def choice(self, seq):
        self.drawn = True
        return self.rng.choice(seq)


def argmax(values):
    return max(range(len(values)), key=lambda i: (values[i], -i))


RANDOM = RecordingRandom()


def load():
    sys.modules['numpy'] = types.SimpleNamespace(argmax=argmax)
    try:
        mcq = types.ModuleType('mmmu_mcq_utils')
        exec(compile(MCQ.read_text(), str(MCQ), 'exec'), mcq.__dict__)
    finally:
        del sys.modules['numpy']
    mcq.random = RANDOM
    tree = ast.parse(UTILS.read_text(), str(UTILS))
    defs = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name in MMMU_FUNCTIONS]
    missing = set(MMMU_FUNCTIONS) - {node.name for node in defs}
    if missing:
        raise SystemExit(f'not in {UTILS}: {sorted(missing)}')
    namespace = {'re': re, 'parse_mmmu_multi_choice_response': mcq.parse_mmmu_multi_choice_response,
                 'shared_get_multi_choice_info': mcq.get_multi_choice_info}
    exec(compile(ast.Module(body=defs, type_ignores=[]), str(UTILS), 'exec'), namespace)
    return types.SimpleNamespace(**{name: namespace[name] for name in MMMU_FUNCTIONS})


M = load()

CELL = ['Mitochondria', 'Nucleus', 'Ribosome', 'Golgi apparatus']
SPEED = ['1.5 m/s', '3.0 m/s', '4.5 m/s', '6.0 m/s']
TREND = ['Increase', 'Decrease', 'Stay the same', 'Cannot be determined']
STYLE = ['Baroque', 'Renaissance', 'Gothic', 'Romanesque', 'Rococo']
COUNT = ['12', '24', '36', '48']
ECON = ['$250', '$1,250', '$2,500', '$12,500']

# (options, gold letter, response, correct, why-if-lmms-eval-differs)
CHOICE = [
    # a letter, bare or marked
    (CELL, 'C', 'C', True, None),
    (CELL, 'C', '(C)', True, None),
    (CELL, 'C', 'C.', True, None),
    (CELL, 'C', ' C\n', True, 'whitespace is not stripped, so "C" followed by a newline is not read'),
    (CELL, 'B', 'C', False, None),
    (CELL, 'C', 'The answer is (C).', True, None),
    (CELL, 'C', 'The answer is C.', True, None),
    (CELL, 'C', 'Answer: C', True, None),
    (CELL, 'C', 'The correct option is (C) Ribosome.', True, None),
    (CELL, 'C', 'C. Ribosome', True, None),
    (CELL, 'C', 'C: Ribosome', True, 'no rule reads "C:"; the option text is only read in responses of more than five words'),
    (CELL, 'C', '**C**', True, 'no rule reads a letter inside Markdown bold'),
    (CELL, 'C', 'The answer is **C**.', True, 'no rule reads a letter inside Markdown bold'),
    (CELL, 'C', 'Answer: (c)', True, 'lowercase letters are never read'),
    (CELL, 'C', '$\\boxed{C}$', True, 'no rule reads a letter inside \\boxed{}'),
    (CELL, 'C', 'The final answer is $\\boxed{C}$', True, 'no rule reads a letter inside \\boxed{}'),
    (CELL, 'B', 'B) Nucleus', True, 'no rule reads "B)"; the option text is only read in responses of more than five words'),
    (CELL, 'B', 'Option B: Nucleus', True, 'no rule reads "B:"; the option text is only read in responses of more than five words'),
    (CELL, 'A', 'I choose option A because mitochondria produce ATP.', True, None),
    # the option text instead of a letter
    (CELL, 'C', 'Ribosome', True, 'the option text is only read in responses of more than five words'),
    (CELL, 'C', 'The organelle responsible for protein synthesis is the ribosome.', True, None),
    (CELL, 'A', 'The organelle responsible for protein synthesis is the ribosome.', False, None),
    (CELL, 'D', 'Proteins are modified and packaged in the Golgi apparatus before secretion.', True, None),
    (CELL, 'C', 'Proteins are made by ribosomes, not in the nucleus, which only stores DNA.', True,
     'the "A" that ends "DNA" is read as the letter A'),
    (SPEED, 'C', 'The speed of the block at the bottom is 4.5 m/s.', True, None),
    (SPEED, 'B', 'The speed of the block at the bottom is 4.5 m/s.', False, None),
    (SPEED, 'C', 'v = sqrt(2gh) = 4.5 m/s', True, 'the option text is only read in responses of more than five words'),
    (STYLE, 'C', 'The pointed arches and flying buttresses are typical of Gothic architecture.', True, None),
    (STYLE, 'C', 'It is not Baroque; the pointed arches show that the style is Gothic.', True, None),
    (STYLE, 'C', 'The style is Gothic rather than Romanesque.', True,
     'both option texts are named; the one named last (the rejected one) wins'),
    (STYLE, 'E', 'E', True, None),
    (STYLE, 'E', 'The ornate, playful decoration points to the Rococo period, so the answer is E.', True, None),
    (COUNT, 'B', 'There are 24 students in the class, so the total is 24 students.', True, None),
    (COUNT, 'C', 'Each of the 3 rows holds 12 chairs, giving 36 chairs altogether.', True,
     None),
    (COUNT, 'B', 'There are 24 students.', True, 'the option text is only read in responses of more than five words'),
    (COUNT, 'A', 'Since 3 times 4 is 12, the total number of tiles is 124.', False, None),
    (ECON, 'C', 'Total revenue is 50 units times $50, which equals $2,500 in total.', True, None),
    (ECON, 'B', 'Total revenue is 50 units times $50, which equals $2,500 in total.', False, None),
    (ECON, 'D', 'The firm earns $12,500 per month after costs are deducted.', True,
     'option A "$250" and option B "$1,250" are inside "$12,500"; the text found last wins, a tie between B and D at the same end goes to the earlier index'),
    # two letters
    (CELL, 'B', '(A) or (B)', False, 'of two letters, the one named last wins'),
    (CELL, 'B', 'A or B', False, 'of two letters, the one named last wins'),
    (CELL, 'C', 'I think it is A, but on reflection (C).', True, None),
    (CELL, 'B', 'Between A and B, I choose B.', True, None),
    (CELL, 'D', 'C is wrong; the answer is D', True, None),
    (CELL, 'D', 'The answer is D, not C.', True, 'only " C " follows the letter rule ("D," does not), so the rejected letter wins'),
    (CELL, 'C', 'A ribosome is where proteins are made, so the answer is C.', True, None),
    (CELL, 'C', 'Options A and B are wrong. The answer is C.', True, None),
    (CELL, 'A', 'Options A and B are wrong. The answer is C.', False, None),
    (CELL, 'C', 'I would say C, although D is also possible.', False, None),
    (CELL, 'C', 'Let me go through the options.\nA. Mitochondria: no.\nB. Nucleus: no.\nC. Ribosome: yes.\nD. Golgi apparatus: no.\n\nSo the answer is C', True, None),
    (CELL, 'C', 'Let me go through the options.\nA. Mitochondria: no.\nB. Nucleus: no.\nC. Ribosome: yes.\nD. Golgi apparatus: no.\n\nSo the answer is C.', True, None),
    (TREND, 'B', 'When the price rises, quantity demanded will decrease. The answer is (B).', True, None),
    (TREND, 'A', 'The price will decrease, so the quantity demanded will increase.', True, None),
    (TREND, 'B', 'The price will decrease, so the quantity demanded will increase.', False, None),
    # reasoning, then the letter
    (CELL, 'A', "Let's think step by step. ATP is produced mainly by oxidative phosphorylation, which happens in the inner membrane of the mitochondria. Therefore, the answer is (A).", True, None),
    (CELL, 'A', "<think>\nATP comes from the mitochondria, not the nucleus.\n</think>\nA", True, None),
    (SPEED, 'C', 'Using energy conservation, v = sqrt(2 * 9.8 * 1.03) = 4.5 m/s. The answer is C.', True, None),
    (SPEED, 'B', 'Using energy conservation, v = sqrt(2 * 9.8 * 1.03) = 4.5 m/s. The answer is C.', False, None),
    # no answer
    (CELL, 'C', '', False, 'an empty response gets a random letter'),
    (CELL, 'C', "I don't know.", False, 'no letter found, so a random letter is drawn'),
    (CELL, 'C', 'None of the options is correct.', False, 'no letter found, so a random letter is drawn'),
    (CELL, 'A', 'I cannot determine the answer from the image provided.', False, 'no letter found, so a random letter is drawn'),
    (SPEED, 'A', 'The speed is about 2 m/s.', False, 'no letter found, so a random letter is drawn'),
]

# (gold, response, correct, why-if-lmms-eval-differs)
OPEN = [
    # plain numbers
    ('3.5', '3.5', True, None),
    ('3.5', '3.50', True, None),
    ('3.5', '3.5.', True, None),
    ('3.5', 'The answer is 3.5 meters.', True, None),
    ('3.5', 'about 3.5 m', True, None),
    ('3.5', 'The answer is 4.5 meters.', False, None),
    ('0.5', '.5', True, 'the leading "." is stripped like a trailing one, so .5 reads as 5'),
    ('-3', 'The root is -3.', True, None),
    ('-2', 'The answer is 2.', False, None),
    ('-2', 'x = \u22122', True, 'the Unicode minus sign is not read, so the value is 2'),
    ('5', 'x = 5', True, None),
    ('7', 'Answer: 7', True, None),
    ('45', 'The angle is 45\u00b0.', True, None),
    ('9.8', 'g = 9.8 m/s^2', True, None),
    # thousands separators and scientific notation
    ('1200', 'The total cost is $1,200.', True, None),
    ('1,200', 'The total cost is 1200 dollars.', True, None),
    ('1000000', '1,000,000', True, None),
    ('2500', 'The answer is 2,500 N.', True, None),
    ('1200', 'The total cost is 1 200 dollars.', True, 'a space as thousands separator splits the number into 1 and 200'),
    ('2500', 'The answer is 2.5 kN.', True, 'no unit conversion'),
    ('1e3', '1000', True, None),
    ('0.00015', 'The answer is 1.5e-4', True, None),
    ('6.02e23', '6.02 \u00d7 10^23', True, 'a power of ten written as \u00d7 10^23 is read as the numbers 6.02, 10 and 23'),
    # rounding to two decimals
    ('2.718', 'e \u2248 2.72', True, None),
    ('3.14159', '3.14', True, None),
    ('0.004', '0.001', False, 'both round to 0.0 at two decimals'),
    ('0.00025', 'The answer is 1.5e-4', False, 'both round to 0.0 at two decimals'),
    ('12', 'The answer is 12.4', False, None),
    ('12', 'The answer is 12.0', True, None),
    # fractions and percentages
    ('1/2', 'The probability is 1/2.', True, None),
    ('1/2', '0.5', True, 'a fraction gold is compared as text, so 0.5 does not match it'),
    ('0.5', '1/2', True, 'a fraction answer is read as the numbers 1 and 2'),
    ('3.5', '7/2', True, 'a fraction answer is read as the numbers 7 and 2'),
    ('25', 'The growth rate is 25%.', True, None),
    ('3/4', 'The ratio is 3/4 of the total.', True, None),
    ('3/4', 'The ratio is 13/4.', False, 'a text gold matches when it is a substring of the parsed text'),
    # several numbers in a sentence
    ('30', 'The sides are 5, 10 and 15, so the perimeter is 30.', True, None),
    ('15', 'The sides are 5, 10 and 15, so the perimeter is 30.', False, None),
    ('15', 'The longest side is 15 cm.\nSo the perimeter is 30 cm.', False,
     'every line with a key word contributes its numbers, so the 15 of the first line counts'),
    ('30', 'Each box holds 12 apples, so 3 boxes hold 36.\nAnswer: 30', True,
     '"answer:" has no key word, so only the 36 of the first line is read'),
    ('12', 'If each box had 12 apples there would be 36, but each has 10, so the answer is 30.', False, None),
    ('10', 'There are 10 or 12 of them; I think the answer is 12.', False, None),
    ('10', 'It could be 10 or 12.', False, 'every number after the key word is a candidate'),
    ('3', 'The answer is 3 cm, not 5 cm.', True, None),
    ('5', 'The answer is 3 cm, not 5 cm.', False, 'every number after the key word is a candidate, the rejected one too'),
    ('2', 'The acceleration is 9.8 m/s^2.', False, 'the exponent 2 of the unit is read as a number'),
    ('8', 'Step 1: 2 + 3 = 5\nStep 2: 5 + 3 = 8', True, None),
    ('5', 'Step 1: 2 + 3 = 5\nStep 2: 5 \u00d7 2 = 10', False, None),
    ('12', 'So the answer is 12.\nI hope this helps!', True, None),
    ('4', 'I count four birds.', True, 'number words are not read'),
    ('20', 'The answer is 20 (twenty).', True, None),
    # text answers
    ('Paris', 'The capital is Paris.', True, None),
    ('mitosis', 'This is not mitosis; it is meiosis.', False, None),
    ('cat', 'The animal in the picture is a caterpillar.', False, 'a text gold matches when it is a substring of the parsed text'),
    ('x^2 + 1', 'f(x) = x^2 + 1', True, None),
    # no answer
    ('42', '', False, None),
    ('42', 'I cannot determine the answer from the image.', False, None),
]


def lmms_choice(options, gold, response):
    index2ans, all_choices = M.get_multi_choice_info(options)
    RANDOM.reset()
    parsed = M.parse_multi_choice_response(response, all_choices, index2ans)
    return M.eval_multi_choice(gold, parsed), (None if RANDOM.drawn else parsed), RANDOM.drawn


def lmms_open(gold, response):
    parsed = M.parse_open_response(response)
    return M.eval_open(gold, parsed), json.dumps(sorted(parsed, key=lambda p: (isinstance(p, str), str(p))), ensure_ascii=False)


def main():
    cases = []
    for n, (options, gold, response, correct, why) in enumerate(CHOICE):
        verdict, parsed, drawn = lmms_choice(options, gold, response)
        case = {'id': f'lmms-choice-{n:03d}', 'source': 'lmms-eval-mmmu', 'kind': 'choice',
                'choices': dict(zip('ABCDEFGHIJ', options)), 'gold': gold, 'response': response,
                'lmmsEval': verdict, 'parsed': parsed, 'correct': correct}
        if drawn:
            case['disputed'] = 'lmms-eval picks a random letter when it finds none' + (f' ({why})' if why else '')
        elif verdict != correct:
            case['disputed'] = f'lmms-eval parses {parsed}' + (f': {why}' if why else '')
        cases.append(case)
    for n, (gold, response, correct, why) in enumerate(OPEN):
        verdict, parsed = lmms_open(gold, response)
        case = {'id': f'lmms-open-{n:03d}', 'source': 'lmms-eval-mmmu', 'kind': 'open', 'gold': gold,
                'response': response, 'lmmsEval': verdict, 'parsed': parsed, 'correct': correct}
        if verdict != correct:
            case['disputed'] = f'lmms-eval says {verdict}' + (f': {why}' if why else '')
        cases.append(case)
    unexplained = [c['id'] for c in cases if 'disputed' in c and 'random' not in c['disputed'] and ':' not in c['disputed']]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=False) for c in cases) + '\n]\n')
    print(f'wrote {len(cases)} cases to {OUT}', file=sys.stderr)
    if unexplained:
        print(f'disputed without a reason: {unexplained}', file=sys.stderr)


if __name__ == '__main__':
    main()
