import { Parser } from 'yargs/helpers';

/**
 * What main() needs before yargs builds the commands: how to print (--log-format, --color) and the
 * command word, so that an unknown command gets "did you mean" and every error, even one of argument
 * parsing, comes out in the format asked for. Parsed by yargs' own parser, with the options that
 * take no value declared so that the word after them is not taken for their value.
 */
export interface EarlyArgs {
  logFormat: 'text' | 'json';
  /** --color / --no-color, when given (the last one wins) */
  color: boolean | undefined;
  /** the first argument that is neither an option nor an option's value */
  command: string | undefined;
}

/** Options that take no value, of any command (their next argument is the command word or another option). */
export const FLAGS = ['color', 'help', 'version', 'force', 'full-refresh', 'wait-for-lock', 'watch'];

export function earlyArgs(argv: string[]): EarlyArgs {
  const parsed = Parser(argv, {
    string: ['log-format'],
    boolean: FLAGS,
    alias: { help: ['h'], version: ['v'] },
    configuration: { 'duplicate-arguments-array': false, 'parse-numbers': false, 'parse-positional-numbers': false },
  });
  const format = parsed['log-format'] as unknown;
  const color = parsed.color as unknown;
  const word = parsed._[0];
  return {
    logFormat: format === 'json' ? 'json' : 'text',
    color: typeof color === 'boolean' && argv.some((a) => a === '--color' || a === '--no-color' || a.startsWith('--color=')) ? color : undefined,
    command: word === undefined ? undefined : String(word),
  };
}
