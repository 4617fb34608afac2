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
import { declaresParam, layerRangeFromBrush, type LayerRange } from './layerBrush';

/** Brushing fires on every mouse move; the host hears about a range once the hand rests. */
const BRUSH_SETTLE_MS = 250;

interface ChartSlot {
  chart: DiffChart;
  target: HTMLElement;
  embedded?: Result;
}

export class ChartGallery {
  private readonly slots: ChartSlot[];
  /** Renders run one after another: two embeds into one element at once would interleave their DOM. */
  private renderQueue: Promise<void> = Promise.resolve();
  private disposed = false;
  private brushTimer: ReturnType<typeof setTimeout> | undefined;
  private lastRange: LayerRange | undefined;

  constructor(
    container: HTMLElement,
    charts: readonly DiffChart[],
    private readonly chartFailedText: string,
    /** Called with the brushed layers whenever they change, and with undefined once no brush is left. */
    private readonly onLayerRange: (range: LayerRange | undefined) => void,
  ) {
    this.slots = charts.map((chart) => {
      const target = document.createElement('div');
      target.className = 'chart';
      const caption = document.createElement('figcaption');
      caption.textContent = chart.description;
      const figure = document.createElement('figure');
      figure.id = `chart-${chart.id}`;
      figure.append(target, caption);
      container.append(figure);
      return { chart, target };
    });
  }

  /** (Re)draws every chart with `themeConfig` merged over its own config, after any render under way. */
  render(themeConfig: Config): Promise<void> {
    // Redrawn charts start without a brush.
    if (this.lastRange) {
      clearTimeout(this.brushTimer);
      this.lastRange = undefined;
      this.onLayerRange(undefined);
    }
    this.renderQueue = this.renderQueue.then(() => this.renderAll(themeConfig));
    return this.renderQueue;
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
    } catch (error) {
      if (this.disposed) return;
      const message = document.createElement('p');
      message.className = 'chart-error';
      message.textContent = `${this.chartFailedText} ${error instanceof Error ? error.message : String(error)}`;
      slot.target.replaceChildren(message);
    }
  }

  private brushed(value: unknown): void {
    clearTimeout(this.brushTimer);
    this.brushTimer = setTimeout(() => {
      const range = layerRangeFromBrush(value);
      const unchanged = range?.startUnified === this.lastRange?.startUnified && range?.endUnified === this.lastRange?.endUnified;
      this.lastRange = range;
      if (!unchanged) this.onLayerRange(range);
    }, BRUSH_SETTLE_MS);
  }
}
