// The editor's settings repeat the defaults of src/defaults.ts in package.json (VS Code reads them
// from there): the two must agree, and the budget-scaled intervals must keep their promises.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS, intervalsFor, saveEveryMsFor } from '../../src/defaults';

const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8'));
/** contributes.configuration: titled sections (Model, Training, ...), each with its properties. */
interface Setting { default: unknown; type?: string; enum?: unknown[]; enumDescriptions?: string[]; markdownDescription?: string; description?: string }
const sections = manifest.contributes.configuration as { title: string; order?: number; properties: Record<string, Setting> }[];
const props: Record<string, Setting> = Object.assign({}, ...sections.map((s) => s.properties));
const setting = (key: string) => {
  assert.ok(props[`lstmLens.${key}`], `package.json has no lstmLens.${key}`);
  return props[`lstmLens.${key}`].default;
};

describe('defaults: one table (src/defaults.ts)', () => {
  it('package.json gives the settings the same defaults', () => {
    const { model, training, corpus, completions } = DEFAULTS;
    const expected: Record<string, unknown> = {
      cell: model.cell, layers: model.layers, hiddenSize: model.hidden, dropout: model.dropout,
      sequenceLength: training.seqLength, batchSize: training.batchSize, optimizer: training.optimizer,
      learningRate: training.learningRate, timeBudgetMinutes: training.minutes, threads: training.editorThreads,
      maxCorpusMB: corpus.editorMaxMB,
      'completions.enabled': completions.enabled, 'completions.component': completions.component,
      'completions.decoding': completions.strategy, 'completions.beamWidth': completions.beamWidth,
      'completions.scope': completions.scope, 'completions.maxChars': completions.maxChars,
      'completions.threshold': completions.threshold, 'completions.alternatives': completions.explicitAlternatives,
      'completions.debounceMs': completions.debounceMs,
      saveIntervalSeconds: DEFAULTS.intervals.editorSaveSeconds,
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(setting(key), value, `lstmLens.${key}`);
  });

  it('the settings come in titled sections, each enum value described', () => {
    assert.ok(Array.isArray(sections), 'contributes.configuration is an array of sections');
    assert.deepEqual(sections.map((s) => s.title), ['Model', 'Training', 'Training Files', 'Completions']);
    assert.equal(manifest.displayName, 'LSTM Lens', 'the sections sit under the extension\'s name, spelt so');
    const keys = sections.flatMap((s) => Object.keys(s.properties));
    assert.equal(new Set(keys).size, keys.length, 'each setting in one section');
    for (const s of sections) {
      for (const [key, p] of Object.entries(s.properties)) {
        assert.ok(p.markdownDescription || p.description, `${key} is described`);
        if (p.enum) assert.equal(p.enumDescriptions?.length, p.enum.length, `${key}: one description per value`);
        assert.equal(key.startsWith('lstmLens.completions.'), s.title === 'Completions', `${key} is in the section of its kind (${s.title})`);
      }
    }
  });

  it('a run of ten minutes or more uses the full intervals; a run of seconds still saves, scores and samples', () => {
    const i = DEFAULTS.intervals;
    for (const minutes of [10, 15, 60]) {
      assert.deepEqual(intervalsFor(minutes * 60_000),
        { progressEveryMs: i.progressEveryMs, evalEveryMs: i.evalEveryMs, sampleEveryMs: i.sampleEveryMs, saveEveryMs: i.saveEveryMs });
    }
    const short = intervalsFor(6_000);
    for (const [k, v] of Object.entries(short)) assert.ok(v < 6_000 / 2, `${k} ${v} ms fits twice into a 6 s run`);
    assert.ok(short.progressEveryMs >= 200 && short.evalEveryMs >= 1_000, 'floors keep the overhead small');
  });

  it('lstmLens.saveIntervalSeconds: 0 saves as the budget gives, other values as asked, never under the floor', () => {
    const floor = DEFAULTS.intervals.minSaveSeconds;
    assert.equal(props['lstmLens.saveIntervalSeconds'] && (props['lstmLens.saveIntervalSeconds'] as { minimum?: number }).minimum, 0);
    for (const budget of [3_000, 6_000, 15 * 60_000]) {
      assert.equal(saveEveryMsFor(budget, 0), intervalsFor(budget).saveEveryMs);
      assert.equal(saveEveryMsFor(budget, Number.NaN), intervalsFor(budget).saveEveryMs);
    }
    assert.equal(saveEveryMsFor(6_000, 600), 600_000);
    assert.equal(saveEveryMsFor(6_000, 2.5), 2_500);
    assert.equal(saveEveryMsFor(6_000, 0.001), floor * 1000, 'at least the floor');
    assert.ok(floor > 0 && floor <= 1);
  });
});
