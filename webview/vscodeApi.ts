import type { FromPanel, StoredPanelState } from './protocol';

/** The part of VS Code's webview API this panel uses, typed with our protocol. */
interface VsCodeApi {
  postMessage(message: FromPanel): void;
  /** What the page stored last, also after a reload; validate before use. */
  getState(): unknown;
  setState(state: StoredPanelState | undefined): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

/** VS Code allows one `acquireVsCodeApi()` call per page; this module makes it. */
export const vscodeApi: VsCodeApi = acquireVsCodeApi();
