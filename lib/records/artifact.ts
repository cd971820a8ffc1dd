/**
 * Files the project writes and reads back later (run records, pretraining records, training
 * checkpoint state, saved model configs) are file formats: each carries a schema version, and each has
 * one reader that takes every version ever committed. An older version is upgraded step by step to the
 * current one (`upgrades[v]` turns version v into v + 1, filling in what that version implied); a newer
 * or unknown version, or a file that is not readable JSON, ends in an `ArtifactError` naming the file,
 * what is wrong and what to do, never in a bare parser or property error.
 *
 * No Node APIs here (the browser page reads saved model configs through it); read.ts reads files.
 */

export type Json = Record<string, unknown>;

export interface ArtifactFormat<T> {
  /** What the file is, for messages ("run record"). */
  what: string;
  /** The version this code writes. */
  current: number;
  /** The version of a file without a `schema` field (the first versions wrote none); absent: such a file is refused. */
  unversioned?: number;
  /** upgrades[v]: a version-v value → version v + 1 (given a copy; it may change it). */
  upgrades: Record<number, (old: Json) => Json>;
  /** What to do about a damaged file of this kind (one sentence). */
  remedy: string;
  /** Further checks of the current version's shape: a problem as text, or null. */
  check?: (value: Json) => string | null;
  /** The field holding the version (default `schema`). */
  field?: string;
}

export class ArtifactError extends Error {
  constructor(readonly path: string, readonly problem: string, readonly remedy: string) {
    super(`${path}: ${problem}. ${remedy}`);
    this.name = 'ArtifactError';
  }
}

/** The JSON object in `text` (the content of `path`, a `what`); a file that is empty, truncated or not an object is an ArtifactError with `remedy`. */
export function parseJsonObject(path: string, text: string, what: string, remedy: string): Json {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const why = text.trim() === '' ? 'the file is empty' : `it is not readable JSON (${(e as Error).message}; ${text.length} bytes): truncated or damaged`;
    throw new ArtifactError(path, `this ${what} cannot be read: ${why}`, remedy);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ArtifactError(path, `this ${what} is not a JSON object`, remedy);
  return raw as Json;
}

/** The value of `text` (the content of `path`) in the current version of `format`. */
export function parseArtifact<T>(format: ArtifactFormat<T>, path: string, text: string): T {
  const raw = parseJsonObject(path, text, format.what, format.remedy);
  const field = format.field ?? 'schema';
  const stated = raw[field];
  const version = stated === undefined ? format.unversioned : stated;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new ArtifactError(path, `this ${format.what} has ${stated === undefined ? `no '${field}' version` : `'${field}': ${JSON.stringify(stated)}`}, which this code does not know`, format.remedy);
  }
  if (version > format.current) {
    throw new ArtifactError(path, `this ${format.what} is schema ${version}, written by newer code; this code reads schema 1 to ${format.current}`, 'Update the code (git pull) to read it, or move the file aside to run this code');
  }
  let value = structuredClone(raw) as Json;
  for (let v = version; v < format.current; v++) {
    const up = format.upgrades[v];
    if (!up) throw new ArtifactError(path, `no upgrade of a ${format.what} from schema ${v}`, format.remedy);
    value = { ...up(value), [field]: v + 1 };
  }
  const problem = format.check?.(value) ?? null;
  if (problem) throw new ArtifactError(path, `this ${format.what} (schema ${version}) is incomplete: ${problem}`, format.remedy);
  return value as T;
}

/** The keys of `value` that are missing or not of the expected kind, as "key (expected kind)"; for `check`. */
export function missingKeys(value: Json, expected: Record<string, 'string' | 'number' | 'boolean' | 'object' | 'array'>): string[] {
  return Object.entries(expected)
    .filter(([k, kind]) => {
      const v = value[k];
      return kind === 'array' ? !Array.isArray(v) : kind === 'object' ? v === null || typeof v !== 'object' : typeof v !== kind;
    })
    .map(([k, kind]) => `${k} (${kind})`);
}

/** JSON text with every object's keys sorted, so that equal values compare equal whatever order their keys were written in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** Equal as JSON values (key order aside). */
export function sameJson(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
