// The page shell every LSTM Lens webview uses: a strict Content-Security-Policy (nothing remote;
// scripts only with this page's nonce; styles only from the extension's own files, so no inline
// style at all), the stylesheets (the shared one, then the panel's own), its static body, and
// its one nonce'd script.
// No vscode import, so a benchmark can load the same page in a plain browser.

/** The stylesheets (file names in media/) a panel's page loads, in this order: the rules every
 *  webview shares, then the panel's own, so the panel's rules win where both set something. */
export function panelStylesheets(own: string): string[] {
  return ['webview.css', own];
}

export interface WebviewPageOptions {
  nonce: string;
  /** the webview's cspSource (where the extension's own files are served from) */
  cspSource: string;
  scriptUri: string;
  /** the page's stylesheets, in order (see panelStylesheets) */
  styleUris: string[];
  title: string;
  /** static markup of the page body; never source text (the scripts fill that in with textContent) */
  body: string;
}

export function webviewPage(o: WebviewPageOptions): string {
  const csp = [
    "default-src 'none'",
    `style-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.styleUris.map((u) => `<link rel="stylesheet" href="${u}">`).join('\n')}
<title>${o.title}</title>
</head>
<body>
${o.body}
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
