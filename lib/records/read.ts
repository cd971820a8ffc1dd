/** Reading a versioned file from disk (lib/records/artifact.ts holds the format logic, free of Node APIs). */
import { existsSync, readFileSync } from 'node:fs';
import { parseArtifact, type ArtifactFormat } from './artifact.js';

/** The artifact at `path` in the current version of `format`, or null where there is no file. */
export function readArtifact<T>(format: ArtifactFormat<T>, path: string): T | null {
  return existsSync(path) ? parseArtifact(format, path, readFileSync(path, 'utf8')) : null;
}
