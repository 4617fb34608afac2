"""VLMEvalKit's rule-based multiple-choice answer matching on model responses.

Writes test/fixtures/answerGoldens/vlmEvalKitChoices.json, a list of
    {"id", "source": "hard-case" | "realistic", "question"?, "choices": {"A": ..., ...}, "response",
     "vlmEvalKit": "A" | ... | null, "correct"?: letter | null, "disputed"?: str}
where vlmEvalKit is `can_infer(response, choices)` from vlmeval/utils/matching_util.py, the step
vlmeval/dataset/utils/multiple_choice.py's extract_answer_from_item runs before any LLM judge (a fresh copy
of choices each call: can_infer_text lowercases the dict in place). 'Z' (refusal / no option) and False are
written as null. VERBOSE is unset, as in a default run. correct is what a careful grader would extract
(null: no single option chosen); disputed says why, where VLMEvalKit differs.

Environment: Python 3 standard library only, plus a VLMEvalKit checkout:
    use the fetch tool (or git clone) for open-compass/VLMEvalKit, then
    mkdir -p /tmp/peers/VLMEvalKit
    git --git-dir=<VLMEvalKit.git> show e8e78f05f3080fe28154f2130321f17951c3be94:vlmeval/utils/matching_util.py \
        > /tmp/peers/VLMEvalKit/matching_util.py
Run from the repository root:
    PEERS=/tmp/peers /usr/bin/python3 scripts/goldens/vlmEvalKitChoiceGoldens.py
Stub: the file's only import from VLMEvalKit is `vlmeval.smp.log.get_logger` (vlmeval.smp pulls in torch,
pandas and more); a module with get_logger = logging.getLogger stands in for it, and only this one file is
executed, not the vlmeval package.
"""
import copy
import json
import logging
import os
import sys
import types
from pathlib import Path

PEERS = Path(os.environ.get('PEERS', sys.argv[1] if len(sys.argv) > 1 else '/tmp/peers'))
SOURCE = PEERS / 'VLMEvalKit/matching_util.py'
OUT = Path(os.environ.get('OUT', 'test/fixtures/answerGoldens/vlmEvalKitChoices.json'))


def load_matching_util():
    for name in ('vlmeval', 'vlmeval.smp'):
        sys.modules[name] = types.ModuleType(name)
    log = types.ModuleType('vlmeval.smp.log')
    log.get_logger = logging.getLogger
    sys.modules['vlmeval.smp.log'] = log
    module = types.ModuleType('matching_util')
    exec(compile(SOURCE.read_text(), str(SOURCE), 'exec'), module.__dict__)
    return module


os.environ.pop('VERBOSE', None)
MU = load_matching_util()


def vlmevalkit(response, choices):
    got = MU.can_infer(response, copy.deepcopy(choices))
    return got if got and got != 'Z' else None


COLOURS = {'A': 'red', 'B': 'blue', 'C': 'green', 'D': 'yellow'}
NUMBERS = {'A': '2', 'B': '4', 'C': '8', 'D': '16'}
SENTENCES = {'A': 'The cat is sleeping', 'B': 'The dog is running', 'C': 'A bird is flying', 'D': 'Nothing is happening'}
YESNO = {'A': 'yes', 'B': 'no'}
FIVE = {'A': 'circle', 'B': 'square', 'C': 'triangle', 'D': 'hexagon', 'E': 'star'}
Q_COLOUR = 'What colour is the car in the image?'
Q_COUNT = 'How many wheels are visible?'
Q_SCENE = 'What is happening in the picture?'
Q_YESNO = 'Is there a person in the image?'
Q_SHAPE = 'Which shape is highlighted?'

