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

/** A group of the Files section: its title, its files with a note each, "and N more" or ''. */
export interface PanelFileGroup {
  /** 'train' | 'val' | 'skipped' */
  kind: string;
  /** "Trained on 12 files (TypeScript 9, Python 3)" */
  title: string;
  /** each line: a path and what to say of it ("1.2k characters", "binary (a NUL byte or not UTF-8)") */
  items: { path: string; note: string }[];
  /** "and 40 more" or '' */
  more: string;
}

export interface PanelSnapshot {
  train: [number, number][];   // [charsSeen, train bits/char]
  val: [number, number][];     // [charsSeen, validation bits/char]
  samples: PanelSample[];      // newest first
  status: PanelStatus;
  /** the files of the last corpus read (trained on, held out, skipped), or none yet */
  files: PanelFileGroup[];
}

export type ToPanel =
  | { type: 'init'; snapshot: PanelSnapshot }
  | { type: 'points'; train: [number, number][]; val: [number, number][] }
  | { type: 'sample'; sample: PanelSample }
  | { type: 'status'; status: PanelStatus }
  | { type: 'files'; files: PanelFileGroup[] };

export type FromPanel =
  | { type: 'ready' }
  | { type: 'command'; command: 'train' | 'stop' | 'resume' | 'generateSample' }
  | { type: 'csp-violation'; detail: string };
