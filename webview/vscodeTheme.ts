/**
 * Chart colours and fonts from the VS Code theme. VS Code sets its colours as CSS variables on the
 * page and marks the theme kind with a class on <body> (vscode-light, vscode-dark,
 * vscode-high-contrast, vscode-high-contrast-light) and the theme itself with
 * `data-vscode-theme-id`, so a theme change is a change of those attributes.
 */
import type { Config } from 'vega-lite';

function cssVariable(...names: string[]): string | undefined {
  const style = getComputedStyle(document.documentElement);
  for (const name of names) {
    const value = style.getPropertyValue(name).trim();
    if (value !== '') return value;
  }
  return undefined;
}

/**
 * The colour without its transparency: some theme colours are translucent (charts.orange defaults
 * to the minimap's find-match highlight), and a series line must read at full strength.
 */
function opaque(colour: string): string {
  const rgba = /^rgba\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*[\d.]+\s*\)$/.exec(colour);
  if (rgba) return `rgb(${rgba[1]}, ${rgba[2]}, ${rgba[3]})`;
  return /^#[0-9a-f]{8}$/i.test(colour) ? colour.slice(0, 7) : colour;
}

/** Drops the entries the theme does not define, so the spec's own defaults stay in force for them. */
function defined<T extends Record<string, unknown>>(entries: T): Partial<T> {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A Vega-Lite config for the current theme, to merge over each spec's own config. */
export function themeChartConfig(): Config {
  const foreground = cssVariable('--vscode-editor-foreground', '--vscode-foreground');
  const muted = cssVariable('--vscode-descriptionForeground');
  const rule = cssVariable('--vscode-editorWidget-border', '--vscode-panel-border', '--vscode-contrastBorder');
  const selection = cssVariable('--vscode-editor-selectionBackground');
  const focus = cssVariable('--vscode-focusBorder');
  const grid = cssVariable('--vscode-editorIndentGuide-background1', '--vscode-editorIndentGuide-background', '--vscode-panel-border');
  // First colour for IN→RL, second for Base→IN, as in the static report.
  const category = ['blue', 'orange', 'green', 'purple', 'red', 'yellow']
    .map((name) => cssVariable(`--vscode-charts-${name}`))
    .filter((colour): colour is string => colour !== undefined)
    .map(opaque);
  return defined({
    // The panel's own background shows through, whatever the theme.
    background: 'transparent',
    font: cssVariable('--vscode-font-family'),
    title: defined({ color: foreground, subtitleColor: muted }),
    axis: defined({ labelColor: muted, titleColor: foreground, domainColor: rule, tickColor: rule, gridColor: grid }),
    legend: defined({ labelColor: foreground, titleColor: foreground }),
    text: defined({ color: foreground }),
    view: defined({ stroke: rule }),
    range: category.length > 0 ? { category } : undefined,
    // The layer brush: Vega-Lite's default grey fill vanishes on dark backgrounds.
    selection: { interval: { mark: defined({ fill: selection, fillOpacity: 0.35, stroke: focus }) } },
  }) as Config;
}

const THEME_ATTRIBUTES = ['class', 'data-vscode-theme-id'];

function themeKey(): string {
  return THEME_ATTRIBUTES.map((name) => document.body.getAttribute(name) ?? '').join('|');
}

/** Calls `listener` whenever VS Code switches themes (light, dark, high contrast, or another theme of the same kind). */
export function onThemeChange(listener: () => void): void {
  let current = themeKey();
  new MutationObserver(() => {
    const next = themeKey();
    if (next === current) return;
    current = next;
    listener();
  }).observe(document.body, { attributes: true, attributeFilter: THEME_ATTRIBUTES });
}
