/**
 * Grafana Alloy configuration files, read offline: a parser for the subset of the Alloy syntax
 * this repository's configs use (blocks with optional labels, attributes, strings (quoted with
 * Go escapes, or raw in backticks), numbers, booleans, null, arrays, objects and references to
 * other components' exports such as `loki.process.api.receiver`), plus the checks `alloy fmt`
 * and `alloy run` would make first: unknown syntax throws, and every reference must name a
 * component declared in the file. Function calls and operators are outside the subset: they
 * throw, so a config that needs them also needs this reader extended.
 */

export type Ref = { ref: string };
export type Value = string | number | boolean | null | Ref | Value[] | { [key: string]: Value };
export interface Block { name: string; label?: string; attrs: Record<string, Value>; blocks: Block[]; line: number }

type Tok =
  | { t: 'ident'; v: string; line: number }
  | { t: 'string'; v: string; line: number }
  | { t: 'number'; v: number; line: number }
  | { t: 'punct'; v: string; line: number }
  | { t: 'nl'; line: number }
  | { t: 'eof'; line: number };

const GO_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', v: '\v' };

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => { throw new Error(`alloy: line ${line}: ${msg}`); };
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\n') { out.push({ t: 'nl', line }); line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (src.startsWith('//', i)) { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) fail('unclosed comment');
      for (const ch of src.slice(i, end)) if (ch === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length || src[i] === '\n') fail('unterminated string');
        const ch = src[i]!;
        if (ch === '"') { i++; break; }
        if (ch === '\\') {
          const e = src[i + 1]!;
          if (e in GO_ESCAPES) { s += GO_ESCAPES[e]; i += 2; continue; }
          if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) { s += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16)); i += 6; continue; }
          fail(`unsupported escape \\${e}`);
        }
        s += ch;
        i++;
      }
      out.push({ t: 'string', v: s, line });
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) fail('unterminated raw string');
      const s = src.slice(i + 1, end);
      out.push({ t: 'string', v: s, line });
      for (const ch of s) if (ch === '\n') line++;
      i = end + 1;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num && (c !== '-' || /\d/.test(src[i + 1] ?? ''))) { out.push({ t: 'number', v: Number(num[0]), line }); i += num[0].length; continue; }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) { out.push({ t: 'ident', v: id[0], line }); i += id[0].length; continue; }
    if ('{}[]=,.'.includes(c)) { out.push({ t: 'punct', v: c, line }); i++; continue; }
    fail(`unsupported character ${JSON.stringify(c)} (operators and function calls are outside this reader's subset)`);
  }
  out.push({ t: 'eof', line });
  return out;
}

/** Parses an Alloy file into its top-level blocks (top-level attributes are not used here and throw). */
export function parseAlloy(src: string): Block[] {
  const toks = tokenize(src);
  let p = 0;
  const peek = (k = 0) => toks[p + k]!;
  const fail = (msg: string): never => { throw new Error(`alloy: line ${peek().line}: ${msg}`); };
  const skipNl = () => { while (peek().t === 'nl') p++; };
  const punct = (v: string) => { const t = peek(); if (t.t !== 'punct' || t.v !== v) fail(`expected "${v}"`); p++; };
  const isPunct = (v: string, k = 0) => { const t = peek(k); return t.t === 'punct' && t.v === v; };

  function dotted(): string {
    const first = peek();
    if (first.t !== 'ident') fail('expected a name');
    let name = (first as { v: string }).v;
    p++;
    while (isPunct('.')) {
      p++;
      const t = peek();
      if (t.t !== 'ident') fail('expected a name after "."');
      name += '.' + (t as { v: string }).v;
      p++;
    }
    return name;
  }

  function value(): Value {
    skipNl();
    const t = peek();
    if (t.t === 'string' || t.t === 'number') { p++; return t.v; }
    if (t.t === 'ident') {
      if (t.v === 'true' || t.v === 'false') { p++; return t.v === 'true'; }
      if (t.v === 'null') { p++; return null; }
      const ref = dotted();
      if (isPunct('(')) fail('function calls are outside this reader\'s subset');
      return { ref };
    }
    if (isPunct('[')) {
      p++;
      const items: Value[] = [];
      for (;;) {
        skipNl();
        if (isPunct(']')) { p++; return items; }
        items.push(value());
        skipNl();
        if (isPunct(',')) p++;
        else if (!isPunct(']')) fail('expected "," or "]"');
      }
    }
    if (isPunct('{')) {
      p++;
      const obj: Record<string, Value> = {};
      for (;;) {
        skipNl();
        if (isPunct('}')) { p++; return obj; }
        const k = peek();
        if (k.t !== 'ident' && k.t !== 'string') fail('expected an object key');
        p++;
        punct('=');
        obj[String((k as { v: string }).v)] = value();
        skipNl();
        if (isPunct(',')) p++;
        else if (!isPunct('}')) fail('expected "," or "}"');
      }
    }
    return fail('expected a value');
  }

  function body(end: 'eof' | '}'): Block[] & { attrs?: Record<string, Value> } {
    const blocks: Block[] = [];
    const attrs: Record<string, Value> = {};
    for (;;) {
      skipNl();
      const t = peek();
      if (end === 'eof' ? t.t === 'eof' : isPunct('}')) break;
      const line = t.line;
      const name = dotted();
      if (isPunct('=')) {
        if (name.includes('.')) fail(`attribute names have no dots: ${name}`);
        p++;
        if (name in attrs) fail(`attribute ${name} set twice`);
        attrs[name] = value();
      } else {
        let label: string | undefined;
        if (peek().t === 'string') { label = (peek() as { v: string }).v; p++; }
        punct('{');
        const inner = body('}');
        punct('}');
        blocks.push({ name, label, attrs: inner.attrs ?? {}, blocks: [...inner], line });
      }
      const after = peek();
      if (after.t !== 'nl' && after.t !== 'eof' && !isPunct('}')) fail('expected a new line');
    }
    return Object.assign(blocks, { attrs });
  }

  const top = body('eof');
  if (Object.keys(top.attrs ?? {}).length) throw new Error('alloy: top-level attributes are outside this reader\'s subset');
  return [...top];
}

/** Every reference in a value, depth first. */
function refsOf(v: Value): string[] {
  if (v === null || typeof v !== 'object') return [];
  if ('ref' in v && typeof (v as Ref).ref === 'string' && Object.keys(v).length === 1) return [(v as Ref).ref];
  return (Array.isArray(v) ? v : Object.values(v)).flatMap(refsOf);
}

/** The component a reference points at (`loki.process.api.receiver` → `loki.process.api`), or an error. */
export function checkReferences(blocks: Block[]): string[] {
  const components = new Set(blocks.filter((b) => b.label !== undefined).map((b) => `${b.name}.${b.label}`));
  const problems: string[] = [];
  const visit = (b: Block) => {
    for (const [k, v] of Object.entries(b.attrs)) {
      for (const r of refsOf(v)) {
        const parts = r.split('.');
        const target = parts.slice(0, -1).join('.');
        if (!components.has(target)) problems.push(`line ${b.line}: ${b.name}${b.label ? ` "${b.label}"` : ''}.${k} refers to ${r}, but no component ${target} is declared`);
      }
    }
    b.blocks.forEach(visit);
  };
  blocks.forEach(visit);
  return problems;
}

/** The one top-level block with this name and label. */
export function component(blocks: Block[], name: string, label: string): Block {
  const found = blocks.filter((b) => b.name === name && b.label === label);
  if (found.length !== 1) throw new Error(`alloy: expected one ${name} "${label}", found ${found.length}`);
  return found[0]!;
}
