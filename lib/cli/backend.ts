/** `npm run backend`: print which compute backend would run, and why the earlier ones were skipped. */
import { describeBackend, selectBackend } from '../backend.js';

const info = await selectBackend();
console.log(describeBackend(info));
for (const s of info.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
