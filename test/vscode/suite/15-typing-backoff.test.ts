// Every idle core, one given back while the user types: a run on two threads drops to one when
// the host reports typing (edits and cursor moves in an editor), and takes both again after the
// idle pause. The thread counts are the ones the training worker reports. The host's event-loop
// delay while training and typing is printed (a measurement, not an assertion: the machine is
// shared).
import { strict as assert } from 'node:assert';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { clean, getApi, keepWorkspaceSettings, waitFor } from '../helpers';

const WS = vscode.ConfigurationTarget.Workspace;

function describeDelay(h: ReturnType<typeof monitorEventLoopDelay>): string {
  const ms = (ns: number) => Math.max(0, ns / 1e6 - 5);   // a delay is a recorded interval minus the resolution
  return `p50 ${ms(h.percentile(50)).toFixed(1)} ms, p99 ${ms(h.percentile(99)).toFixed(1)} ms, max ${ms(h.max).toFixed(1)} ms`;
}

async function delayFor(ms: number): Promise<string> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  await new Promise((r) => setTimeout(r, ms));
  h.disable();
  return describeDelay(h);
}

/** Types into the editor, a character every 100 ms, until `stop()` is true; returns the
 *  keystrokes and the host's event-loop delay meanwhile (p50/p99/max, ms). */
async function typeWhile(editor: vscode.TextEditor, keepOn: () => boolean | Promise<boolean>) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  let typed = 0;
  while (await keepOn()) {
    await editor.edit((e) => e.insert(editor.selection.active, typed++ % 40 === 39 ? '\n' : 'x'));
    await new Promise((r) => setTimeout(r, 100));
  }
  h.disable();
  return `${typed} keystrokes: ${describeDelay(h)}`;
}

describe('typing gives a core back', () => {
  const restore = keepWorkspaceSettings('lstmLens', ['threads', 'timeBudgetMinutes']);
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await restore();
  });

  it('drops to one thread while the user types and takes two again after the pause', async () => {
    const api = await getApi();
    await clean(api);
    const c = vscode.workspace.getConfiguration('lstmLens');
    await c.update('threads', 2, WS);
    await c.update('timeBudgetMinutes', 2, WS);
    const reported: number[] = [];
    const onThreads = (t: { active: number }) => reported.push(t.active);
    api.controller.on('threads', onThreads);
    const run = vscode.commands.executeCommand('lstmLens.train');
    try {
      await waitFor('training to start', () => (api.controller.current?.progress?.step ?? 0) > 0, 60_000);
      assert.deepEqual(api.controller.current?.threads, { active: 2, threads: 2 }, 'two threads while nobody types');

      const doc = await vscode.workspace.openTextDocument({ language: 'typescript', content: '' });
      const editor = await vscode.window.showTextDocument(doc);
      console.log(`      event-loop delay while training, not typing, ${await delayFor(3000)}`);
      // type until the worker reports one thread, then 20 keystrokes more
      let after = 0;
      const whileTraining = await typeWhile(editor, () => (api.controller.current?.threads?.active === 1 ? after++ < 20 : true));
      assert.equal(api.controller.current?.threads?.active, 1, 'still one thread while typing goes on');
      console.log(`      event-loop delay while training and typing, ${whileTraining}`);
      await waitFor('the worker to take two threads again', () => api.controller.current?.threads?.active === 2, 30_000);
      assert.deepEqual(reported.slice(0, 3), [2, 1, 2], 'reported: two, one while typing, two again');
      await vscode.commands.executeCommand('lstmLens.stop');
      await run;
      // for comparison: the same typing with no run going on
      let n = 0;
      console.log(`      event-loop delay while typing, no training, ${await typeWhile(editor, () => n++ < 25)}`);
    } finally {
      api.controller.off('threads', onThreads);
      if (api.controller.running) await vscode.commands.executeCommand('lstmLens.stop');
      await run;
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });
});
