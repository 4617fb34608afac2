/**
 * The look of every Frankenlens chart. The default suits a static light report (HTML, SVG, PNG);
 * the webview passes a config built from VS Code's theme colours, which is merged over it.
 */
import type { Config } from 'vega-lite';

/** DejaVu Sans first: it is what the PNG rasterizer finds on Linux, and its glyphs cover ‖ Δ → −. */
export const CHART_FONT = 'DejaVu Sans, Helvetica Neue, Helvetica, Arial, sans-serif';

const ink = '#1f2328';
const mutedInk = '#57606a';
const rule = '#8c959f';
const grid = '#eaeef2';

export const DEFAULT_CHART_CONFIG: Config = {
  background: '#ffffff',
  font: CHART_FONT,
  padding: 12,
  view: { stroke: '#d0d7de' },
  title: {
    anchor: 'start',
    fontSize: 15,
    fontWeight: 600,
    color: ink,
    subtitleColor: mutedInk,
    subtitleFontSize: 11,
    subtitlePadding: 4,
    offset: 12,
  },
  axis: {
    labelColor: mutedInk,
    labelFontSize: 11,
    titleColor: ink,
    titleFontSize: 12,
    titleFontWeight: 500,
    titlePadding: 8,
    domainColor: rule,
    tickColor: rule,
    gridColor: grid,
  },
  // Text marks are the section band labels.
  text: { color: ink, fontSize: 11 },
  legend: {
    labelColor: ink,
    labelFontSize: 11,
    titleColor: ink,
    titleFontSize: 11,
    titleFontWeight: 600,
  },
  // Series colours: IN→RL first, Base→IN second. A theme replaces them through `range.category`.
  range: { category: ['#1f6feb', '#e8590c', '#2f9e44', '#ae3ec9'] },
};

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mergeDeep(base: PlainObject, override: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) continue;
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeDeep(current, value) : value;
  }
  return merged;
}

/** The default config with `override` merged in: nested objects merge, arrays and scalars replace. */
export function chartConfig(override?: Config): Config {
  // Cloned so that a caller mutating its spec can never change the next chart's defaults.
  return mergeDeep(structuredClone(DEFAULT_CHART_CONFIG) as PlainObject, (override ?? {}) as PlainObject) as Config;
}
