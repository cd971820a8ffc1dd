/**
 * FASTA records from lines of text: the parser behind the streaming file reader (lib/data/fasta.ts)
 * and the browser page, which reads pasted or dropped text. Errors name the input and line.
 */
export interface FastaRecord {
  id: string;
  /** Full header line without the '>'. */
  description: string;
  seq: string;
  /** 1-based line number of the header, for error messages. */
  line: number;
}

/** Records of FASTA text given line by line (any line ending trimmed); blank and ';' lines are skipped. */
export async function* fastaRecords(lines: AsyncIterable<string> | Iterable<string>, name = 'input'): AsyncGenerator<FastaRecord> {
  let current: { id: string; description: string; parts: string[]; line: number } | null = null;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = raw.trimEnd();
    if (line.startsWith('>')) {
      if (current) yield { id: current.id, description: current.description, seq: current.parts.join(''), line: current.line };
      const description = line.slice(1).trim();
      const id = description.split(/\s+/)[0] ?? '';
      if (id === '') throw new Error(`${name} line ${lineNo}: FASTA header without a name.`);
      current = { id, description, parts: [], line: lineNo };
    } else if (line === '' || line.startsWith(';')) {
      continue;
    } else {
      if (!current) throw new Error(`${name} line ${lineNo}: sequence data before the first '>' header; is this a FASTA file?`);
      current.parts.push(line);
    }
  }
  if (current) yield { id: current.id, description: current.description, seq: current.parts.join(''), line: current.line };
}
