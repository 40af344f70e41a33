// The plan file's text parsed as YAML and validated against the plan schema, with every problem
// reported at once with its line and column: the slow path of loading a plan (load.ts), taken when
// the plan cache (cache.ts) does not already hold this exact text. Loaded on demand: yaml and zod.
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { reasonOf } from '../errors.js';
import { explainIssue, closestField } from './issues.js';
import { planJsonSchema, planSchema, type Plan } from './schema.js';
import { findLiteralCredentials } from './credentials.js';
import { unknownPlaceholders } from '../shared/template.js';
import type { PlanProblem } from '../shared/problem.js';


/** A plan's text, parsed and validated: the plan, or every problem found in it. */
export type PlanParse = { ok: true; plan: Plan } | { ok: false; problems: PlanProblem[] };

type Path = (string | number)[];

export const formatField = (p: Path): string =>
  p.reduce<string>((out, seg) => (typeof seg === 'number' ? `${out}[${seg}]` : out ? `${out}.${seg}` : seg), '') || '(plan)';

/** The YAML node at `p`, or the deepest one that exists on the way (for a missing field: its parent). */
function nodeAt(doc: Document, p: Path, wantKey: boolean): Node | null {
  let node = doc.contents as Node | null;
  for (const [i, seg] of p.entries()) {
    const last = i === p.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === seg);
      if (!pair) return node;
      node = last && wantKey ? (pair.key as Node) : ((pair.value as Node | null) ?? (pair.key as Node));
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg] as Node;
    } else {
      return node;
    }
  }
  return node;
}

type Position = { line: number; col: number };
interface Placing {
  at(line: number, col: number, field: string, message: string, hint?: string): PlanProblem;
  locate(p: Path, wantKey?: boolean): Position;
  /** Where a missing field goes. */
  locateMissing(p: Path): Position;
}

/** The schema's complaints in the user's words (plan/issues.ts), each where it is, a misspelt field with its likely meaning. */
function schemaProblems(issues: z.core.$ZodIssue[], data: unknown, { at, locate, locateMissing }: Placing): PlanProblem[] {
  const schema = planJsonSchema() as Record<string, unknown>;
  const problems: PlanProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const pos = locate([...issue.path as Path, key], true);
        const meant = closestField(schema, issue.path as Path, key, data);
        problems.push(at(pos.line, pos.col, formatField([...issue.path as Path, key]), 'unknown field',
          meant ? `did you mean \`${meant}\`?` : 'remove it, or check its spelling against `keyrot schema`'));
      }
      continue;
    }
    const missing = issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined;
    const pos = missing ? locateMissing(issue.path as Path) : locate(issue.path as Path);
    const { message, hint } = explainIssue(issue, data, schema);
    problems.push(at(pos.line, pos.col, formatField(issue.path as Path), message, hint));
  }
  return problems;
}

/** Where the document's first alias is: expanding aliases is what an alias bomb abuses. */
function firstAlias(doc: Document): number {
  let at = 0;
  visit(doc, {
    Alias(_key, node) {
      if (isAlias(node) && node.range) at = node.range[0];
      return visit.BREAK;
    },
  });
  return at;
}

/** Parse and validate `text`, the plan file `file` (as messages name it). */
export function parsePlan(file: string, text: string): PlanParse {
  const at = (line: number, col: number, field: string, message: string, hint?: string): PlanProblem => ({
    file, line, col, field, message, hint,
  });
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  // YAML allows no control characters in a stream; the library lets some through.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const control = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.exec(text);
  if (control) {
    const pos = lines.linePos(control.index);
    const code = `U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    return { ok: false, problems: [at(pos.line, pos.col, '(yaml)', `a control character (${code}) in the file`, 'remove it: a plan is plain text')] };
  }
  // Warnings too: an unknown tag (!!js/function, !custom) would otherwise quietly become a string.
  const yamlProblems = [...doc.errors, ...doc.warnings];
  if (yamlProblems.length > 0) {
    return {
      ok: false,
      problems: yamlProblems.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return at(pos.line, pos.col, '(yaml)', e.message.split('\n')[0]!, 'fix the YAML syntax');
      }),
    };
  }
  // Nothing in it (or only comments): said as such, not as its first missing field.
  if (doc.contents === null) {
    return { ok: false, problems: [at(1, 1, '(file)', 'the plan file is empty', 'write a plan in it: `keyrot init` makes one, and rotation-plans/ has examples')] };
  }

  const locate = (p: Path, wantKey = false) => {
    const node = nodeAt(doc, p, wantKey);
    return lines.linePos(node?.range?.[0] ?? 0);
  };
  /** Where a missing field goes: the end of the section that lacks it (for the plan itself, after its last field). */
  const locateMissing = (p: Path) => {
    const parent = nodeAt(doc, p.slice(0, -1), false);
    let end = Math.max(0, Math.min(text.length, parent?.range?.[1] ?? 0));
    // A section's own last line (the plan itself: the line after it, where a new field goes).
    if (p.length > 1) while (end > 0 && /\s/.test(text[end - 1]!)) end--;
    return lines.linePos(end);
  };
  const problems: PlanProblem[] = [];
  let data: unknown;
  try {
    // The yaml library refuses to expand aliases past a bound (ReferenceError "Excessive alias count").
    data = doc.toJS();
  } catch (e) {
    const pos = lines.linePos(firstAlias(doc));
    const alias = e instanceof ReferenceError && /alias/i.test(e.message);
    return {
      ok: false,
      problems: [alias
        ? at(pos.line, pos.col, '(yaml)', 'aliases expand to too much data (an alias bomb?)', 'write the values out: a plan needs few aliases, if any')
        : at(pos.line, pos.col, '(yaml)', `cannot be read as data: ${reasonOf(e).split('\n')[0]}`, 'fix the YAML syntax')],
    };
  }

  const result = planSchema.safeParse(data ?? {}, { reportInput: true });
  if (!result.success) problems.push(...schemaProblems(result.error.issues, data, { at, locate, locateMissing }));

  for (const finding of findLiteralCredentials(data)) {
    const pos = locate(finding.path);
    problems.push(at(pos.line, pos.col, formatField(finding.path), `looks like a literal credential (${finding.kind}); plans never hold secrets`,
      'remove it: keyrot takes credentials from each platform\'s identity chain (AWS profile/env/SSO, VAULT_TOKEN or AppRole files, Azure DefaultAzureCredential)'));
  }
  forEachString(data, [], (value, p) => {
    // The usage query and the issuer's calls have placeholders of their own ({{window}}, {{name}}): their schemas check them.
    if (p[0] === 'usage' || p[0] === 'source') return;
    for (const name of unknownPlaceholders(value)) {
      const pos = locate(p);
      problems.push(at(pos.line, pos.col, formatField(p), `unknown template field {{${name}}}`, 'use {{keyId}}, {{secret}} or {{rotatedAt}}'));
    }
  });

  if (problems.length > 0 || !result.success) {
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, problems };
  }
  return { ok: true, plan: result.data };
}

function forEachString(value: unknown, p: Path, visit: (value: string, p: Path) => void): void {
  if (typeof value === 'string') visit(value, p);
  else if (Array.isArray(value)) value.forEach((v, i) => forEachString(v, [...p, i], visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) forEachString(v, [...p, k], visit);
}
