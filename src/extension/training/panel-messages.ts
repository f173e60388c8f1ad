// Messages between the Training panel's host side (panel.ts) and its webview script
// (media/training-panel.ts). Type-only: the webview bundle imports nothing else from here.

export interface PanelStatus {
  /** 'no model' | 'reading files' | 'training' | 'saving' | 'ready' | 'stopped' | 'failed' */
  state: string;
  lines: string[];   // short "label: value" lines under the chart
}

export interface PanelSample {
  charsSeen: number;
  text: string;
  time: number;
}

export interface PanelSnapshot {
  train: [number, number][];   // [charsSeen, train bits/char]
  val: [number, number][];     // [charsSeen, validation bits/char]
  samples: PanelSample[];      // newest first
  status: PanelStatus;
}

export type ToPanel =
  | { type: 'init'; snapshot: PanelSnapshot }
  | { type: 'points'; train: [number, number][]; val: [number, number][] }
  | { type: 'sample'; sample: PanelSample }
  | { type: 'status'; status: PanelStatus };

export type FromPanel =
  | { type: 'ready' }
  | { type: 'command'; command: 'train' | 'stop' | 'resume' | 'generateSample' }
  | { type: 'csp-violation'; detail: string };
