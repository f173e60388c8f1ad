// Messages to the user. Each one also goes to the "LSTM Lens" output channel and to a short
// in-memory log that the extension-host tests read (a notification's text cannot be read back
// through the VS Code API). Buttons resolve later or never: callers must not await a message
// on a path that has to finish (tests and closing windows never click).
import * as vscode from 'vscode';

export type Level = 'info' | 'warning' | 'error';

export interface LoggedMessage { level: Level; text: string; time: number }

export class Notifier implements vscode.Disposable {
  readonly channel = vscode.window.createOutputChannel('LSTM Lens');
  readonly log: LoggedMessage[] = [];

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
    this.log.push({ level, text, time: Date.now() });
    if (this.log.length > 200) this.log.shift();
    this.trace(`${level}: ${text}`);
    const fn = level === 'info' ? vscode.window.showInformationMessage
      : level === 'warning' ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    return fn(text, ...buttons);
  }
}
