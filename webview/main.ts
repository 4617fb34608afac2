/**
 * The diff panel's page: announces itself with `ready`, then draws whatever the host sends
 * (header + charts, or an error) and redraws the charts when the VS Code theme changes.
 */
import { ChartGallery } from './chartGallery';
import { chartControls } from './chartControls';
import { availableMetrics, availableSections, PER_LAYER_CHART_ID, perLayerChart, restoreChartView } from './chartView';
import { renderDiffHeader } from './diffHeader';
import type { LayerRange } from './layerBrush';
import { layerPicker } from './layerPicker';
import { MergeActions } from './mergeActions';
import { analysisTable } from './analysisTable';
import { element } from './dom';
import { isAnalysisNotice, type ChartViewState, type ErrorMessage, type ExportChartMessage, type ShowAnalysisMessage, type ShowDiffMessage, type StoredPanelState, type ToPanel, type ToPanelAnswer } from './protocol';
import { TensorTable } from './tensorTable';
import { vscodeApi } from './vscodeApi';
import { onThemeChange, themeChartConfig } from './vscodeTheme';

const app = document.getElementById('app') as HTMLElement;
let gallery: ChartGallery | undefined;
/** Renders requested and not yet finished (a theme change can queue one behind another). */
let rendersInFlight = 0;
let tensorTable: TensorTable | undefined;
let nextRequestId = 0;

function storedState(): StoredPanelState {
  const state = vscodeApi.getState();
  return typeof state === 'object' && state !== null ? (state as StoredPanelState) : {};
}

/** Kept so VS Code can hand it back to the host when it restores the panel after a reload. */
function saveState(resultFile: string | null, chartView: ChartViewState): void {
  vscodeApi.setState(resultFile === null ? { chartView } : { resultFile, chartView });
}

function showDiff(message: ShowDiffMessage): void {
  gallery?.dispose();
  const { strings, layerResult } = message;
  const charts = document.createElement('section');
  charts.className = 'charts';
  const actions = new MergeActions(strings, message.summary.llmLayers, (action) => vscodeApi.postMessage(action));
  const table = new TensorTable(strings);
  tensorTable = table;
  const selectRange = (range: LayerRange | undefined) => {
    actions.show(range);
    if (range) vscodeApi.postMessage({ type: 'layerRangeSelected', ...range });
  };
  const listTensors = (unifiedLayer: number) => {
    const requestId = nextRequestId++;
    table.loading(requestId);
    vscodeApi.postMessage({ type: 'layerTensors', requestId, unifiedLayer });
  };
  const picker = layerPicker(strings, layerResult.layers, selectRange, listTensors);
  app.replaceChildren(renderDiffHeader(message.summary, strings), actions.element, picker, charts, table.element);

  const original = message.charts.find((chart) => chart.id === PER_LAYER_CHART_ID);
  let view = restoreChartView(storedState().chartView, layerResult);
  const chartFor = (next: ChartViewState) => original && perLayerChart(original, layerResult, next, strings.sectionNames[next.section]);
  const initial = chartFor(view);
  const current = new ChartGallery(charts, message.charts.map((chart) => (chart.id === PER_LAYER_CHART_ID && initial ? initial : chart)), {
    chartFailedText: strings.chartFailed,
    onLayerRange: selectRange,
    onLayerClick: listTensors,
    exportGroupLabel: strings.exportGroupLabel,
    exportFormats: strings.exportFormats,
    onExport: (exportMessage) => vscodeApi.postMessage(exportMessage),
  });
  gallery = current;
  const figure = current.figure(PER_LAYER_CHART_ID);
  if (figure) {
    const controls = chartControls(strings, availableMetrics(layerResult), availableSections(layerResult), view, (next) => {
      view = next;
      saveState(message.resultFile, view);
      const chart = chartFor(view);
      if (chart) void trackRender(current, current.replace(chart));
    });
    figure.prepend(controls);
  }
  saveState(message.resultFile, view);
  void renderCharts(current);
}

function showAnalysis(message: ShowAnalysisMessage): void {
  gallery?.dispose();
  tensorTable = undefined;
  const { strings } = message;
  const facts = element('dl', 'diff-inputs');
  for (const { label, value } of message.facts) facts.append(element('dt', null, label), element('dd', null, element('code', null, value)));
  const header = element('header', 'diff-header', element('h2', null, message.heading), facts);
  if (isAnalysisNotice(message.notice)) header.append(element('p', 'analysis-notice', message.notice));
  const charts = element('section', 'charts');
  const post = (exportMessage: ExportChartMessage) => vscodeApi.postMessage(exportMessage);
  app.replaceChildren(header, ...(message.table ? [analysisTable(strings, message.table, post)] : []), charts);
  const current = new ChartGallery(charts, message.charts, {
    chartFailedText: strings.chartFailed,
    onLayerRange: () => {},
    onLayerClick: () => {},
    exportGroupLabel: strings.exportGroupLabel,
    exportFormats: strings.exportFormats,
    onExport: (exportMessage) => vscodeApi.postMessage(exportMessage),
  });
  gallery = current;
  const { choice } = message;
  const figure = choice && current.figure(choice.chartId);
  if (choice && figure) {
    const list = element('select', 'chart-choice');
    list.id = `chart-choice-${choice.chartId}`;
    for (const option of choice.options) {
      const item = element('option', null, option.label);
      item.value = option.value;
      list.append(item);
    }
    list.value = choice.selected;
    list.addEventListener('change', () => {
      const picked = choice.options.find((option) => option.value === list.value);
      if (picked) void trackRender(current, current.replace(picked.chart));
    });
    const label = element('label', null, choice.label);
    label.htmlFor = list.id;
    figure.prepend(element('div', 'chart-controls', element('div', 'chart-control', label, list)));
  }
  vscodeApi.setState({ resultFile: message.resultFile });
  void renderCharts(current);
}

function showAnswer(message: ToPanelAnswer): void {
  switch (message.type) {
    case 'layerTensors':
      tensorTable?.show(message);
      break;
  }
}

/** Draws the charts in the current theme; `aria-busy` tells assistive tech (and tests) when they are ready. */
function renderCharts(current: ChartGallery): Promise<void> {
  return trackRender(current, current.render(themeChartConfig()));
}

async function trackRender(current: ChartGallery, rendering: Promise<void>): Promise<void> {
  rendersInFlight++;
  app.setAttribute('aria-busy', 'true');
  try {
    await rendering;
  } finally {
    rendersInFlight--;
    if (current === gallery && rendersInFlight === 0) app.setAttribute('aria-busy', 'false');
  }
}

function showError(message: ErrorMessage): void {
  gallery?.dispose();
  gallery = undefined;
  tensorTable = undefined;
  const text = document.createElement('p');
  text.className = 'panel-error';
  text.setAttribute('role', 'alert');
  text.textContent = message.message;
  app.replaceChildren(text);
  app.setAttribute('aria-busy', 'false');
}

window.addEventListener('message', (event: MessageEvent<ToPanel | ToPanelAnswer>) => {
  const message = event.data;
  switch (message?.type) {
    case 'showDiff':
      showDiff(message);
      break;
    case 'showAnalysis':
      showAnalysis(message);
      break;
    case 'error':
      showError(message);
      break;
    case 'layerTensors':
      showAnswer(message);
      break;
  }
});

onThemeChange(() => {
  if (gallery) void renderCharts(gallery);
});

vscodeApi.postMessage({ type: 'ready' });
