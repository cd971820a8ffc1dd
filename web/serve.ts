/**
 * A static file server for the built page (the page fetches its models and wasm files, which a
 * browser refuses over file://): `node --import tsx web/serve.ts [DIR] [--port N]`. The tests and the
 * benchmark start it on a free port.
 */
import { createServer, type Server } from 'node:http';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm',
  '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain', '.safetensors': 'application/octet-stream',
};

/** Serve `dir` on 127.0.0.1 (port 0: a free one); resolves with its URL. */
export function serveStatic(dir: string, port = 0): Promise<{ url: string; close: () => Promise<void> }> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    const file = path.startsWith(root) && existsSync(path) && statSync(path).isDirectory() ? join(path, 'index.html') : path;
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok) =>
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      const p = typeof a === 'object' && a ? a.port : port;
      ok({ url: `http://127.0.0.1:${p}/`, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

if (process.argv[1]?.endsWith('serve.ts')) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args[portAt + 1]) : 8000;
  const dir = args.find((a, i) => !a.startsWith('--') && i !== portAt + 1) ?? 'results/html';
  const { url } = await serveStatic(dir, port);
  console.log(`serving ${dir} at ${url} (Ctrl-C to stop); the page: ${url}predict/`);
}
