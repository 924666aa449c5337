// 2. Compile at scale: sparkify compile / ls --select 'x+' against dataform compile, same graph.
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, flushWrites, measure, median } from './measure.js';
import { int, mb, s, x } from './report.js';
import { synthGraph, writeDataformProject, writeSparkifyProject } from './synth-project.js';

/**
 * Runs a command at least once and at most `repeat` times, stopping early once `budgetMs` is
 * spent: cheap commands get a median of several runs, expensive ones are not run three times.
 * Before each run, `before()` restores the starting state (a cold target/ folder).
 */
async function timed(cmd, args, { cwd, repeat, budgetMs, before, what, verify }) {
  const runs = [];
  let spent = 0;
  while (runs.length < repeat && (runs.length === 0 || spent < budgetMs)) {
    before?.();
    const r = check(await measure(cmd, args, { cwd, what }), what);
    verify?.(r);
    runs.push(r);
    spent += r.wallMs;
  }
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    runsMs: runs.map((r) => Math.round(r.wallMs)),
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb ?? 0)) || undefined,
    sysS: median(runs.map((r) => r.sysS ?? NaN)),
  };
}

/** npm install @dataform/cli and @dataform/core into a temporary folder, never into the project. */
async function installDataform(ctx) {
  const dir = path.join(ctx.tmp, 'dataform-peer');
  mkdirSync(dir, { recursive: true });
  const r = await measure('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', '--prefix', dir, '@dataform/cli', '@dataform/core'], {
    cwd: dir,
    timeoutMs: 300_000,
    gnuTime: false,
  });
  const bin = path.join(dir, 'node_modules', '.bin', 'dataform');
  if (r.code !== 0 || !existsSync(bin)) {
    return {
      available: false,
      reason: r.timedOut ? 'npm install timed out after 300 s' : `npm install failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`,
    };
  }
  const version = (name) => JSON.parse(readFileSync(path.join(dir, 'node_modules', '@dataform', name, 'package.json'), 'utf8')).version;
  return { available: true, dir, bin, version: version('cli'), coreVersion: version('core'), installMs: r.wallMs };
}

