import { CharNGram } from '/work/main/src/engine/ngram';
import * as fs from 'node:fs';
const text = fs.readFileSync('/tmp/mixed.txt','utf8').slice(0, 3_000_000);
const chars = new Map<string,number>();
for (const ch of text) if (!chars.has(ch)) chars.set(ch, chars.size);
const V = chars.size;
const ids = Int32Array.from([...text].map(c=>chars.get(c)!));
const train = ids.subarray(0, 2_800_000), test = ids.subarray(2_800_000);
const m = new CharNGram(10, V);
let t0 = performance.now(); m.addText(train); console.log('count', (performance.now()-t0).toFixed(0),'ms V',V);
const mode = process.argv[2];
if (mode === 'deser') { const b = m.serialize(); t0 = performance.now(); CharNGram.deserialize(b); console.log('deser', performance.now()-t0); }
else {
const out = new Float32Array(V);
t0 = performance.now();
for (let i=1;i<50000;i++) m.predict(test, i, out);
console.log('predict us', ((performance.now()-t0)*1000/50000).toFixed(2));
t0 = performance.now();
const b = m.bitsPerChar(test.subarray(0,50000));
console.log('bits us/char', ((performance.now()-t0)*1000/50000).toFixed(2), b);
}
