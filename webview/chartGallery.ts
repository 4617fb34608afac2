/**
 * Draws the report's Vega-Lite charts with vega-embed. Vega runs on its AST interpreter
 * (`ast: true`), so the page's CSP needs no 'unsafe-eval'; vega-embed's and vega-tooltip's injected
 * stylesheets are turned off (the CSP blocks inline styles) and replaced by media/panel.css.
 */
import { mergeConfig } from 'vega';
import embed, { type Result } from 'vega-embed';
import { expressionInterpreter } from 'vega-interpreter';
import type { Config, TopLevelSpec } from 'vega-lite';
import { LAYER_BRUSH, type DiffChart } from '../src/core/report/diffSpecs';
import { element } from './dom';
import { declaresParam, layerRangeFromBrush, type LayerRange } from './layerBrush';
import { exportToolbar } from './exportToolbar';
import type { ChartExportFormat, ExportChartMessage } from './protocol';

/** Brushing fires on every mouse move; the host hears about a range once the hand rests. */
const BRUSH_SETTLE_MS = 250;

interface ChartSlot {
  chart: DiffChart;
  figure: HTMLElement;
  caption: HTMLElement;
  toolbar: HTMLElement;
  target: HTMLElement;
  embedded?: Result;
}

export interface ChartGalleryOptions {
  chartFailedText: string;
  /** Called with the brushed layers whenever they change, and with undefined once no brush is left. */
  onLayerRange: (range: LayerRange | undefined) => void;
  /** Called with the unified layer of a clicked point (or heatmap cell). */
  onLayerClick: (unifiedLayer: number) => void;
  /** The export buttons: their group's accessible name ({0}: the chart title) and their labels. */
  exportGroupLabel: string;
  exportFormats: Record<ChartExportFormat, string>;
  onExport: (message: ExportChartMessage) => void;
}

const EXPORT_ORDER: readonly ChartExportFormat[] = ['svg', 'png', 'spec', 'data'];

/** The unified layer of a clicked scenegraph item's datum, when it has one. */
export function clickedLayer(item: unknown): number | undefined {
  const datum = (item as { datum?: unknown } | null | undefined)?.datum;
  if (typeof datum !== 'object' || datum === null) return undefined;
  const layer = (datum as Record<string, unknown>).unifiedLayer;
  return Number.isSafeInteger(layer) ? (layer as number) : undefined;
}

export class ChartGallery {
  private readonly slots: ChartSlot[];
  /** Renders run one after another: two embeds into one element at once would interleave their DOM. */
  private renderQueue: Promise<void> = Promise.resolve();
  private disposed = false;
  private brushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRange: LayerRange | undefined;
  private themeConfig: Config = {};

  constructor(
    container: HTMLElement,
    charts: readonly DiffChart[],
    private readonly options: ChartGalleryOptions,
  ) {
    this.slots = charts.map((chart) => {
      const target = element('div', 'chart');
      const caption = element('figcaption', null, chart.description);
      const toolbar = exportToolbar(EXPORT_ORDER, options.exportFormats, (format) => void this.export(slot, format));
      const figure = element('figure', null, toolbar, target, caption);
      figure.id = `chart-${chart.id}`;
      container.append(figure);
      const slot: ChartSlot = { chart, figure, caption, toolbar, target };
      this.label(slot);
      return slot;
    });
  }

  /** The figure of a chart, to place controls in; undefined when there is no such chart. */
  figure(chartId: string): HTMLElement | undefined {
    return this.slots.find((slot) => slot.chart.id === chartId)?.figure;
  }

  /** (Re)draws every chart with `themeConfig` merged over its own config, after any render under way. */
  render(themeConfig: Config): Promise<void> {
    this.themeConfig = themeConfig;
    this.clearBrush();
    this.renderQueue = this.renderQueue.then(() => this.renderAll(themeConfig));
    return this.renderQueue;
  }