export async function benchCompile(ctx) {
  const o = ctx.opts;
  const sizes = [...new Set([...o.sizes, ...o.dataformSizes])].sort((a, b) => a - b);
  const result = { sizes: {}, dataform: undefined };
  ctx.data.compile = result;

  let df;
  if (o.dataformSizes.length > 0) {
    ctx.log('installing @dataform/cli and @dataform/core into a temporary folder');
    df = await installDataform(ctx);
    result.dataform = df;
    ctx.data.dataform = df;
    if (!df.available) ctx.notes.push(`Dataform peer unavailable: ${df.reason}.`);
  }

  // Scratch of this section is deleted at its end, not between measurements: on a file system that
  // delays reusing freed inodes (ext4 without a journal, as on the bench machine), creating 10k files
  // within minutes of deleting 10k others makes the kernel scan past every freed inode for each new
  // file, which would charge the compile for the deletion (see bench/README.md).
  const trash = path.join(ctx.tmp, 'compile-trash');
  mkdirSync(trash, { recursive: true });
  let trashed = 0;
  const scratch = [trash];
  for (const n of sizes) {
    const graph = synthGraph(n);
    const spDir = path.join(ctx.tmp, `compile-${n}`);
    writeSparkifyProject(spDir, graph);
    scratch.push(spDir);
    const target = path.join(spDir, 'target');
    // a cold target/: the last run's is moved aside, and its writes flushed
    const cold = () => {
      if (existsSync(target)) renameSync(target, path.join(trash, String(trashed++)));
      flushWrites();
    };
    const at = { models: n, edges: graph.reduce((a, m) => a + m.refs.length, 0) };
    result.sizes[n] = at;

    ctx.log(`sparkify compile, ${int(n)} models`);
    at.compile = await timed('node', [ctx.cli, 'compile'], {
      cwd: spDir,
      repeat: o.repeat,
      budgetMs: 12_000,
      before: cold,
      what: `sparkify compile (${n} models)`,
      verify: (r) => {
        if (!r.stdout.includes(`Compiled ${n} nodes`)) throw new Error(`sparkify compile of ${n} models printed: ${r.stdout.slice(-300)}`);
      },
    });
    // the edit loop: one model saved, then `sparkify compile` again over the target/ the last compile left
    ctx.log(`sparkify compile after one change, ${int(n)} models`);
    const edited = path.join(spDir, 'models', graph[1].folder, `${graph[1].name}.sql`);
    const editedText = readFileSync(edited, 'utf8');
    let edits = 0;
    check(await measure('node', [ctx.cli, 'compile'], { cwd: spDir }), `sparkify compile (${n} models)`);
    at.afterChange = await timed('node', [ctx.cli, 'compile'], {
      cwd: spDir,
      repeat: o.repeat,
      budgetMs: 12_000,
      before: () => {
        writeFileSync(edited, `${editedText}\n-- edit ${++edits}\n`);
        flushWrites();
      },
      what: `sparkify compile after one change (${n} models)`,
      verify: (r) => {
        if (!r.stdout.includes(`Compiled ${n} nodes`)) throw new Error(`sparkify compile of ${n} models printed: ${r.stdout.slice(-300)}`);
      },
    });
    writeFileSync(edited, editedText);
    ctx.log(`sparkify ls --select 'x+', ${int(n)} models`);
    at.ls = await timed('node', [ctx.cli, 'ls', '--select', 'x+'], {
      cwd: spDir,
      repeat: o.repeat,
      budgetMs: 12_000,
      before: cold,
      what: `sparkify ls (${n} models)`,
      verify: (r) => {
        const lines = r.stdout.trim().split('\n').length;
        if (lines !== n) throw new Error(`sparkify ls --select 'x+' listed ${lines} nodes, expected ${n}`);
      },
    });

    // the kernel's share shows when file creation is slow (see bench/README.md)
    const timesNote = (t) =>
      `${t.runsMs.length > 1 ? `median of ${t.runsMs.length}` : '1 run'}${Number.isNaN(t.sysS) ? '' : `; system time ${t.sysS.toFixed(2)} s`}`;
    const tenK = n === 10_000;
    ctx.rows.add({
      section: '2 compile',
      measure: `sparkify compile, ${int(n)} models (cold target/)`,
      value: `${s(at.compile.wallMs)}, ${mb(at.compile.peakRssMb)}`,
      note: timesNote(at.compile),
      ...(tenK ? { target: '< 1 s', met: at.compile.wallMs < 1000 } : {}),
    });
    ctx.rows.add({
      section: '2 compile',
      measure: `sparkify compile after one change, ${int(n)} models (target/ of the compile before)`,
      value: `${s(at.afterChange.wallMs)}, ${mb(at.afterChange.peakRssMb)}`,
      note: timesNote(at.afterChange),
      ...(tenK ? { target: '< 300 ms', met: at.afterChange.wallMs < 300 } : {}),
    });
    ctx.rows.add({
      section: '2 compile',
      measure: `sparkify ls --select 'x+', ${int(n)} models`,
      value: `${s(at.ls.wallMs)}, ${mb(at.ls.peakRssMb)}`,
      note: timesNote(at.ls),
    });

    if (df?.available && o.dataformSizes.includes(n)) {
      const dfDir = path.join(ctx.tmp, `dataform-${n}`);
      writeDataformProject(dfDir, graph, df.coreVersion);
      // dataform's sandbox refuses a symlinked node_modules, so the (small) core package is copied
      cpSync(path.join(df.dir, 'node_modules', '@dataform', 'core'), path.join(dfDir, 'node_modules', '@dataform', 'core'), { recursive: true });
      ctx.log(`dataform compile, ${int(n)} models (budget ${o.dataformTimeout} s)`);
      const budget = o.dataformTimeout * 1000;
      const r = await measure(df.bin, ['compile', `--timeout=${o.dataformTimeout + 60}s`], {
        cwd: dfDir,
        timeoutMs: budget,
        what: `dataform compile (${n} models)`,
        pollTree: true,
      });
      at.dataform = { wallMs: r.wallMs, peakRssMb: r.peakRssMb, timedOut: r.timedOut, code: r.code };
      if (r.timedOut) {
        ctx.rows.add({ section: '2 compile', measure: `dataform compile, ${int(n)} models`, value: `> ${s(budget)} (stopped at the budget)` });
        ctx.rows.add({
          section: '2 compile',
          measure: `dataform ÷ sparkify compile, ${int(n)} models`,
          value: `> ${x(budget / at.compile.wallMs)}`,
          ...(n === 10_000 ? { target: '≥ 30×', met: budget / at.compile.wallMs >= 30 ? true : undefined } : {}),
        });
      } else if (r.code !== 0 || !r.stdout.includes(`Compiled ${n} action(s)`)) {
        at.dataform.error = (r.stderr + r.stdout).trim().split('\n').slice(-5).join(' ');
        ctx.rows.add({ section: '2 compile', measure: `dataform compile, ${int(n)} models`, value: 'failed', note: at.dataform.error.slice(0, 200) });
      } else {
        const ratio = r.wallMs / at.compile.wallMs;
        at.dataform.ratio = ratio;
        ctx.rows.add({ section: '2 compile', measure: `dataform compile, ${int(n)} models`, value: `${s(r.wallMs)}, ${mb(r.peakRssMb)}` });
        ctx.rows.add({
          section: '2 compile',
          measure: `dataform ÷ sparkify compile, ${int(n)} models`,
          value: x(ratio),
          // the issue states the ratio at 10k models; at smaller sizes node's own start-up weighs more
          ...(n === 10_000 ? { target: '≥ 30×', met: ratio >= 30 } : { note: 'the ≥ 30× target is stated at 10,000 models' }),
        });
      }
    }
    scratch.push(path.join(ctx.tmp, `dataform-${n}`));
  }

  // What a user who runs `rm -rf target && sparkify compile` sees at the largest size: the same
  // compile, plus the kernel's cost of creating files right after deleting as many. Informational,
  // one run, last, so that the deletion weighs on no other measurement of the section.
  const n = Math.max(...o.sizes);
  const spDir = path.join(ctx.tmp, `compile-${n}`);
  if (existsSync(spDir)) {
    const target = path.join(spDir, 'target');
    check(await measure('node', [ctx.cli, 'compile'], { cwd: spDir }), `sparkify compile (${n} models)`);
    flushWrites();
    ctx.log(`sparkify compile, ${int(n)} models, right after rm -rf target`);
    rmSync(target, { recursive: true, force: true });
    const r = check(
      await measure('node', [ctx.cli, 'compile'], { cwd: spDir, what: `sparkify compile after rm -rf target (${n} models)` }),
      `sparkify compile (${n} models)`,
    );
    result.sizes[n].compileAfterRm = { wallMs: r.wallMs, peakRssMb: r.peakRssMb, sysS: r.sysS };
    ctx.rows.add({
      section: '2 compile',
      measure: `sparkify compile, ${int(n)} models, started right after \`rm -rf target\``,
      value: `${s(r.wallMs)}, ${mb(r.peakRssMb)}`,
      note: `1 run${r.sysS === undefined ? '' : `; system time ${r.sysS.toFixed(2)} s`}; the time above the cold-target figure is the file system reusing the inodes just freed, see bench/README.md`,
    });
  }
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
  if (df?.available && !o.dataformSizes.includes(10_000)) {
    ctx.notes.push(
      `Dataform was measured at ${o.dataformSizes.map(int).join(' and ')} models only, so the 10k ratio the target is stated at is missing (\`--dataform-sizes 1000,5000,10000\` adds it).`,
    );
  }
  if (df?.dir) rmSync(df.dir, { recursive: true, force: true });
}
