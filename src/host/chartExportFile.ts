/** Where an exported chart goes by default, and its bytes: pure, so it is unit-tested without VS Code. */
import { dirname, join } from 'node:path';
import { CHART_EXPORT_FORMATS, type ExportChartMessage } from '../../webview/protocol';

/** `<chart id>.<ext>`: relative-update.svg, relative-update.vl.json, relative-update.data.json. */
export function exportFileName(chartId: string, format: ExportChartMessage['format']): string {
  return `${chartId}.${CHART_EXPORT_FORMATS[format].extension}`;
}

/** Next to `diff.json` when the panel shows a saved result, else in `fallbackFolder` (or bare when there is none). */
export function defaultExportPath(message: Pick<ExportChartMessage, 'chartId' | 'format'>, resultFile: string | null, fallbackFolder: string | undefined): string {
  const name = exportFileName(message.chartId, message.format);
  const folder = resultFile !== null ? dirname(resultFile) : fallbackFolder;
  return folder === undefined ? name : join(folder, name);
}

/** The file's bytes: PNGs arrive base64-encoded, everything else as text. */
export function exportBytes(message: Pick<ExportChartMessage, 'format' | 'content'>): Uint8Array {
  return Buffer.from(message.content, CHART_EXPORT_FORMATS[message.format].base64 ? 'base64' : 'utf8');
}
