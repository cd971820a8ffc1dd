/** `npm run backend`: print which compute backend would run, and why the earlier ones were skipped. */
import { BACKEND_ENV, BACKEND_ORDER, describeBackend, selectBackend } from '../backend.js';
import { command, examples, run } from './command.js';

const cmd = command('backend', `Show the compute backend runs would use (automatic order: ${BACKEND_ORDER.join(' → ')}) and why earlier ones were skipped.`)
  .action(async () => {
    const info = await selectBackend();
    console.log(describeBackend(info));
    for (const s of info.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
  });
cmd.addHelpText('after', `\nEnvironment:\n  ${BACKEND_ENV}=<name>  insist on one backend (an unavailable one is an error)\n`);
examples(cmd, ['npm run backend', 'DNABERT_BACKEND=wasm npm run backend']);
await run(cmd);
