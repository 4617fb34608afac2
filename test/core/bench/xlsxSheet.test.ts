import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { columnIndex, readXlsxSheet, unescapeXml, XLSX_INFLATED_BYTES } from '../../../src/core/bench/xlsxSheet';
import { FrankenlensError } from '../../../src/core/errors';
import { tempDir } from '../../helpers/tempDir';
import { zip, type ZipEntryToWrite as Entry } from '../../helpers/zipWriter';

const FIXTURES = join(__dirname, '..', '..', 'test', 'fixtures', 'bench');

const SHEET = (rows: string) => `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows}</sheetData></worksheet>`;

function writeXlsx(entries: Entry[]): string {
  const file = join(tempDir(), 'book.xlsx');
  writeFileSync(file, zip(entries));
  return file;
}

function refuses(file: string, message: RegExp): void {
  assert.throws(
    () => readXlsxSheet(file),
    (error: unknown) => error instanceof FrankenlensError && error.message.startsWith(`${file}: `) && message.test(error.message),
  );
}

describe('xlsx reader', () => {
  it('reads what pandas writes through xlsxwriter (VLMEvalKit) and openpyxl alike', () => {
    for (const name of ['vlmevalkit-pred.xlsx', 'vlmevalkit-pred-openpyxl.xlsx']) {
      const rows = readXlsxSheet(join(FIXTURES, name));
      assert.deepEqual(rows[0]!.cells.slice(0, 10), ['index', 'question', 'hint', 'A', 'B', 'C', 'D', 'answer', 'category', 'prediction'], name);
      assert.deepEqual(rows.map((row) => row.row), [1, 2, 3, 4, 5], name);
      assert.deepEqual(rows.map((row) => row.cells[0]), ['index', '101', '102', '103', '999'], name);
      assert.equal(rows[2]!.cells[2], 'The image is tiny.', name);
      assert.equal(rows[1]!.cells[2], '', `${name}: a missing cell is empty`);
      assert.equal(rows[3]!.cells[1], '"Quoted"\tquestion with a tab\nand a newline: is it dark?', name);
      assert.equal(rows[2]!.cells[9], '\\boxed{4} & <done>\nsecond line', name);
    }
    assert.equal(readXlsxSheet(join(FIXTURES, 'vlmevalkit-pred.xlsx'))[3]!.cells[9], 'A\t\u{1F600} _x0041_ \u0001', '_x0001_ and _x005F_x0041_ decoded');
    assert.deepEqual(readXlsxSheet(join(FIXTURES, 'vlmevalkit-pred-openpyxl.xlsx')).map((row) => row.cells[10]), ['checked', 'True', 'False', 'True', 'False']);
  });

  it('places cells by reference, reads every cell type, skips phonetic runs, comments and formulas', () => {
    const file = writeXlsx([
      { name: 'xl/sharedStrings.xml', data: '<sst><si><t>plain</t></si><si><r><rPr><b/></rPr><t>rich </t></r><r><t xml:space="preserve">text</t></r><rPh><t>ふりがな</t></rPh></si><si><t/></si></sst>' },
      {
        name: 'xl/worksheets/sheet1.xml',
        method: 0,
        data: SHEET(
          '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>' +
            '<!-- a comment <c r="B3"> --><row r="3"><c r="B3" t="inlineStr"><is><t>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#233;&#x1F600;</t></is></c>' +
            '<c r="D3" t="b"><v>0</v></c><c r="E3"><v>1.5E-3</v></c><c r="F3" t="str"><f>A1&amp;"x"</f><v>plainx</v></c><c r="G3" t="e"><v>#N/A</v></c>' +
            '<c r="H3" t="inlineStr"><is><t><![CDATA[<raw> & ]]>more</t></is></c><c r="I3" t="s"><v>2</v></c><c r="J3" s="1"/></row>',
        ),
      },
    ]);
    assert.deepEqual(readXlsxSheet(file), [
      { row: 1, cells: ['plain', '', 'rich text', '', '', '', '', '', '', ''] },
      { row: 3, cells: ['', `<a> & "b" 'c' é\u{1F600}`, '', 'False', '1.5E-3', 'plainx', '#N/A', '<raw> & more', '', ''] },
    ]);
  });

  it('finds the first sheet through workbook.xml and its relationships', () => {
    const file = writeXlsx([
      { name: 'xl/workbook.xml', data: '<workbook xmlns:r="r"><sheets><sheet name="Results" sheetId="7" r:id="rId3"/><sheet name="Other" sheetId="1" r:id="rId1"/></sheets></workbook>' },
      { name: 'xl/_rels/workbook.xml.rels', data: '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="x/worksheet"/><Relationship Id="rId3" Target="/xl/worksheets/results.xml" Type="x/worksheet"/><Relationship Id="rId9" Target="strings.xml" Type="http://x/sharedStrings"/></Relationships>' },
      { name: 'xl/worksheets/sheet1.xml', data: SHEET('<row r="1"><c r="A1" t="inlineStr"><is><t>wrong sheet</t></is></c></row>') },
      { name: 'xl/worksheets/results.xml', data: SHEET('<row r="1"><c r="A1" t="s"><v>0</v></c></row>') },
      { name: 'xl/strings.xml', data: '<sst><si><t>first sheet</t></si></sst>' },
    ]);
    assert.deepEqual(readXlsxSheet(file), [{ row: 1, cells: ['first sheet'] }]);
  });

  it('column letters and XML entities', () => {
    assert.deepEqual(['A1', 'Z9', 'AA10', 'AZ1', 'BA1', 'XFD1048576', '$C$5', '5', 'A-1'].map(columnIndex), [0, 25, 26, 51, 52, 16383, 2, undefined, undefined]);
    assert.equal(unescapeXml('&amp;lt; &#38; &#x26; &unknown; &#1114112;'), '&lt; & & &unknown; &#1114112;');
  });

  it('refuses zip bombs, damaged and foreign files with one clear line', () => {
    const sheet = SHEET('<row r="1"><c r="A1"><v>1</v></c></row>');
    // The directory declares a small size; the data inflates to far more: inflating stops at the declared size.
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: sheet + ' '.repeat(10_000_000), size: 100 }]), /inflates to more than the 100 bytes its directory declares/);
    // A declared size past the cap is refused before anything is inflated.
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: sheet, size: XLSX_INFLATED_BYTES + 1 }]), /too large once decompressed .*zip bomb/);
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: sheet, crc: 1234 }]), /fails its CRC-32 check/);
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: sheet, flags: 1 }]), /is encrypted/);
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: sheet, method: 12 }]), /compression method 12/);
    refuses(writeXlsx([{ name: 'docProps/app.xml', data: '<x/>' }]), /not a spreadsheet \(no worksheet xl\/worksheets\/sheet1\.xml\)/);
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: SHEET('<row r="1"><c r="A1" t="s"><v>4</v></c></row>') }]), /row 1: a shared string index 4 past the 0 strings/);
    refuses(writeXlsx([{ name: 'xl/worksheets/sheet1.xml', data: SHEET('<row r="2"></row><row r="1"></row>') }]), /row number "1" out of order/);
    const text = join(tempDir(), 'table.xlsx');
    writeFileSync(text, 'index\tprediction\n1\tA\n');
    refuses(text, /not an \.xlsx file \(no zip directory/);
  });

  it('a total over the cap across parts is refused too', () => {
    // Two parts of 60% of a 1 MiB cap each, shared strings first.
    const big = 'x'.repeat(Math.ceil(2 ** 20 * 0.6));
    const file = writeXlsx([
      { name: 'xl/sharedStrings.xml', data: `<sst><si><t>${big}</t></si></sst>` },
      { name: 'xl/worksheets/sheet1.xml', data: SHEET(`<row r="1"><c r="A1" t="inlineStr"><is><t>${big}</t></is></c></row>`) },
    ]);
    assert.throws(() => readXlsxSheet(file, { maxInflatedBytes: 2 ** 20 }), /too large once decompressed \(more than 1 MiB of XML; a zip bomb\?\)/);
    assert.equal(readXlsxSheet(file)[0]!.cells[0]!.length, big.length);
  });
});
