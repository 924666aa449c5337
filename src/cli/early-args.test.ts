import { describe, expect, it } from 'vitest';
import yargs from 'yargs';
import { earlyArgs, FLAGS } from './early-args.js';
import { COMMANDS } from './main.js';
import { globalOptions } from './options.js';

describe('earlyArgs', () => {
  it.each([
    [['run', '--log-format', 'json'], 'json'],
    [['--log-format=json', 'run'], 'json'],
    [['run', '--log-format', 'text', '--log-format', 'json'], 'json'],
    [['run', '--log-format', 'json', '--log-format', 'text'], 'text'],
    [['run', '--log-format', 'xml'], 'text'],
    [['run'], 'text'],
  ])('%j prints as %s', (argv, format) => {
    expect(earlyArgs(argv).logFormat).toBe(format);
  });

  it.each([
    [['run', '--color'], true],
    [['run', '--no-color'], false],
    [['run', '--color=false'], false],
    [['run', '--color=true'], true],
    [['run', '--no-color', '--color'], true],
    [['run'], undefined],
  ])('%j asks for colour %s', (argv, color) => {
    expect(earlyArgs(argv).color).toBe(color);
  });

  it.each([
    [['run', '-s', 'songplays+'], 'run'],
    [['--full-refresh', 'run'], 'run'],
    [['--watch', '--select', 'x', 'run'], 'run'],
    [['--project-dir', 'p', 'rnu'], 'rnu'],
    [['--log-format', 'json', 'ls'], 'ls'],
    [['-h'], undefined],
    [['--color', 'build'], 'build'],
  ])('%j names the command %s', (argv, word) => {
    expect(earlyArgs(argv).command).toBe(word);
  });

  it('knows every option of every command that takes no value', () => {
    const booleans = new Set<string>(['help', 'version']);
    for (const c of COMMANDS) {
      const opts = (c.options(globalOptions(yargs([]))) as unknown as { getOptions(): { boolean: string[] } }).getOptions();
      for (const b of opts.boolean) booleans.add(b);
    }
    expect([...booleans].sort()).toEqual([...FLAGS].sort());
  });
});
