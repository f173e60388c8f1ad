// Messages to the user. Each one also goes to the "LSTM Lens" output channel and to the list of
// the last messages shown, which the extension's API gives read-only (api.messages: VS Code's API
// cannot read a notification's text back, so this is how another extension or a test learns
// what the user was told). Buttons resolve later or never: callers must not await a message on
// a path that has to finish (tests and closing windows never click).
import * as vscode from 'vscode';

export type Level = 'info' | 'warning' | 'error';

export interface LoggedMessage { level: Level; text: string; time: number }

export class Notifier implements vscode.Disposable {
  readonly channel = vscode.window.createOutputChannel('LSTM Lens');
  private readonly recent: LoggedMessage[] = [];

  /** The last 200 messages shown to the user, oldest first (the API's `messages`). */
  get shown(): readonly LoggedMessage[] {
    return this.recent;
  }

  info(text: string, ...buttons: string[]): Thenable<string | undefined> {
    return this.show('info', text, buttons);
  }

  warn(text: string, ...buttons: string[]): Thenable<string | undefined> {
    return this.show('warning', text, buttons);
  }

  error(text: string, ...buttons: string[]): Thenable<string | undefined> {
    return this.show('error', text, buttons);
  }

  /** A line in the output channel only. */
  trace(text: string): void {
    this.channel.appendLine(`[${new Date().toISOString().slice(11, 19)}] ${text}`);
  }

  dispose(): void {
    this.channel.dispose();
  }

  private show(level: Level, text: string, buttons: string[]): Thenable<string | undefined> {
    this.recent.push({ level, text, time: Date.now() });
    if (this.recent.length > 200) this.recent.shift();
    this.trace(`${level}: ${text}`);
    const fn = level === 'info' ? vscode.window.showInformationMessage
      : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    return fn(text, ...buttons);
  }
}
