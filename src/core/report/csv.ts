/** Tables as CSV (RFC 4180: cells with a comma, quote or line break are quoted, quotes doubled; CRLF). */
export function tableCsv(table: { columns: readonly string[]; rows: readonly (readonly string[])[] }): string {
  const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);
  return [table.columns, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
