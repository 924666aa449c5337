import yargs from 'yargs';
import { SparkifyError, UsageError, suggest, VERSION } from '../index.js';
import type { CliCommand, CliContext } from './cli-command.js';
import { buildCliCommand } from './commands/build.js';
import { cleanCliCommand } from './commands/clean.js';
import { compileCliCommand } from './commands/compile.js';
import { debugCliCommand } from './commands/debug.js';
import { depsCliCommand } from './commands/deps.js';
import { docsCliCommand } from './commands/docs.js';
import { generateCliCommand } from './commands/generate.js';
import { lsCliCommand } from './commands/ls.js';
import { retryCliCommand } from './commands/retry.js';
import { runCliCommand } from './commands/run.js';
import { showCliCommand } from './commands/show.js';
import { seedCliCommand } from './commands/seed.js';
import { snapshotCliCommand } from './commands/snapshot.js';
import { sourceCliCommand } from './commands/source-freshness.js';
import { testCliCommand } from './commands/test.js';
import { earlyArgs } from './early-args.js';
import { globalOptions } from './options.js';
import { Reporter } from './reporter.js';

export { VERSION } from '../index.js';

/** Every command, in the order `sparkify --help` lists them: one line per command. */
export const COMMANDS: CliCommand[] = [
  runCliCommand,
  seedCliCommand,
  buildCliCommand,
  testCliCommand,
  snapshotCliCommand,
  sourceCliCommand,
  retryCliCommand,
  compileCliCommand,
  lsCliCommand,
  showCliCommand,
  debugCliCommand,
  depsCliCommand,
  cleanCliCommand,
  generateCliCommand,
  docsCliCommand,
];

export interface Terminal {
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
}

/** Colour: --color/--no-color first, then NO_COLOR (any value), then FORCE_COLOR (not 0), then whether the stream is a terminal. */
export function colourWanted(flag: boolean | undefined, env: Record<string, string | undefined>, isTTY: boolean): boolean {
  if (flag !== undefined) return flag;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return isTTY && env.TERM !== 'dumb';
}

/** An unknown command word: "did you mean" among the commands and their aliases. */
function unknownCommand(word: string): UsageError {
  const names = COMMANDS.flatMap((c) => c.names.map((n) => n.split(' ')[0]!));
  const like = suggest(word, names);
  return new UsageError(`unknown command '${word}'`, { hint: `${like ? `did you mean '${like}'? ` : ''}commands: ${COMMANDS.map((c) => c.names[0]!.split(' ')[0]).join(', ')}` });
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  terminal: Terminal = { stdoutIsTTY: process.stdout.isTTY === true, stderrIsTTY: process.stderr.isTTY === true },
): Promise<number> {
  let exitCode = 0;
  const early = earlyArgs(argv);
  const format = early.logFormat;
  const reporter = new Reporter(format, [], undefined, undefined, {
    colorOut: format === 'text' && colourWanted(early.color, env, terminal.stdoutIsTTY),
    colorErr: format === 'text' && colourWanted(early.color, env, terminal.stderrIsTTY),
    tty: terminal.stdoutIsTTY,
  });
  const ctx: CliContext = { reporter, env };
  const fail = (err: unknown) => {
    reporter.error(err);
    exitCode = err instanceof SparkifyError ? err.exitCode : 2;
  };

  const word = early.command;
  // a command's first word ('source' of 'source <action>')
  const names = new Set(COMMANDS.flatMap((c) => c.names.map((n) => n.split(' ')[0]!)));
  if (word !== undefined && !names.has(word)) {
    fail(unknownCommand(word));
    return exitCode;
  }

  let parser = globalOptions(yargs(argv))
    .scriptName('sparkify')
    .usage('$0 <command> [options]\n\nBuilds the Sparkify data warehouse from SQL models, the dbt way.');
  for (const c of COMMANDS) {
    parser = parser.command(c.names, c.describe, c.options, async (a: unknown) => {
      try {
        exitCode = await c.run(a as Record<string, unknown>, ctx);
      } catch (err) {
        fail(err);
      }
    });
  }
  parser = parser
    .demandCommand(1, `name a command: ${COMMANDS.map((c) => c.names[0]!.split(' ')[0]).join(', ')}`)
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .alias('v', 'version')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      // a coerce function's error reaches here re-wrapped by yargs, as a YError with its message
      if (err && !(err instanceof SparkifyError) && err.name === 'YError') throw new UsageError(err.message, { hint: 'see sparkify <command> --help' });
      if (err) throw err;
      throw new UsageError(msg, { hint: 'see sparkify --help' });
    });

  try {
    await parser.parseAsync();
  } catch (err) {
    fail(err);
  }
  return exitCode;
}
