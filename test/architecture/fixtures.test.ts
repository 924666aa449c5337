// Framework tests never read the shipped project (models/, sources.yml, sparkify.yml, snapshots/ at
// the repo root): they build test/fixtures/warehouse or a project of their own (writeProject), so a
// model added to models/ changes only the tests of the Sparkify warehouse in test/sparkify/. This
// scans every file under test/ but test/sparkify/ and fails naming the file and line that would.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/project.js';

const TEST_DIR = path.join(REPO_ROOT, 'test');
const ALLOWED = ['sparkify/', 'fixtures/', 'architecture/fixtures.test.ts'];
const SHIPPED = String.raw`(?:models|sources\.ya?ml|sparkify\.yml|dbt_project\.yml|snapshots)`;
/** names the test helpers give the repo root */
const ROOT = String.raw`(?:REPO_ROOT|REPO|repo|ROOT)`;

const RULES: { what: string; re: RegExp }[] = [
  { what: 'joins the repo root with a path of the shipped project', re: new RegExp(String.raw`\b${ROOT}\s*,\s*['"\`]${SHIPPED}(?:['"\`/])`) },
  { what: 'points a project option at the repo root', re: new RegExp(String.raw`(?:projectDir\s*:|'--project-dir'\s*,)\s*${ROOT}\b`) },
  { what: 'reads the shipped project by a relative path', re: new RegExp(String.raw`['"\`](?:\.\./)+${SHIPPED}(?:['"\`/])`) },
  { what: 'joins the repo root with a variable (name the path, or use the fixture)', re: new RegExp(String.raw`path\.(?:join|resolve)\(\s*${ROOT}\s*,\s*[A-Za-z_$][\w$]*\s*\)`) },
  { what: 'runs the CLI in the repo (cwd: the repo root)', re: new RegExp(String.raw`cwd\s*:\s*${ROOT}\b`) },
];

/** The text of each call of `name(...)`, parentheses balanced (strings are not parsed: good enough for these files). */
function calls(text: string, name: RegExp): { at: number; text: string }[] {
  const out: { at: number; text: string }[] = [];
  for (const m of text.matchAll(name)) {
    const open = m.index + m[0].indexOf('(');
    let depth = 0;
    for (let i = open; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) {
        out.push({ at: m.index, text: text.slice(open, i + 1) });
        break;
      }
    }
  }
  return out;
}

const lineOf = (text: string, at: number) => text.slice(0, at).split('\n').length;

/** Every way a test file reaches the shipped project, as "file:line: what". */
export function shippedProjectReads(rel: string, text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    for (const r of RULES) if (r.re.test(line)) found.push(`${rel}:${i + 1}: ${r.what}: ${line.trim()}`);
  });
  // the CLI started with neither a working directory nor --project-dir reads the folder it starts in
  const cli = [...calls(text, /(?<!function )\brunCli\(/g), ...calls(text, /\bspawn(?:Sync)?\(\s*process\.execPath\s*,\s*\[\s*(?:BIN|CLI|path\.join\([^)]*sparkify\.js'\))/g)];
  for (const c of cli) {
    if (!/'--project-dir'|"--project-dir"|--project-dir=|\bcwd\s*:/.test(c.text)) found.push(`${rel}:${lineOf(text, c.at)}: runs the CLI without a cwd or --project-dir: ${c.text.split('\n')[0]!.slice(0, 160)}`);
  }
  return found;
}

const files = (readdirSync(TEST_DIR, { recursive: true }) as string[])
  .map((f) => f.split(path.sep).join('/'))
  .filter((f) => /\.(ts|js|mjs)$/.test(f) && !ALLOWED.some((a) => f.startsWith(a)));

describe('framework tests use fixture projects, never the shipped models/', () => {
  it('no test file outside test/sparkify/ reads the shipped project or runs the CLI in the repo', () => {
    expect(files.length).toBeGreaterThan(50);
    const found = files.flatMap((f) => shippedProjectReads(`test/${f}`, readFileSync(path.join(TEST_DIR, f), 'utf8')));
    expect(found, 'use copyFixtureProject() (test/fixtures/warehouse) or writeProject(); tests of the shipped warehouse go in test/sparkify/').toEqual([]);
  });

  it.each([
    ["cpSync(path.join(REPO_ROOT, 'models'), dest)", 'joins the repo root'],
    ["const f = path.resolve(REPO, 'sources.yml');", 'joins the repo root'],
    ["compile({ projectDir: REPO_ROOT, env: {} })", 'points a project option'],
    ["readdirSync(path.resolve(import.meta.dirname, '../../models/star'))", 'relative path'],
    ["for (const p of PATHS) cpSync(path.join(REPO_ROOT, p), path.join(dir, p))", 'with a variable'],
    ["runCli(['run'])", 'without a cwd or --project-dir'],
    ["runCli(['run'], { env: { A: '1' } })", 'without a cwd or --project-dir'],
    ["spawn(process.execPath, [BIN, 'run'], { stdio: 'pipe' })", 'without a cwd or --project-dir'],
    ["runCli(['run'], { cwd: REPO_ROOT })", 'runs the CLI in the repo'],
  ])('catches %s', (line, what) => {
    expect(shippedProjectReads('test/x.test.ts', line).join('\n')).toContain(what);
  });

  it.each([
    "runCli(['run', '--project-dir', dir])",
    "runCli(['show'], { cwd: dir })",
    "const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);",
    "spawn(process.execPath, [BIN, ...args], { cwd: scratchDir(), stdio: 'pipe' })",
    "cpSync(path.join(REPO_ROOT, 'data/sample'), dest)",
    "writeProject({ 'models/a.sql': 'select 1', 'sources.yml': SOURCES })",
    "writeFileSync(path.join(dir, 'sources.yml'), text)",
  ])('lets %s pass', (line) => {
    expect(shippedProjectReads('test/x.test.ts', line)).toEqual([]);
  });
});
