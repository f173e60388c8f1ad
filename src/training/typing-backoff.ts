// Every idle core, one given back while the user types. The extension host tells the training
// worker each time the user edits or moves the cursor ('typing'); from then on one thread fewer
// takes part in the steps (ParallelTrainer.setActiveThreads: the result does not change), and
// after `idleMs` without typing, all of them again. A run on one thread has nothing to give.
//
// It works before the run's threads exist too: typing while the corpus is read is remembered,
// and the run starts backed off until the pause is over.

/** What the back-off steers: the run's parallel trainer, through its session. */
export interface ThreadSteering {
  /** Threads started for the run. */
  readonly threads: number;
  setActiveThreads(n: number): void;
}

export interface TypingBackoffOptions {
  /** How long after the last keystroke the run takes all its threads again. */
  idleMs: number;
  /** Called with the threads now taking part, each time that changes (and once when attached). */
  onChange: (active: number, threads: number) => void;
  now?: () => number;
}

export class TypingBackoff {
  private run: ThreadSteering | undefined;
  private lastTyping = -Infinity;
  private timer: NodeJS.Timeout | undefined;
  private active = 0;

  constructor(private readonly o: TypingBackoffOptions) {}

  /** The run's threads exist: steer them from now on. */
  attach(run: ThreadSteering): void {
    this.run = run;
    this.update();
  }

  /** The user typed (or moved the cursor). */
  typing(): void {
    this.lastTyping = this.now();
    this.update();
  }

  /** The run ended: no timer may outlive it. */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.run = undefined;
  }

  private now(): number { return (this.o.now ?? Date.now)(); }

  private update(): void {
    const run = this.run;
    if (!run) return;
    const quietFor = this.now() - this.lastTyping;
    const typing = quietFor < this.o.idleMs;
    const active = typing ? Math.max(1, run.threads - 1) : run.threads;
    clearTimeout(this.timer);
    this.timer = typing ? setTimeout(() => this.update(), this.o.idleMs - quietFor) : undefined;
    this.timer?.unref();
    if (active === this.active) return;
    this.active = active;
    run.setActiveThreads(active);
    this.o.onChange(active, run.threads);
  }
}
