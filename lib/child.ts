/**
 * Running one of the project's commands (lib/cli/*.ts) in a child Node process, its output streamed
 * line by line. The notebooks hand long work to a child: inside the notebook kernel (tslab) the same
 * kernels run at about half the speed of a plain Node process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from './paths.js';

export interface ChildOptions {
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Where the child's lines go (default: stdout). */
  log?: (line: string) => void;
}

/**
 * `node --import tsx lib/cli/<command>.ts …args` from the project root; resolves when it exits with 0,
 * else rejects with an error carrying its last lines.
 */
export async function runCommand(command: string, args: string[], o: ChildOptions = {}): Promise<void> {
  const log = o.log ?? ((l: string) => console.log(l));
  const child = spawn(process.execPath, ['--import', 'tsx', join('lib', 'cli', `${command}.ts`), ...args], {
    cwd: projectRoot(),
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const forward = (stream: NodeJS.ReadableStream) =>
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > 20) tail.shift();
      log(line);
    });
  forward(child.stdout);
  forward(child.stderr);
  const code = await new Promise<number | null>((done, fail) => child.on('error', fail).on('close', done));
  if (code !== 0) throw new Error(`the child process (npm run ${command}) failed with exit code ${code}:\n${tail.join('\n')}`);
}
