/**
 * Grafana Alloy's `loki.process` pipeline, run offline: the stages this repository's Alloy
 * configs use (stage.cri, stage.json, stage.template, stage.labels, stage.timestamp,
 * stage.label_keep), implemented after their code (grafana/alloy
 * internal/component/loki/process/stages, the Promtail stages carried over) so the tests can feed
 * real API log lines through the committed config and see the labels Loki would get. Anything
 * outside that subset (another stage, a stage option, a JMESPath expression, a template
 * construct) throws, so a config change this interpreter does not understand fails loudly
 * instead of being checked wrongly.
 *
 * Template semantics follow Go's text/template as the template stage calls it: the data is the
 * extracted map (values as strings) plus `Value` (the source's value, absent when the source is)
 * and `Entry`; a missing key is "no value": false in `if`, unequal to any string in `eq`, printed
 * as "<no value>". An empty result deletes the source key.
 */
import type { Block, Value } from './alloy.js';

/** One `stage.*` block of a `loki.process` component. */
export type Stage = Pick<Block, 'name' | 'attrs'> & Partial<Pick<Block, 'blocks'>>;
export interface Entry { labels: Record<string, string>; line: string; timestamp: Date; extracted: Record<string, unknown>; timestampParsed: boolean }

/** The stages of a `loki.process` block, in order. */
export function stagesOf(process: Block): Stage[] {
  return process.blocks.filter((b) => b.name.startsWith('stage.'));
}

const NO_VALUE = Symbol('no value');
type TValue = string | typeof NO_VALUE;

/** The stages' getString for the JSON value kinds. */
function getString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  throw new Error(`cannot convert ${JSON.stringify(v)} to a string`);
}

// ---- a Go text/template subset: {{ if P }} {{ else if P }} {{ else }} {{ end }}, {{ P }};
// P = .Field | "literal" | eq A B
type Node = { kind: 'text'; text: string } | { kind: 'out'; pipe: string[] } | { kind: 'if'; branches: { cond: string[] | null; body: Node[] }[] };

function tokenize(src: string): ({ t: 'text'; v: string } | { t: 'action'; v: string })[] {
  const out: ({ t: 'text'; v: string } | { t: 'action'; v: string })[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) { out.push({ t: 'text', v: src.slice(i) }); break; }
    let text = src.slice(i, open);
    const close = src.indexOf('}}', open);
    if (close < 0) throw new Error(`template: unclosed action in ${src}`);
    let inner = src.slice(open + 2, close);
    if (inner.startsWith('-')) { text = text.trimEnd(); inner = inner.slice(1); }
    let trimNext = false;
    if (inner.endsWith('-')) { trimNext = true; inner = inner.slice(0, -1); }
    if (text) out.push({ t: 'text', v: text });
    out.push({ t: 'action', v: inner.trim() });
    i = close + 2;
    if (trimNext) while (i < src.length && /\s/.test(src[i]!)) i++;
  }
  return out;
}

function words(action: string): string[] {
  const ws = action.match(/"(?:[^"\\]|\\.)*"|\S+/g) ?? [];
  for (const w of ws) if (!/^(\.[A-Za-z_]\w*|"(?:[^"\\]|\\.)*"|eq|if|else|end)$/.test(w)) throw new Error(`template: unsupported ${JSON.stringify(w)} in {{${action}}}`);
  return ws;
}

function parseTemplate(src: string): Node[] {
  const toks = tokenize(src);
  let pos = 0;
  const block = (stopAt: Set<string>): Node[] => {
    const nodes: Node[] = [];
    while (pos < toks.length) {
      const tok = toks[pos]!;
      if (tok.t === 'text') { nodes.push({ kind: 'text', text: tok.v }); pos++; continue; }
      const w = words(tok.v);
      if (stopAt.has(w[0]!)) return nodes;
      pos++;
      if (w[0] === 'if') {
        const branches: { cond: string[] | null; body: Node[] }[] = [{ cond: w.slice(1), body: block(new Set(['else', 'end'])) }];
        for (;;) {
          const t = toks[pos];
          if (!t || t.t !== 'action') throw new Error('template: if without end');
          const ww = words(t.v);
          pos++;
          if (ww[0] === 'end') break;
          if (ww[0] === 'else' && ww[1] === 'if') branches.push({ cond: ww.slice(2), body: block(new Set(['else', 'end'])) });
          else if (ww[0] === 'else' && ww.length === 1) branches.push({ cond: null, body: block(new Set(['end'])) });
          else throw new Error(`template: unexpected {{${t.v}}}`);
        }
        nodes.push({ kind: 'if', branches });
      } else {
        nodes.push({ kind: 'out', pipe: w });
      }
    }
    if (stopAt.size) throw new Error('template: missing {{end}}');
    return nodes;
  };
  return block(new Set());
}

function evalPipe(pipe: string[], data: Map<string, string>): TValue | boolean {
  const arg = (w: string): TValue => (w.startsWith('"') ? (JSON.parse(w) as string) : data.has(w.slice(1)) ? data.get(w.slice(1))! : NO_VALUE);
  if (pipe[0] === 'eq') {
    if (pipe.length < 3) throw new Error('template: eq needs two arguments');
    const a = arg(pipe[1]!);
    // Go: comparing a missing value with a string is false, not an error.
    return pipe.slice(2).some((w) => { const b = arg(w); return a !== NO_VALUE && b !== NO_VALUE && a === b; });
  }
  if (pipe.length !== 1) throw new Error(`template: unsupported pipeline ${pipe.join(' ')}`);
  return arg(pipe[0]!);
}