# (question, choices, response, correct, why-if-VLMEvalKit-differs)
HARD = [
    # a letter alone
    (Q_COLOUR, COLOURS, 'A', 'A', None),
    (Q_COLOUR, COLOURS, 'B', 'B', None),
    (Q_COLOUR, COLOURS, 'C', 'C', None),
    (Q_COLOUR, COLOURS, 'D', 'D', None),
    (Q_COLOUR, COLOURS, 'E', None, None),
    (Q_SHAPE, FIVE, 'E', 'E', None),
    (Q_COLOUR, COLOURS, ' B \n', 'B', None),
    (Q_COLOUR, COLOURS, 'Z', None, None),
    # punctuation and markup around the letter
    (Q_COLOUR, COLOURS, '(B)', 'B', None),
    (Q_COLOUR, COLOURS, 'B.', 'B', None),
    (Q_COLOUR, COLOURS, 'B)', 'B', None),
    (Q_COLOUR, COLOURS, '[B]', 'B', None),
    (Q_COLOUR, COLOURS, '**B**', 'B', None),
    (Q_COLOUR, COLOURS, '**Answer:** C', 'C', None),
    (Q_COLOUR, COLOURS, 'Answer: B', 'B', None),
    (Q_COLOUR, COLOURS, 'Answer:B', 'B', None),
    (Q_COLOUR, COLOURS, 'The answer is B.', 'B', None),
    (Q_COLOUR, COLOURS, 'The answer is (B).', 'B', None),
    (Q_COLOUR, COLOURS, 'Option B', 'B', None),
    (Q_COLOUR, COLOURS, 'B: blue', 'B', None),
    (Q_COLOUR, COLOURS, 'B. blue', 'B', None),
    (Q_COLOUR, COLOURS, '(B) blue', 'B', None),
    (Q_COLOUR, COLOURS, r'\boxed{B}', 'B', 'the letter inside \\boxed{} is one token "\\boxed", "B"'),
    (Q_COLOUR, COLOURS, r'$\boxed{B}$', 'B', 'the $ is not in the characters VLMEvalKit turns into spaces'),
    (Q_COLOUR, COLOURS, '<answer>B</answer>', 'B', 'the <answer> tags are not split off'),
    (Q_COLOUR, COLOURS, 'B - blue', 'B', None),
    (Q_COLOUR, COLOURS, 'B、blue', 'B', 'the ideographic comma is not split off'),
    (Q_COLOUR, COLOURS, '答案：B', 'B', 'the full-width colon is not split off'),
    (Q_COLOUR, COLOURS, '答案是B', 'B', 'no separator between the Chinese text and the letter'),
    (Q_SHAPE, FIVE, 'Answer: E', 'E', None),
    (Q_SHAPE, FIVE, 'The correct answer is E.', 'E', None),
    # lowercase letters
    (Q_COLOUR, COLOURS, 'b', 'B', 'a lowercase letter alone names option B'),
    (Q_COLOUR, COLOURS, '(b)', 'B', 'a lowercase letter in parentheses names option B'),
    (Q_COLOUR, COLOURS, 'answer: b', 'B', 'a lowercase letter after "answer:" names option B'),
    (Q_COLOUR, COLOURS, 'option c', 'C', 'a lowercase letter after "option" names option C'),
    # the option's text
    (Q_COLOUR, COLOURS, 'blue', 'B', None),
    (Q_COLOUR, COLOURS, 'Blue', 'B', None),
    (Q_COLOUR, COLOURS, 'It is blue.', 'B', None),
    (Q_COLOUR, COLOURS, 'The car is blue.', 'B', None),
    (Q_COLOUR, COLOURS, 'Red.', 'A', None),
    (Q_COLOUR, COLOURS, 'The car in the picture is painted a bright shade of blue.', 'B', 'the text is longer than twice the options\' text, so can_infer_text gives up'),
    (Q_COLOUR, COLOURS, 'blue or red', None, None),
    (Q_COLOUR, COLOURS, 'greenish', 'C', None),
    (Q_COLOUR, COLOURS, 'not red', None, 'a substring match accepts "red" in "not red"'),
    (Q_COLOUR, COLOURS, 'reddish', 'A', None),
    (Q_COLOUR, COLOURS, 'bored', None, 'a substring match finds "red" inside "bored"'),
    (Q_COLOUR, COLOURS, 'orange', None, None),
    (Q_SCENE, SENTENCES, 'The dog is running.', 'B', None),
    (Q_SCENE, SENTENCES, 'the dog is running', 'B', None),
    (Q_SCENE, SENTENCES, 'A dog running.', 'B', 'the article "A" is taken as option A'),
    (Q_SCENE, SENTENCES, 'A bird is flying', 'C', 'the article "A" is taken as option A'),
    (Q_SCENE, SENTENCES, 'A bird is flying over the trees in the picture.', 'C', None),
    (Q_YESNO, YESNO, 'Yes', 'A', None),
    (Q_YESNO, YESNO, 'No.', 'B', None),
    (Q_YESNO, YESNO, 'Yes, there is one.', 'A', 'can_infer_text finds "no" inside "one"'),
    (Q_YESNO, YESNO, 'Not sure.', None, 'can_infer_text finds "no" inside "not"'),
    (Q_YESNO, YESNO, 'yes and no', None, None),
    # numbers as options
    (Q_COUNT, NUMBERS, '4', 'B', None),
    (Q_COUNT, NUMBERS, '16', 'D', None),
    (Q_COUNT, NUMBERS, '8', 'C', None),
    (Q_COUNT, NUMBERS, '14', None, 'substring match finds "4" inside "14"'),
    (Q_COUNT, NUMBERS, '24', None, None),
    (Q_COUNT, NUMBERS, '1', None, None),
    (Q_COUNT, NUMBERS, 'The answer is 4.', 'B', 'the text is longer than twice the options\' text, so can_infer_text gives up'),
    (Q_COUNT, NUMBERS, 'There are four wheels.', 'B', 'the number is written as a word'),
    # two letters mentioned
    (Q_COLOUR, COLOURS, 'A or B', None, None),
    (Q_COLOUR, COLOURS, 'A and C', None, None),
    (Q_COLOUR, COLOURS, 'Both A and B are plausible, but B.', 'B', 'two letters are named, so the count rule gives up'),
    (Q_COLOUR, COLOURS, "Not A, it's B.", 'B', 'two letters are named, so the count rule gives up'),
    (Q_COLOUR, COLOURS, 'The answer is D, not A.', 'D', None),
    (Q_COLOUR, COLOURS, 'The correct answer is **C**. Here is why: A is wrong because the car is not red, and B is wrong too.', 'C', None),
    (Q_COLOUR, COLOURS, 'A is wrong; the car is green.', 'C', 'only option A\'s letter is named, as the rejected one'),
    (Q_COLOUR, COLOURS, 'I would say C, although D is also possible.', None, None),
    # none
    (Q_COLOUR, COLOURS, "I don't know.", None, None),
    (Q_COLOUR, COLOURS, '', None, None),
    (Q_COLOUR, COLOURS, 'Cannot determine the answer from the image.', None, None),
    (Q_COLOUR, COLOURS, "Sorry, I can't help with images of people yet.", None, None),
    (Q_COLOUR, COLOURS, 'Failed to obtain answer via API.', None, None),
    (Q_COLOUR, COLOURS, 'None of the options is correct.', None, None),
    # letters inside words, and a letter as a word
    (Q_COLOUR, COLOURS, 'BAD', None, None),
    (Q_COLOUR, COLOURS, 'Definitely!', None, None),
    (Q_SCENE, SENTENCES, 'A cat.', None, 'the article "A" is taken as option A'),
    (Q_SCENE, SENTENCES, 'A cat is on the mat, and a dog is nearby.', None, None),
    (Q_COLOUR, COLOURS, 'I choose D', 'D', None),
    (Q_COLOUR, COLOURS, 'D. yellow', 'D', None),
    (Q_COLOUR, COLOURS, 'Vitamin C is not relevant; the car is blue.', 'B', 'the letter C is too far from the end to count, and the text is too long for can_infer_text'),
]

