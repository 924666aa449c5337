import type { Argv } from 'yargs';
import type { Reporter } from './reporter.js';

export interface CliContext {
  reporter: Reporter;
  env: Record<string, string | undefined>;
}

/** One command of the CLI: a thin layer over the library API (src/index.ts). main.ts lists them. */
export interface CliCommand {
  /** the name, then its aliases */
  names: string[];
  describe: string;
  options: (y: Argv) => Argv;
  run: (args: Record<string, unknown>, ctx: CliContext) => Promise<number> | number;
}

/** A command whose arguments have a type of their own. */
export function defineCommand<A>(c: { names: string[]; describe: string; options: (y: Argv) => Argv<unknown>; run: (args: A, ctx: CliContext) => Promise<number> | number }): CliCommand {
  return c as unknown as CliCommand;
}
