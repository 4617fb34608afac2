import type { FromPanel, PanelState } from './protocol';

/** The part of VS Code's webview API this panel uses, typed with our protocol. */
interface VsCodeApi {
  postMessage(message: FromPanel): void;
  setState(state: PanelState | undefined): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one `acquireVsCodeApi()` call per page; this module makes it. */
export const vscodeApi: VsCodeApi = acquireVsCodeApi();
