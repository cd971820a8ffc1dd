/**
 * `npm run model -- download [--repo ID] [--revision SHA]`  fetch pretrained DNABERT into the cache
 * `npm run model -- info <dir>`                             describe a checkpoint directory
 */
import { downloadPretrained, DNABERT6_REPO, DNABERT6_REVISION } from '../checkpoint/hub.js';
import { loadCheckpoint } from '../checkpoint/hf.js';
import { selectBackend } from '../backend.js';
import { command, examples, run } from './command.js';

const cmd = command('model', 'Pretrained DNABERT checkpoints: download one, or describe a checkpoint folder.');

examples(
  cmd.command('download')
    .description('fetch a Hugging Face checkpoint at a pinned revision into the model cache (needs network)')
    .option('--repo <id>', 'Hugging Face repository', DNABERT6_REPO)
    .option('--revision <sha>', 'commit of that repository', DNABERT6_REVISION)
    .action(async (o: { repo: string; revision: string }) => {
      const dir = await downloadPretrained({ repo: o.repo, revision: o.revision });
      console.log(`pretrained weights ready in ${dir}`);
    }),
  ['npm run model -- download'],
);

examples(
  cmd.command('info')
    .description('architecture, parameter count and loading report of a checkpoint folder (Hugging Face layout)')
    .argument('<dir>', 'folder with config.json, vocab.txt and model weights')
    .action(async (target: string) => {
      await selectBackend();
      const { model, report } = await loadCheckpoint(target);
      const c = model.config;
      console.log(`${target}: ${report.weightsFile}`);
      console.log(`  ${c.num_hidden_layers} layers × hidden ${c.hidden_size}, ${c.num_attention_heads} heads, FFN ${c.intermediate_size}, ${c.vocab_size} tokens (k = ${report.k}), ${model.size().toLocaleString('en')} parameters`);
      if (report.freshlyInitialised.length) console.log(`  initialised fresh: ${report.freshlyInitialised.join(', ')}`);
      if (report.ignored.length) console.log(`  ignored checkpoint keys: ${report.ignored.length} (${report.ignored.slice(0, 3).join(', ')}${report.ignored.length > 3 ? ', …' : ''})`);
    }),
  ['npm run model -- info results/models/human_nontata_promoters.test-split/quick/dnabert-random/seed-1'],
);

examples(cmd, ['npm run model -- download', 'npm run model -- info ~/.cache/dnabert-ts/models/zhihan1996--DNA_bert_6/<revision>']);
await run(cmd);