function render(nodes: Node[], data: Map<string, string>): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'out') { const v = evalPipe(n.pipe, data); out += v === NO_VALUE ? '<no value>' : String(v); }
    else {
      for (const b of n.branches) {
        const c = b.cond === null ? true : evalPipe(b.cond, data);
        if (c === true || (typeof c === 'string' && c !== '')) { out += render(b.body, data); break; }
      }
    }
  }
  return out;
}

// ---- timestamps: the formats stage.timestamp accepts that matter here.
function parseTime(value: string, format: string): Date | undefined {
  if (format === 'UnixMs') return /^-?\d+$/.test(value) ? new Date(Number(value)) : undefined;
  if (format === 'Unix') return /^-?\d+(\.\d+)?$/.test(value) ? new Date(Number(value) * 1000) : undefined;
  if (format === 'RFC3339' || format === 'RFC3339Nano') {
    // Go's time.Parse with either layout accepts optional fractional seconds.
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(value);
    if (!m) return undefined;
    const d = new Date(`${m[1]}${m[2] ? m[2].slice(0, 4) : ''}${m[3]}`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  throw new Error(`timestamp: format ${format} is not implemented by this interpreter`);
}

const CRI = /^(\S+?) (stdout|stderr) (\S+?) (.*)$/s;

/** Refuses a stage option this interpreter does not implement. */
function only(stage: Stage, known: string[]): Record<string, Value> {
  const extra = Object.keys(stage.attrs).filter((k) => !known.includes(k));
  if (extra.length || stage.blocks?.length) throw new Error(`${stage.name}: ${[...extra, ...(stage.blocks ?? []).map((b) => b.name)].join(', ')} not implemented by this interpreter`);
  return stage.attrs;
}
const str = (v: Value | undefined, what: string): string => {
  if (typeof v !== 'string') throw new Error(`${what} must be a string`);
  return v;
};
const map = (v: Value | undefined, what: string): Record<string, string> => {
  if (!v || typeof v !== 'object' || Array.isArray(v) || 'ref' in v) throw new Error(`${what} must be an object`);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, str(x, `${what}.${k}`)]));
};

/** Runs one log line through `stages` (a `loki.process` block's stages). */
export function runPipeline(stages: Stage[], line: string, initialLabels: Record<string, string> = {}, readAt = new Date()): Entry {
  const e: Entry = { labels: { ...initialLabels }, line, timestamp: readAt, extracted: {}, timestampParsed: false };
  for (const stage of stages) {
    switch (stage.name) {
      case 'stage.cri': {
        // The cri stage: a regex for time/stream/flags/content, the stream as a label, the time
        // as the timestamp, the content as the new line.
        only(stage, []);
        const m = CRI.exec(e.line);
        if (!m) break;
        Object.assign(e.extracted, { time: m[1], stream: m[2], flags: m[3], content: m[4] });
        e.labels.stream = m[2]!;
        const t = parseTime(m[1]!, 'RFC3339Nano');
        if (t) e.timestamp = t;
        e.line = m[4]!;
        break;
      }
      case 'stage.json': {
        const exprs = map(only(stage, ['expressions']).expressions, 'stage.json expressions');
        let data: unknown;
        try { data = JSON.parse(e.line); } catch { break; } // logged as "could not unmarshal", then the next stage
        if (typeof data !== 'object' || data === null) break;
        for (const [key, expr] of Object.entries(exprs)) {
          const path = expr === '' ? key : expr; // an empty expression means the key's own name
          if (!/^[A-Za-z_]\w*$/.test(path)) throw new Error(`stage.json: JMESPath ${path} is not implemented`);
          const v = (data as Record<string, unknown>)[path];
          if (v === undefined || v === null) continue;
          e.extracted[key] = typeof v === 'string' || typeof v === 'number' ? v : JSON.stringify(v);
        }
        break;
      }
      case 'stage.template': {
        const a = only(stage, ['source', 'template']);
        const source = str(a.source, 'stage.template source');
        const template = str(a.template, 'stage.template template');
        const data = new Map<string, string>();
        for (const [k, v] of Object.entries(e.extracted)) {
          let s: string;
          try { s = getString(v); } catch { continue; }
          data.set(k, s);
          if (k === source) data.set('Value', s);
        }
        data.set('Entry', e.line);
        const out = render(parseTemplate(template), data);
        if (out === '') delete e.extracted[source];
        else e.extracted[source] = out;
        break;
      }
      case 'stage.labels': {
        for (const [label, src] of Object.entries(map(only(stage, ['values']).values, 'stage.labels values'))) {
          const from = src === '' ? label : src; // an empty source means the label's own name
          if (!(from in e.extracted)) continue;
          e.labels[label] = getString(e.extracted[from]);
        }
        break;
      }
      case 'stage.timestamp': {
        const a = only(stage, ['source', 'format']);
        const source = str(a.source, 'stage.timestamp source');
        if (!(source in e.extracted)) break;
        const t = parseTime(getString(e.extracted[source]), str(a.format, 'stage.timestamp format'));
        if (t) { e.timestamp = t; e.timestampParsed = true; } // else the read time stays (action_on_failure "fudge")
        break;
      }
      case 'stage.label_keep': {
        const values = only(stage, ['values']).values;
        if (!Array.isArray(values)) throw new Error('stage.label_keep values must be a list');
        const keep = new Set(values.map((v) => str(v, 'stage.label_keep value')));
        for (const l of Object.keys(e.labels)) if (!keep.has(l)) delete e.labels[l];
        break;
      }
      default:
        throw new Error(`${stage.name} is not implemented by this interpreter`);
    }
  }
  // Loki ignores labels with empty values.
  for (const [k, v] of Object.entries(e.labels)) if (v === '') delete e.labels[k];
  return e;
}
