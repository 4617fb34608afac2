import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { measureImport, writeLargeVlmEvalKitTsv } from '../../../bench/importBench';
import { parseTableText, readTableRecords } from '../../../src/core/bench/tsvReader';
import { importVlmEvalKitTsv } from '../../../src/core/bench/vlmEvalKitTsv';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';

const CLI = join(__dirname, '..', '..', 'dist', 'cli.js');

/** Seeded fields with everything pandas must quote: tabs, newlines, CRLF, quotes, commas, non-ASCII. */
function randomTable(seed: number, rows: number, columns: number): string[][] {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) >>> 0;
    return state / 2 ** 32;
  };
  const pieces = ['a', 'bc', '\t', '\n', '\r\n', '"', '""', ',', 'é', '\u{1F600}', ' ', 'nan', 'x'.repeat(40)];
  return Array.from({ length: rows }, () =>
    Array.from({ length: columns }, () => {
      let field = '';
      const length = Math.floor(next() * 6);
      for (let k = 0; k < length; k++) field += pieces[Math.floor(next() * pieces.length)];
      return field;
    }),
  );
}

/** As pandas' to_csv writes it: QUOTE_MINIMAL (quote when needed) or QUOTE_ALL. */
function toCsv(table: string[][], delimiter: string, quoteAll: boolean, newline = '\n'): string {
  const cell = (field: string) => (quoteAll || /["\t\n\r,]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field);
  return table.map((row) => row.map(cell).join(delimiter) + newline).join('');
}

describe('streaming TSV reader', () => {
  it('reads back what pandas would write, whatever the read size (records straddle reads)', () => {
    const dir = tempDir();
    const table = randomTable(7, 200, 5).filter((row) => row.some((field) => field !== ''));
    for (const [delimiter, quoteAll, newline] of [['\t', false, '\n'], ['\t', true, '\r\n'], [',', false, '\r\n'], [',', true, '\n']] as const) {
      const file = join(dir, `t-${delimiter === '\t' ? 'tab' : 'comma'}-${quoteAll}.txt`);
      writeFileSync(file, '\uFEFF' + toCsv(table, delimiter, quoteAll, newline));
      for (const readBytes of [1, 3, 17, 4096]) {
        const records = [...readTableRecords(file, { delimiter, readBytes })];
        assert.deepEqual(records.map((record) => record.fields), table, `${delimiter} quoteAll=${quoteAll} read ${readBytes}`);
      }
    }
  });

  it('counts lines inside quoted fields; skips blank lines; keeps text after a closing quote', () => {
    assert.deepEqual(parseTableText('a\tb\n\n"x\ny"\t"1"z\n\r\nlast\t"q"""'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 3, fields: ['x\ny', '1z'] },
      { line: 6, fields: ['last', 'q"'] },
    ]);
    assert.deepEqual(parseTableText('a\r\n'), [{ line: 1, fields: ['a'] }]);
    assert.deepEqual(parseTableText(''), []);
    assert.deepEqual(parseTableText('\t\n'), [{ line: 1, fields: ['', ''] }]);
  });

  it('an unclosed quote names the line the record starts on', () => {
    assert.throws(
      () => parseTableText('h\n1\n"two\nlines\n', { file: 'f.tsv' }),
      (error: unknown) => error instanceof FrankenlensError && error.message === 'f.tsv, line 3: a quoted field never closes',
    );
  });

  it('closes the file when an import stops early', () => {
    if (!existsSync('/proc/self/fd')) return;
    const dir = tempDir();
    const file = join(dir, 'bad.tsv');
    writeFileSync(file, 'index\tquestion\n1\tQ\n');
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    for (let k = 0; k < 20; k++) assert.throws(() => importVlmEvalKitTsv(file, dir), /no "answer" column/);
    const records = readTableRecords(file);
    records.next();
    records.return(undefined);
    assert.equal(open(), before);
  });

  it('a ~20 MB TSV imports through the CLI in bounded memory (peak RSS under 300 MB), every row kept', async (t) => {
    if (!existsSync('/proc/self/status') || !existsSync(CLI)) {
      t.skip('needs Linux /proc and the built CLI (dist/cli.js)');
      return;
    }
    const dir = tempDir();
    const tsv = writeLargeVlmEvalKitTsv(join(dir, 'large.tsv'), 20e6);
    const run = await measureImport(CLI, tsv, join(dir, 'out'));
    assert.match(run.stdout, new RegExp(`imported ${tsv.rows} items and ${tsv.imageRows} images`));
    assert.match(run.stdout, new RegExp(`warning: ${tsv.textOnlyRows} rows? without an image, kept as text-only items`));
    assert.equal(readFileSync(join(dir, 'out', 'items.jsonl'), 'utf8').trim().split('\n').length, tsv.rows);
    assert.ok(run.peakRssMiB < 300, `peak RSS ${run.peakRssMiB.toFixed(0)} MiB for ${(tsv.bytes / 1e6).toFixed(0)} MB`);
  });
});
