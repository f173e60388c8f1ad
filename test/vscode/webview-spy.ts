// Hears a webview panel of the extension as the extension itself does: wraps
// vscode.window.createWebviewPanel (the extension and the tests share the vscode API object of
// this extension) while `open` runs, and records the page's messages to the extension and the
// extension's messages to the page, each with the promise VS Code gives for its delivery; and
// sends messages to the extension as the page does (a user's clicks in the page).
import * as vscode from 'vscode';

export interface WebviewSpy<ToPage> {
  panel: vscode.WebviewPanel;
  fromPage: { type: string; [k: string]: unknown }[];
  toPage: { m: ToPage; delivered: Thenable<boolean>; afterReady: boolean }[];
  /** Hands m to the extension's listeners as if the page had posted it (not recorded in fromPage). */
  sendAsPage(m: { type: string; [k: string]: unknown }): void;
  /** The panel was closed (by the user or the extension). */
  disposed: boolean;
}

export async function spyOnWebviewPanel<ToPage>(viewType: string, open: () => Thenable<unknown>): Promise<WebviewSpy<ToPage>> {
  const win = vscode.window as { createWebviewPanel: typeof vscode.window.createWebviewPanel };
  const create = win.createWebviewPanel;
  let spy: WebviewSpy<ToPage> | undefined;
  win.createWebviewPanel = (...args: Parameters<typeof create>) => {
    const p = create.apply(vscode.window, args);
    if (p.viewType === viewType) {
      const listeners: ((m: unknown) => unknown)[] = [];
      const s: WebviewSpy<ToPage> = {
        panel: p, fromPage: [], toPage: [], disposed: false,
        sendAsPage: (m) => { for (const l of listeners) l(m); },
      };
      spy = s;
      p.onDidDispose(() => { s.disposed = true; });
      const on = p.webview.onDidReceiveMessage.bind(p.webview);
      on((m: { type: string }) => s.fromPage.push(m));
      (p.webview as { onDidReceiveMessage: vscode.Event<unknown> }).onDidReceiveMessage = (listener, thisArgs?, disposables?) => {
        listeners.push((m) => listener.call(thisArgs, m));
        return on(listener, thisArgs, disposables);
      };
      const post = p.webview.postMessage.bind(p.webview);
      p.webview.postMessage = (m: ToPage) => {
        const delivered = post(m);
        s.toPage.push({ m, delivered, afterReady: s.fromPage.some((x) => x.type === 'ready') });
        return delivered;
      };
    }
    return p;
  };
  try {
    await open();
  } finally {
    win.createWebviewPanel = create;
  }
  if (!spy) throw new Error(`no ${viewType} webview panel was created`);
  return spy;
}
