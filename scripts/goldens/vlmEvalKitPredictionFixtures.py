"""Writes VLMEvalKit-style prediction files for test/fixtures/bench/vlmevalkit.tsv, as VLMEvalKit writes them.

Run from the repository root after scripts/goldens/benchFixtures.py:
    python3 scripts/goldens/vlmEvalKitPredictionFixtures.py
Needs pandas with xlsxwriter and openpyxl (Debian: apt-get install python3-pandas python3-xlsxwriter
python3-openpyxl).

VLMEvalKit (vlmeval/inference.py infer_data_job) loads the dataset TSV with pandas (an all-integer
index becomes integers), sets data['prediction'], drops the 'image' column and dumps the frame to
{model}_{dataset}.xlsx (vlmeval/smp/file.py dump: pd.ExcelWriter(engine='xlsxwriter',
strings_to_formulas=False), to_excel(index=False)), or .tsv with PRED_FORMAT=tsv (to_csv(sep='\\t',
index=False, quoting=csv.QUOTE_ALL)). Written here:
- vlmevalkit-pred.xlsx: xlsxwriter, as VLMEvalKit writes it (shared strings; a control character
  stored as _x0001_, a literal "_x0041_" as _x005F_x0041_);
- vlmevalkit-pred-openpyxl.xlsx: the same frame through openpyxl (inline strings, typed numbers,
  a boolean column; openpyxl refuses control characters, so that one is left out);
- vlmevalkit-pred.tsv: PRED_FORMAT=tsv (every field quoted).
The predictions cover rows 101-103 of the dataset, not 104, and add a row 999 the dataset lacks.
"""
import csv
from pathlib import Path

import pandas as pd

OUT = Path('test/fixtures/bench')

data = pd.read_csv(OUT / 'vlmevalkit.tsv', sep='\t')
data = data[data['index'] != 104].copy()
data = pd.concat([data, pd.DataFrame([{'index': 999, 'image': '', 'question': 'Not in the dataset', 'answer': 'A', 'category': 'none'}])], ignore_index=True)
predictions = {
    101: 'The answer is (B).',
    102: '\\boxed{4} & <done>\nsecond line',
    103: 'A\t\U0001F600 _x0041_ \x01',
    999: 'orphan',
}
data['prediction'] = [predictions[index] for index in data['index']]
data.pop('image')

with pd.ExcelWriter(OUT / 'vlmevalkit-pred.xlsx', engine='xlsxwriter', engine_kwargs={'options': {'strings_to_formulas': False}}) as writer:
    data.to_excel(writer, index=False)

plain = data.copy()
plain['prediction'] = [text.replace('\x01', '') for text in plain['prediction']]
plain['checked'] = [True, False, True, False]
plain.to_excel(OUT / 'vlmevalkit-pred-openpyxl.xlsx', index=False, engine='openpyxl')

data.to_csv(OUT / 'vlmevalkit-pred.tsv', sep='\t', index=False, encoding='utf-8', quoting=csv.QUOTE_ALL)
