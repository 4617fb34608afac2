"""Writes the small benchmark-import fixtures in test/fixtures/bench/ (standard library only).

Run from the repository root: python3 scripts/goldens/benchFixtures.py
- images/four-pixels.png (2x2: red, green, blue, white) and images/black.png (1x1), plain RGBA PNGs;
- vlmevalkit.tsv: VLMEvalKit's MCQ layout (index, base64 image, question, hint, A-D, answer, category,
  prediction), with an image shared by index, a quoted cell holding a tab, a newline and quotes, and a
  cell holding a Python list of two images;
- mathvista-style.tsv: MathVista_MINI's layout (no option columns, choices as a Python list);
- lmms-eval-samples.jsonl: three --log_samples rows (MathVista free-form and multi-choice, MMMU-style).
items.jsonl and responses.jsonl beside them are written by hand.
"""
import base64
import json
import struct
import zlib
from pathlib import Path

OUT = Path('test/fixtures/bench')


def png(width, height, pixels):
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    rows = b''.join(b'\x00' + bytes(sum((list(p) for p in pixels[y * width:(y + 1) * width]), [])) for y in range(height))
    header = struct.pack('>IIBBBBB', width, height, 8, 6, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b'')


def cell(value):
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in '\t\n"') else value


def write_tsv(name, rows):
    (OUT / name).write_text(''.join('\t'.join(cell(v) for v in row) + '\n' for row in rows))


(OUT / 'images').mkdir(parents=True, exist_ok=True)
four = png(2, 2, [(255, 0, 0, 255), (0, 255, 0, 255), (0, 0, 255, 255), (255, 255, 255, 255)])
black = png(1, 1, [(0, 0, 0, 255)])
(OUT / 'images/four-pixels.png').write_bytes(four)
(OUT / 'images/black.png').write_bytes(black)
four64 = base64.b64encode(four).decode()
black64 = base64.b64encode(black).decode()

write_tsv('vlmevalkit.tsv', [
    ['index', 'image', 'question', 'hint', 'A', 'B', 'C', 'D', 'answer', 'category', 'prediction'],
    ['101', four64, 'Which colour is the top-left pixel?', 'nan', 'green', 'red', 'blue', 'white', 'B', 'perception', 'The answer is (B).'],
    ['102', '101', 'How many pixels are there?', 'The image is tiny.', '2', '4', '8', 'nan', 'B', 'perception', '\\boxed{4}'],
    ['103', black64, '"Quoted"\tquestion with a tab\nand a newline: is it dark?', 'nan', 'yes', 'no', 'nan', 'nan', 'A', 'perception', 'A'],
    ['104', repr([four64, black64]), 'Which image is darker?', 'nan', 'first', 'second', 'nan', 'nan', 'B', 'comparison', ''],
])
write_tsv('mathvista-style.tsv', [
    ['index', 'image', 'question', 'answer', 'question_type', 'answer_type', 'choices', 'precision', 'category'],
    ['7', four64, 'What is the length of the side?', '3.5', 'free_form', 'float', 'nan', '1.0', 'math-targeted-vqa'],
    ['8', '7', 'Which shape is shown?', "it's a square", 'multi_choice', 'text', repr(["it's a square", 'circle', 'triangle']), 'nan', 'math-targeted-vqa'],
])
samples = [
    {'doc_id': 0, 'doc': {'pid': '1', 'question': 'Find the spring constant k in N/m.', 'choices': None, 'unit': None, 'precision': 1.0,
                          'answer': '1.2', 'question_type': 'free_form', 'answer_type': 'float',
                          'metadata': {'category': 'math-targeted-vqa', 'context': 'scientific figure'}, 'query': 'Hint: ...'},
     'target': '1.2', 'arguments': ['Hint: ...', {'max_new_tokens': 1024}],
     'resps': [['<think>k = 1.2</think><answer>1.2</answer>']], 'filtered_resps': ['<think>k = 1.2</think><answer>1.2</answer>'],
     'doc_hash': 'a1', 'prompt_hash': 'b1', 'target_hash': 'c1', 'gpt_eval_score': {'true_false': True}},
    {'doc_id': 1, 'doc': {'pid': '2', 'question': 'What is the total volume of the measuring cup?', 'choices': ['1000', '800', '600'],
                          'unit': 'g', 'precision': None, 'answer': '1000', 'question_type': 'multi_choice', 'answer_type': 'integer',
                          'metadata': {'category': 'general-vqa'}},
     'target': '1000', 'arguments': ['...'], 'resps': [['The cup holds 1000 g, so the answer is A.']],
     'filtered_resps': ['The cup holds 1000 g, so the answer is A.'], 'doc_hash': 'a2'},
    {'doc_id': 2, 'doc': {'id': 'validation_Art_1', 'question': 'Which style is this?', 'options': "['Baroque', 'Rococo', 'Gothic']",
                          'answer': 'C', 'subject': 'Art'},
     'target': 'C', 'arguments': ['...'], 'resps': [['(B) Rococo']], 'filtered_resps': ['(B) Rococo'], 'doc_hash': 'a3'},
]
(OUT / 'lmms-eval-samples.jsonl').write_text(''.join(json.dumps(s) + '\n' for s in samples))
