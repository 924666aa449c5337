import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules, checked on the source text (README "Architecture"): the CLI is a client of
 * the library API, the library keeps no state in modules and never writes process.env, and a
 * command that makes no docs does not load the SQL parser.
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const f = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(f);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !e.name.endsWith('.d.ts') ? [f] : [];
  });
}

const rel = (f: string) => path.relative(SRC, f);
/** code of the library itself: the docs site's browser app (src/docs/site) is a page of its own */
const library = tsFiles(SRC).filter((f) => !rel(f).startsWith('docs/site/'));
const text = new Map(library.map((f) => [f, readFileSync(f, 'utf8')]));

/** the static imports of a file (not `import type`, not `import()`): [specifier, line] */
function staticImports(source: string): [string, number][] {
  const out: [string, number][] = [];
  const re = /^(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'([^']+)'/gms;
  for (const m of source.matchAll(re)) {
    // `export { a } from` re-exports count; `export type { a } from` do not
    if (/^export\s+type\b/.test(m[0]) || /^import\s+type\b/.test(m[0])) continue;
    out.push([m[1]!, source.slice(0, m.index).split('\n').length]);
  }
  return out;
}

function resolveImport(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const f = path.resolve(path.dirname(from), spec).replace(/\.js$/, '.ts');
  return existsSync(f) ? f : undefined;
}

describe('architecture boundaries', () => {
  it('the library never writes process.env', () => {
    const writes = library.flatMap((f) =>
      text
        .get(f)!
        .split('\n')
        .flatMap((line, i) => (/process\.env(\.\w+|\[[^\]]+\])\s*(=(?!=)|\?\?=|\|\|=|&&=)|delete\s+process\.env|Object\.assign\(\s*process\.env/.test(line) ? [`${rel(f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(writes, 'a program that embeds sparkify owns its environment: take the value as an option instead').toEqual([]);
  });

  it('keeps no state in a module: no empty Map or Set and no let at the top level (caches belong to an object the caller creates)', () => {
    const found = library.flatMap((f) =>
      text
        .get(f)!
        .split('\n')
        .flatMap((line, i) => (/^(export\s+)?(const|let)\s+\w+[^=]*=\s*new\s+(Map|Set|WeakMap)(<[^>]*>)?\(\)|^(export\s+)?let\s/.test(line) ? [`${rel(f)}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('the CLI reaches the library only through src/index.ts', () => {
    const cli = library.filter((f) => rel(f).startsWith('cli/'));
    expect(cli.length).toBeGreaterThan(15);
    const outside = cli.flatMap((f) =>
      staticImports(text.get(f)!)
        .concat([...text.get(f)!.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => [m[1]!, 0] as [string, number]))
        .filter(([spec]) => {
          const target = resolveImport(f, spec);
          return target !== undefined && !rel(target).startsWith('cli/') && rel(target) !== 'index.ts';
        })
        .map(([spec, line]) => `${rel(f)}:${line}: ${spec}`),
    );
    expect(outside, 'export what the command needs from src/index.ts, so a Node program can do the same').toEqual([]);
  });

  it('every command is a file in src/cli/commands/ listed once in main.ts', () => {
    const main = text.get(path.join(SRC, 'cli/main.ts'))!;
    const files = readdirSync(path.join(SRC, 'cli/commands')).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    for (const f of files) expect(main, f).toContain(`from './commands/${f.replace(/\.ts$/, '.js')}'`);
  });

  it('a command that makes no docs does not load the SQL parser or the graph layout', () => {
    const seen = new Set<string>();
    const packages = new Map<string, string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const [spec] of staticImports(text.get(f) ?? readFileSync(f, 'utf8'))) {
        const target = resolveImport(f, spec);
        if (target) walk(target);
        else if (!spec.startsWith('.') && !spec.startsWith('node:')) packages.set(spec, rel(f));
      }
    };
    walk(path.join(SRC, 'cli/main.ts'));
    expect(seen.size).toBeGreaterThan(50);
    expect([...packages].filter(([p]) => p === 'libpg-query' || p === '@dagrejs/dagre')).toEqual([]);
  });
});
