/** A path as the user can click it: relative to the working directory when inside it; quoted when it holds a control character. */
export function displayPath(file: string): string {
  const cwd = process.cwd();
  return quotePath(file.startsWith(cwd + '/') ? file.slice(cwd.length + 1) : file);
}

/**
 * A file name for a message: as it is, or, when it holds a control character (a newline would
 * split the message's line), in double quotes with JSON escapes.
 */
export function quotePath(file: string): string {
  return /[\x00-\x1f\x7f]/.test(file) ? JSON.stringify(file) : file;
}
