/** Numbers as the tensor table shows them. */

/** Four significant digits, trailing zeros trimmed: 0.05009, 1.688e-7, 1.235e4; "—" for a missing value. */
export function formatSignificant(value: number | null): string {
  if (value === null) return '—';
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const [mantissa, exponent] = value.toPrecision(4).split('e') as [string, string | undefined];
  const trimmed = mantissa.includes('.') ? mantissa.replace(/\.?0+$/, '') : mantissa;
  return exponent === undefined ? trimmed : `${trimmed}e${exponent.replace('+', '')}`;
}

/** The exact value, for the title attribute: the shortest text that reads back as the same double. */
export function exactNumber(value: number | null): string {
  return value === null ? '' : String(value);
}

/** A tensor shape as PyTorch prints it: [2048, 1280]; [] for a scalar. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
