/**
 * `npm run model -- download [--repo ID] [--revision SHA]`  fetch pretrained DNABERT into the cache
 * `npm run model -- info <dir>`                             describe a checkpoint directory
 */
import { parseArgs } from 'node:util';
import { downloadPretrained, DNABERT6_REPO, DNABERT6_REVISION } from '../checkpoint/hub.js';
import { loadCheckpoint } from '../checkpoint/hf.js';
import { selectBackend } from '../backend.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { repo: { type: 'string' }, revision: { type: 'string' } },
});
const [command, target] = positionals;
try {
  if (command === 'download') {
    const dir = await downloadPretrained({ repo: values.repo ?? DNABERT6_REPO, revision: values.revision ?? DNABERT6_REVISION });
    console.log(`pretrained weights ready in ${dir}`);
  } else if (command === 'info' && target) {
    await selectBackend();
    const { model, report } = await loadCheckpoint(target);
    const c = model.config;
    console.log(`${target}: ${report.weightsFile}`);
    console.log(`  ${c.num_hidden_layers} layers × hidden ${c.hidden_size}, ${c.num_attention_heads} heads, FFN ${c.intermediate_size}, ${c.vocab_size} tokens (k = ${report.k}), ${model.size().toLocaleString('en')} parameters`);
    if (report.freshlyInitialised.length) console.log(`  initialised fresh: ${report.freshlyInitialised.join(', ')}`);
    if (report.ignored.length) console.log(`  ignored checkpoint keys: ${report.ignored.length} (${report.ignored.slice(0, 3).join(', ')}${report.ignored.length > 3 ? ', …' : ''})`);
  } else {
    console.error('usage:\n  npm run model -- download [--repo ID] [--revision SHA]\n  npm run model -- info <checkpoint dir>');
    process.exitCode = 2;
  }
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
}
