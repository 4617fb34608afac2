/**
 * Reads the first worksheet of an .xlsx file as rows of text: what VLMEvalKit writes its predictions
 * as by default (pandas' to_excel through xlsxwriter: shared strings; through openpyxl: inline
 * strings). No dependency: an .xlsx is a zip archive of XML parts, and only four small parts matter:
 * xl/workbook.xml and its relationships (which part is the first sheet), xl/sharedStrings.xml and the
 * sheet itself.
 *
 * Hostile files are bounded: only the needed entries are read, by positioned reads; each is inflated
 * with a cap on its output (zlib's maxOutputLength, so a zip bomb never allocates past it), the
 * inflated total is capped at XLSX_INFLATED_BYTES, and each entry's length and CRC-32 are checked
 * against the central directory. Encrypted entries, methods other than stored and deflate, and
 * ZIP64 archives are refused. XML is tokenized as bytes (markup is ASCII; text is decoded from
 * slices), so no string the size of the sheet is ever built.
 *
 * Cell values: shared strings (t="s"), inline strings (t="inlineStr", rich-text runs joined,
 * phonetic runs skipped), formula strings (t="str"), booleans (t="b": True/False, as pandas reads
 * them), numbers and dates as their stored text, errors (#N/A) as written. Excel's _xHHHH_ escapes
 * (how xlsxwriter stores control characters) are decoded. Missing cells are empty strings: cells
 * are placed by their reference (r="C5"), rows by their row number.
 */
import { closeSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';
import { FrankenlensError, type ErrorCode } from '../errors';
import { openRegularFile } from '../regularFile';
import { entryDataOffset, findZipDirectory, LOCAL_HEADER_BYTES, parseZipDirectory, unreadableEntry, ZIP_TAIL_BYTES, type ZipEntry } from '../zipDirectory';

const MiB = 1024 * 1024;
/** All inflated parts together: far above any prediction file, far below V8's longest string. */
export const XLSX_INFLATED_BYTES = 256 * MiB;
/** More columns than any benchmark has (Excel's own limit is 16,384, column XFD). */
const MAX_COLUMNS = 16384;

export interface SheetRow {
  /** 1-based row number in the sheet. */
  row: number;
  cells: string[];
}

class ZipReader {
  private inflated = 0;
  readonly entries = new Map<string, ZipEntry>();

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly fileSize: number,
    private readonly code: ErrorCode,
    private readonly maxInflatedBytes: number,
  ) {
    this.readCentralDirectory();
  }

  fail(problem: string): FrankenlensError {
    return new FrankenlensError(this.code, `${this.file}: ${problem}`, this.file);
  }

  private read(position: number, length: number): Buffer {
    if (position < 0 || length < 0 || position + length > this.fileSize) throw this.fail('not a valid .xlsx file (a zip entry points outside the file)');
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const count = readSync(this.fd, buffer, done, length - done, position + done);
      if (count === 0) throw this.fail('not a valid .xlsx file (the file ended early)');
      done += count;
    }
    return buffer;
  }

  private readCentralDirectory(): void {
    const tailLength = Math.min(this.fileSize, ZIP_TAIL_BYTES);
    const found = findZipDirectory(this.read(this.fileSize - tailLength, tailLength));
    if (found.kind === 'none') throw this.fail('not an .xlsx file (no zip directory; is it an old .xls, or a TSV/CSV with the wrong name?)');
    if (found.kind === 'zip64') throw this.fail('a ZIP64 archive; this reader takes .xlsx files under 4 GB only');
    if (found.directorySize > 64 * MiB) throw this.fail('not a valid .xlsx file (its zip directory is too large)');
    const entries = parseZipDirectory(this.read(found.directoryOffset, found.directorySize), found.count);
    if (typeof entries === 'string') throw this.fail(`not a valid .xlsx file (${entries})`);
    for (const entry of entries) this.entries.set(entry.name, entry);
  }

  /** The inflated bytes of an entry; undefined when the archive has no such entry. */
  entry(name: string): Buffer | undefined {
    const entry = this.entries.get(name);
    if (!entry) return undefined;
    const what = `its part ${name}`;
    const unreadable = unreadableEntry(entry);
    if (unreadable === 'encrypted') throw this.fail(`${what} is encrypted`);
    if (unreadable === 'zip64') throw this.fail('a ZIP64 archive; this reader takes .xlsx files under 4 GB only');
    if (unreadable) throw this.fail(`${what} uses zip compression method ${unreadable.method} (only stored and deflate are read)`);
    const left = this.maxInflatedBytes - this.inflated;
    const tooLarge = () => this.fail(`too large once decompressed (more than ${+(this.maxInflatedBytes / MiB).toFixed(2)} MiB of XML; a zip bomb?)`);
    if (entry.size > left) throw tooLarge();
    const dataOffset = entryDataOffset(entry, this.read(entry.localHeaderOffset, LOCAL_HEADER_BYTES));
    if (dataOffset === null) throw this.fail(`not a valid .xlsx file (${what} has no local header)`);
    const compressed = this.read(dataOffset, entry.compressedSize);
    let bytes: Buffer;
    if (entry.method === 0) bytes = compressed;
    else {
      try {
        // The cap is the declared size: inflating never allocates more than it, whatever the data says.
        bytes = inflateRawSync(compressed, { maxOutputLength: Math.max(1, entry.size) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw this.fail(`${what} inflates to more than the ${entry.size} bytes its directory declares`);
        throw this.fail(`${what} does not inflate (${(error as Error).message})`);
      }
    }
    if (bytes.length !== entry.size) throw this.fail(`${what} holds ${bytes.length} bytes, its directory declares ${entry.size}`);
    if (crc32(bytes) !== entry.crc) throw this.fail(`${what} fails its CRC-32 check (a damaged file)`);
    this.inflated += bytes.length;
    return bytes;
  }
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** XML text with its entities and character references replaced. */
export function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, name: string) => {
    if (name[0] !== '#') return ENTITIES[name] ?? whole;
    const code = name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** Excel's escapes for characters XML cannot hold: _x0001_ is U+0001, _x005F_ a literal "_". */
function unescapeExcel(text: string): string {
  if (!text.includes('_x')) return text;
  return text.replace(/_x([0-9a-fA-F]{4})_/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

interface Tag {
  /** Local name (a namespace prefix dropped). */
  name: string;
  closing: boolean;
  selfClosing: boolean;
  attributes: Record<string, string>;
  /** Byte offset just past the tag's ">". */
  end: number;
}

/**
 * A minimal XML tokenizer over bytes: tags with their attributes, in order; comments, processing
 * instructions, doctype and CDATA skipped (CDATA text kept by callers that ask for text). Enough for
 * the parts spreadsheet writers produce.
 */
class XmlScanner {
  pos = 0;

  constructor(
    readonly xml: Buffer,
    private readonly fail: (problem: string) => FrankenlensError,
  ) {}

  /** The next tag, or undefined at the end. */
  next(): Tag | undefined {
    for (;;) {
      const open = this.xml.indexOf(0x3c, this.pos); // <
      if (open < 0) return undefined;
      const second = this.xml[open + 1];
      if (second === 0x21 || second === 0x3f) {
        // <!-- … -->, <![CDATA[ … ]]>, <!DOCTYPE …>, <? … ?>
        const head = this.xml.toString('latin1', open, open + 9);
        const terminator = head.startsWith('<!--') ? '-->' : head.startsWith('<![CDATA[') ? ']]>' : second === 0x3f ? '?>' : '>';
        const close = this.xml.indexOf(terminator, open + 2, 'latin1');
        if (close < 0) throw this.fail('broken XML (an unclosed declaration)');
        this.pos = close + terminator.length;
        continue;
      }
      const close = this.xml.indexOf(0x3e, open); // >
      if (close < 0) throw this.fail('broken XML (an unclosed tag)');
      const source = this.xml.toString('utf8', open + 1, close);
      this.pos = close + 1;
      const closing = source.startsWith('/');
      const selfClosing = source.endsWith('/');
      const body = source.slice(closing ? 1 : 0, selfClosing ? -1 : undefined);
      const nameMatch = /^[^\s/>]+/.exec(body);
      const qualified = nameMatch ? nameMatch[0] : '';
      const attributes: Record<string, string> = {};
      const pattern = /([^\s=]+)\s*=\s*("([^"]*)"|'([^']*)')/g;
      const rest = body.slice(qualified.length);
      for (let match = pattern.exec(rest); match; match = pattern.exec(rest)) {
        const key = match[1]!;
        attributes[key.slice(key.indexOf(':') + 1)] = unescapeXml(match[3] ?? match[4] ?? '');
        if (key.includes(':')) attributes[key] = attributes[key.slice(key.indexOf(':') + 1)]!;
      }
      return { name: qualified.slice(qualified.indexOf(':') + 1), closing, selfClosing, attributes, end: this.pos };
    }
  }

  /** The text from the current position up to the closing tag `name` (CDATA kept), entities decoded; the scanner moves past that closing tag. */
  textUntilClose(name: string): string {
    const parts: string[] = [];
    for (;;) {
      const open = this.xml.indexOf(0x3c, this.pos);
      if (open < 0) throw this.fail(`broken XML (no </${name}>)`);
      parts.push(unescapeXml(this.xml.toString('utf8', this.pos, open)));
      if (this.xml.toString('latin1', open, open + 9) === '<![CDATA[') {
        const close = this.xml.indexOf(']]>', open + 9, 'latin1');
        if (close < 0) throw this.fail('broken XML (an unclosed CDATA section)');
        parts.push(this.xml.toString('utf8', open + 9, close));
        this.pos = close + 3;
        continue;
      }
      this.pos = open;
      const tag = this.next();
      if (tag && tag.closing && tag.name === name) return parts.join('');
      // Any other markup inside a text element is skipped.
    }
  }

  /** Skips to just past the closing tag `name` (nested tags of other names skipped). */
  skipTo(name: string): void {
    for (let tag = this.next(); tag; tag = this.next()) if (tag.closing && tag.name === name) return;
    throw this.fail(`broken XML (no </${name}>)`);
  }
}

/** The text of a string item (<si> or <is>): its <t> elements, runs <r><t> joined, phonetic <rPh> runs skipped. */
function readStringItem(scanner: XmlScanner, element: string): string {
  const parts: string[] = [];
  for (let tag = scanner.next(); tag; tag = scanner.next()) {
    if (tag.closing && tag.name === element) return unescapeExcel(parts.join(''));
    if (tag.closing || tag.selfClosing) continue;
    if (tag.name === 't') parts.push(scanner.textUntilClose('t'));
    else if (tag.name === 'rPh') scanner.skipTo('rPh');
  }
  throw new Error('unreachable');
}

/** "C5" → column 2 (0-based); undefined for anything else. */
export function columnIndex(reference: string): number | undefined {
  const match = /^([A-Z]{1,3})\d*$/.exec(reference.replace(/\$/g, '').toUpperCase());
  if (!match) return undefined;
  let index = 0;
  for (const char of match[1]!) index = index * 26 + (char.charCodeAt(0) - 64);
  return index - 1;
}

/** Where the first worksheet lives: workbook.xml's first <sheet>, through the workbook's relationships; xl/worksheets/sheet1.xml when those are missing. */
function firstSheetPart(zip: ZipReader, fail: (problem: string) => FrankenlensError): { sheet: string; sharedStrings: string } {
  const fallback = { sheet: 'xl/worksheets/sheet1.xml', sharedStrings: 'xl/sharedStrings.xml' };
  const workbook = zip.entry('xl/workbook.xml');
  const relations = zip.entry('xl/_rels/workbook.xml.rels');
  if (!workbook || !relations) return fallback;
  let sheetId: string | undefined;
  const workbookScanner = new XmlScanner(workbook, fail);
  for (let tag = workbookScanner.next(); tag; tag = workbookScanner.next()) {
    if (tag.name === 'sheet' && !tag.closing) {
      sheetId = tag.attributes.id;
      break;
    }
  }
  const targets = new Map<string, string>();
  let sharedStrings = fallback.sharedStrings;
  const resolveTarget = (target: string) => (target.startsWith('/') ? target.slice(1) : `xl/${target}`).replace(/\/\.\//g, '/');
  const relationScanner = new XmlScanner(relations, fail);
  for (let tag = relationScanner.next(); tag; tag = relationScanner.next()) {
    if (tag.name !== 'Relationship' || tag.closing || !tag.attributes.Target) continue;
    targets.set(tag.attributes.Id ?? '', resolveTarget(tag.attributes.Target));
    if ((tag.attributes.Type ?? '').endsWith('/sharedStrings')) sharedStrings = resolveTarget(tag.attributes.Target);
  }
  return { sheet: (sheetId !== undefined && targets.get(sheetId)) || fallback.sheet, sharedStrings };
}

/**
 * The rows of the first worksheet of an .xlsx file, in order, each as long as the widest row (missing
 * cells and empty rows read as ''). Row 1 is normally the header.
 */
export function readXlsxSheet(file: string, options: { code?: ErrorCode; maxInflatedBytes?: number } = {}): SheetRow[] {
  const code = options.code ?? 'InvalidBenchmarkItem';
  const { fd, size } = openRegularFile(file, code);
  try {
    const zip = new ZipReader(file, fd, size, code, options.maxInflatedBytes ?? XLSX_INFLATED_BYTES);
    const fail = (problem: string) => zip.fail(problem);
    const parts = firstSheetPart(zip, fail);
    const strings: string[] = [];
    const shared = zip.entry(parts.sharedStrings);
    if (shared) {
      const scanner = new XmlScanner(shared, fail);
      for (let tag = scanner.next(); tag; tag = scanner.next()) {
        if (tag.name === 'si' && !tag.closing) strings.push(tag.selfClosing ? '' : readStringItem(scanner, 'si'));
      }
    }
    const sheet = zip.entry(parts.sheet);
    if (!sheet) throw fail(`not a spreadsheet (no worksheet ${parts.sheet})`);
    return readRows(new XmlScanner(sheet, fail), strings, fail);
  } finally {
    closeSync(fd);
  }
}

function readRows(scanner: XmlScanner, strings: string[], fail: (problem: string) => FrankenlensError): SheetRow[] {
  const rows: SheetRow[] = [];
  let width = 0;
  let current: SheetRow | undefined;
  for (let tag = scanner.next(); tag; tag = scanner.next()) {
    if (tag.name === 'row') {
      if (tag.closing) current = undefined;
      else {
        const number = tag.attributes.r === undefined ? (rows.at(-1)?.row ?? 0) + 1 : Number(tag.attributes.r);
        if (!Number.isInteger(number) || number < 1 || number <= (rows.at(-1)?.row ?? 0)) throw fail(`broken worksheet (row number "${tag.attributes.r}" out of order)`);
        current = { row: number, cells: [] };
        rows.push(current);
        if (tag.selfClosing) current = undefined;
      }
      continue;
    }
    if (tag.name !== 'c' || tag.closing || !current) continue;
    const reference = tag.attributes.r;
    const column = reference === undefined ? current.cells.length : columnIndex(reference);
    if (column === undefined || column >= MAX_COLUMNS) throw fail(`row ${current.row}: a cell reference "${reference}" that is not a column letter and row`);
    const type = tag.attributes.t ?? 'n';
    let value = '';
    if (!tag.selfClosing) value = readCellValue(scanner, type, strings, fail, current.row);
    while (current.cells.length < column) current.cells.push('');
    current.cells[column] = value;
    width = Math.max(width, current.cells.length);
  }
  for (const row of rows) while (row.cells.length < width) row.cells.push('');
  return rows;
}

/** The value of one <c> element of type `type`, the scanner just inside it; leaves the scanner past </c>. */
function readCellValue(scanner: XmlScanner, type: string, strings: string[], fail: (problem: string) => FrankenlensError, row: number): string {
  let value = '';
  for (let tag = scanner.next(); tag; tag = scanner.next()) {
    if (tag.closing && tag.name === 'c') return value;
    if (tag.closing || tag.selfClosing) continue;
    if (tag.name === 'v') {
      const raw = scanner.textUntilClose('v');
      if (type === 's') {
        const index = Number(raw.trim());
        if (!Number.isInteger(index) || index < 0 || index >= strings.length) throw fail(`row ${row}: a shared string index ${raw.trim()} past the ${strings.length} strings`);
        value = strings[index]!;
      } else if (type === 'b') value = raw.trim() === '1' ? 'True' : 'False';
      else if (type === 'str' || type === 'inlineStr') value = unescapeExcel(raw);
      else value = raw.trim();
    } else if (tag.name === 'is') value = readStringItem(scanner, 'is');
    else if (tag.name === 'f') scanner.skipTo('f');
  }
  throw fail('broken worksheet (an unclosed cell)');
}
