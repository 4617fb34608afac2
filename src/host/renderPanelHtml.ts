/**
 * The one page template of every Frankenlens panel. Strict CSP: scripts only with this page's
 * nonce, styles and images only from the extension's own folders, no eval (Vega runs with its AST
 * interpreter), no inline styles (vega-embed's and vega-tooltip's injected <style> are turned off
 * in the webview and their rules live in media/panel.css).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { escapeHtml } from '../core/report/escapeHtml';

export interface PanelPage {
  title: string;
  /** Bundle in dist/ that runs the panel. */
  script: string;
  /** Stylesheets in media/. */
  stylesheets: string[];
}

/** The folders a panel may load from; everything else in the extension stays unreachable. */
export function panelResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

export function renderPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: PanelPage): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (folder: string, file: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, folder, file)).toString();
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${webview.cspSource}`,
    `img-src ${webview.cspSource} data: blob:`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  const stylesheets = page.stylesheets.map((file) => `<link rel="stylesheet" href="${escapeHtml(asset('media', file))}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(vscode.env.language)}">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${stylesheets}
    <title>${escapeHtml(page.title)}</title>
  </head>
  <body>
    <main id="app" aria-busy="true"></main>
    <script nonce="${nonce}" src="${escapeHtml(asset('dist', page.script))}"></script>
  </body>
</html>`;
}