# realistic responses: reasoning, then an answer
REAL = [
    (Q_COLOUR, COLOURS, 'Looking at the image, the car parked on the left has a red body and black tyres.\n\nAnswer: A', 'A', None),
    (Q_COLOUR, COLOURS, 'The car is clearly green, which matches option C.', 'C', 'the letter is at the end, after the reasoning'),
    (Q_COLOUR, COLOURS, 'Option C matches the car, which is clearly green in the picture.', 'C', 'the only letter named is too far from the end'),
    (Q_COLOUR, COLOURS, '<think>\nThe car looks green, not blue. So the answer is C.\n</think>\n\nC', 'C', None),
    (Q_COLOUR, COLOURS, '<think>\nMaybe A? No, the car is yellow.\n</think>\nD', 'D', 'the thinking names A, so two letters are counted'),
    (Q_COLOUR, COLOURS, 'The correct answer is **B**. Here\'s why: the car\'s paint reflects the sky and looks blue.', 'B', None),
    (Q_COLOUR, COLOURS, 'Based on the visual evidence, the answer is **D**.', 'D', None),
    (Q_COLOUR, COLOURS, 'Let me analyse the options.\nA. red: no.\nB. blue: no.\nC. green: no.\nD. yellow: yes.\n\nTherefore D.', 'D', 'every letter is named while going through the options'),
    (Q_COUNT, NUMBERS, 'I count the wheels: two at the front and two at the back, so 4 in total. The answer is B.', 'B', None),
    (Q_COUNT, NUMBERS, 'There are 4 wheels visible, so the answer is (B).', 'B', None),
    (Q_COUNT, NUMBERS, 'Answer: 8', 'C', 'the text is longer than twice the options\' text, so can_infer_text gives up'),
    (Q_SCENE, SENTENCES, 'In the picture a dog is chasing a ball across the grass. So the answer is B.', 'B', 'the article "a" is lowercase, so only B counts'),
    (Q_SCENE, SENTENCES, 'A dog is running across the grass, so the answer is B.', 'B', 'the article "A" is counted as a second letter'),
    (Q_YESNO, YESNO, 'There is a man standing near the door, so yes.', 'A', 'the text is longer than twice the options\' text, so can_infer_text gives up'),
    (Q_YESNO, YESNO, 'No person is visible in the image.', 'B', 'the text is longer than twice the options\' text, so can_infer_text gives up'),
    (Q_SHAPE, FIVE, 'The highlighted shape has six sides, so it is a hexagon: (D).', 'D', None),
    (Q_SHAPE, FIVE, 'The highlighted shape has five points. It is a star, option E.', 'E', None),
    (Q_SHAPE, FIVE, 'The correct answer is E. The shape is a star.', 'E', 'the verbose "answer is" rule only knows A-D'),
]


def main():
    cases = []
    for kind, prefix, rows in (('hard-case', 'vk-hard', HARD), ('realistic', 'vk-real', REAL)):
        for n, (question, choices, response, correct, why) in enumerate(rows):
            got = vlmevalkit(response, choices)
            case = {'id': f'{prefix}-{n:03d}', 'source': kind, 'question': question, 'choices': choices,
                    'response': response, 'vlmEvalKit': got, 'correct': correct}
            if got != correct:
                case['disputed'] = (f'VLMEvalKit gives {got}; expected {correct}' + (f': {why}' if why else ''))
            cases.append(case)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text('[\n' + ',\n'.join(json.dumps(c, ensure_ascii=False) for c in cases) + '\n]\n')
    print(f'wrote {len(cases)} cases to {OUT}', file=sys.stderr)


if __name__ == '__main__':
    main()
