/**
 * A small RFC 4180 CSV reader (browser-safe, no dependency): comma-separated fields, double-quoted fields may hold
 * commas, newlines and doubled quotes (""), CRLF or LF line ends, an optional UTF-8 byte-order mark. Blank lines
 * are skipped. The first row is the header.
 */
import { LumenError } from '../errors.js';

export interface CsvTable {
  header: string[];
  rows: string[][];
}

export function parseCsv(text: string, source = 'CSV'): CsvTable {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endField = (): void => {
    fields.push(wasQuoted ? field : field.trim());
    field = '';
    wasQuoted = false;
  };
  const endRecord = (): void => {
    endField();
    // a line with nothing on it is not a record
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
    recordLine = line;
  };
  for (; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') {
      if (field.trim() !== '') throw new LumenError('BAD_OPTION', `${source}: line ${line}: a quote inside an unquoted field (quote the whole field and double its quotes)`, 2);
      field = '';
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      line++;
      endRecord();
    } else {
      if (wasQuoted && c.trim() !== '') throw new LumenError('BAD_OPTION', `${source}: line ${line}: text after a closing quote`, 2);
      field += c;
    }
  }
  if (quoted) throw new LumenError('BAD_OPTION', `${source}: a quoted field opened on line ${recordLine} is never closed`, 2);
  if (field !== '' || wasQuoted || fields.length > 0) endRecord();
  if (records.length === 0) throw new LumenError('BAD_OPTION', `${source}: the file is empty (expected a header row naming the columns)`, 2);
  const header = records[0]!.fields;
  const seen = new Set<string>();
  header.forEach((name, j) => {
    if (name === '') throw new LumenError('BAD_OPTION', `${source}: header column ${j + 1} has no name`, 2);
    if (seen.has(name)) throw new LumenError('BAD_OPTION', `${source}: the header names column '${name}' twice`, 2);
    seen.add(name);
  });
  const rows = records.slice(1).map(({ fields: r, line: at }) => {
    if (r.length !== header.length) {
      throw new LumenError('BAD_OPTION', `${source}: line ${at} has ${r.length} fields, the header has ${header.length}`, 2);
    }
    return r;
  });
  return { header, rows };
}

/** One CSV field (quoted when needed), for the CSV files Lumen writes. */
export function csvField(value: string | number): string {
  const s = typeof value === 'number' ? formatCsvNumber(value) : value;
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV text from a header and rows. */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

function formatCsvNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
}