  /** Swaps a chart (same id) for another one and redraws it alone, after any render under way. */
  replace(chart: DiffChart): Promise<void> {
    const slot = this.slots.find((candidate) => candidate.chart.id === chart.id);
    if (!slot) return this.renderQueue;
    slot.chart = chart;
    slot.caption.textContent = chart.description;
    this.label(slot);
    this.clearBrush();
    const themeConfig = this.themeConfig;
    this.renderQueue = this.renderQueue.then(() => this.renderSlot(slot, themeConfig));
    return this.renderQueue;
  }

  private label(slot: ChartSlot): void {
    slot.toolbar.setAttribute('aria-label', this.options.exportGroupLabel.replaceAll('{0}', slot.chart.title));
  }

  /** Redrawn charts start without a brush. */
  private clearBrush(): void {
    if (!this.lastRange) return;
    clearTimeout(this.brushTimer);
    this.lastRange = undefined;
    this.options.onLayerRange(undefined);
  }

  /** The drawing as the panel shows it (theme colours included), or the spec and data as built. */
  private async export(slot: ChartSlot, format: ChartExportFormat): Promise<void> {
    const view = slot.embedded?.view;
    let content: string;
    switch (format) {
      case 'svg':
        if (!view) return;
        content = await view.toSVG();
        break;
      case 'png': {
        if (!view) return;
        const url = await view.toImageURL('png', 2);
        content = url.slice(url.indexOf(',') + 1);
        break;
      }
      case 'spec':
        content = JSON.stringify(slot.chart.spec, null, 2);
        break;
      case 'data':
        content = JSON.stringify(slot.chart.spec.datasets ?? {}, null, 2);
        break;
      case 'csv':
        // Tables export CSV (analysisTable.ts); charts offer their data as JSON.
        return;
    }
    this.options.onExport({ type: 'exportChart', chartId: slot.chart.id, format, content });
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.brushTimer);
    for (const slot of this.slots) slot.embedded?.finalize();
  }

  private async renderAll(themeConfig: Config): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.renderSlot(slot, themeConfig)));
  }

  /** Never rejects: a chart that cannot be drawn shows why in its place. */
  private async renderSlot(slot: ChartSlot, themeConfig: Config): Promise<void> {
    if (this.disposed) return;
    const spec = { ...slot.chart.spec, config: mergeConfig(slot.chart.spec.config ?? {}, themeConfig) } as TopLevelSpec;
    try {
      const embedded = await embed(slot.target, spec, {
        mode: 'vega-lite',
        renderer: 'svg',
        actions: false,
        defaultStyle: false,
        tooltip: { disableDefaultStyle: true },
        ast: true,
        expr: expressionInterpreter,
      });
      if (this.disposed) {
        embedded.finalize();
        return;
      }
      slot.embedded?.finalize();
      slot.embedded = embedded;
      if (declaresParam(slot.chart.spec, LAYER_BRUSH)) {
        embedded.view.addSignalListener(LAYER_BRUSH, (_name, value: unknown) => this.brushed(value));
      }
      embedded.view.addEventListener('click', (_event, item) => {
        const layer = clickedLayer(item);
        if (layer !== undefined) this.options.onLayerClick(layer);
      });
    } catch (error) {
      if (this.disposed) return;
      const message = document.createElement('p');
      message.className = 'chart-error';
      message.textContent = `${this.options.chartFailedText} ${error instanceof Error ? error.message : String(error)}`;
      slot.target.replaceChildren(message);
    }
  }

  private brushed(value: unknown): void {
    clearTimeout(this.brushTimer);
    this.brushTimer = setTimeout(() => {
      const range = layerRangeFromBrush(value);
      const unchanged = range?.startUnified === this.lastRange?.startUnified && range?.endUnified === this.lastRange?.endUnified;
      this.lastRange = range;
      if (!unchanged) this.options.onLayerRange(range);
    }, BRUSH_SETTLE_MS);
  }
}
