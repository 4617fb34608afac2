/**
 * The diff panel's page: announces itself with `ready`, then draws whatever the host sends
 * (header + charts, or an error) and redraws the charts when the VS Code theme changes.
 */
import { ChartGallery } from './chartGallery';
import { renderDiffHeader } from './diffHeader';
import { MergeActions } from './mergeActions';
import type { ErrorMessage, ShowDiffMessage, ToPanel } from './protocol';
import { vscodeApi } from './vscodeApi';
import { onThemeChange, themeChartConfig } from './vscodeTheme';

const app = document.getElementById('app') as HTMLElement;
let gallery: ChartGallery | undefined;
/** Renders requested and not yet finished (a theme change can queue one behind another). */
let rendersInFlight = 0;

function showDiff(message: ShowDiffMessage): void {
  gallery?.dispose();
  const charts = document.createElement('section');
  charts.className = 'charts';
  const actions = new MergeActions(message.strings, message.summary.llmLayers, (action) => vscodeApi.postMessage(action));
  app.replaceChildren(renderDiffHeader(message.summary, message.strings), actions.element, charts);
  gallery = new ChartGallery(charts, message.charts, message.strings.chartFailed, (range) => {
    actions.show(range);
    if (range) vscodeApi.postMessage({ type: 'layerRangeSelected', ...range });
  });
  // Kept so VS Code can hand it back to the host when it restores the panel after a reload.
  vscodeApi.setState(message.resultFile === null ? undefined : { resultFile: message.resultFile });
  void renderCharts(gallery);
}

/** Draws the charts in the current theme; `aria-busy` tells assistive tech (and tests) when they are ready. */
async function renderCharts(current: ChartGallery): Promise<void> {
  rendersInFlight++;
  app.setAttribute('aria-busy', 'true');
  try {
    await current.render(themeChartConfig());
  } finally {
    rendersInFlight--;
    if (current === gallery && rendersInFlight === 0) app.setAttribute('aria-busy', 'false');
  }
}

function showError(message: ErrorMessage): void {
  gallery?.dispose();
  gallery = undefined;
  const text = document.createElement('p');
  text.className = 'panel-error';
  text.setAttribute('role', 'alert');
  text.textContent = message.message;
  app.replaceChildren(text);
  app.setAttribute('aria-busy', 'false');
}

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const message = event.data;
  switch (message?.type) {
    case 'showDiff':
      showDiff(message);
      break;
    case 'error':
      showError(message);
      break;
  }
});

onThemeChange(() => {
  if (gallery) void renderCharts(gallery);
});

vscodeApi.postMessage({ type: 'ready' });
