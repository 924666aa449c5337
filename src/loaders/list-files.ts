import { lstatSync, readdirSync, statSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LoadError } from '../errors.js';
import { quotePath } from '../display-path.js';

const GLOB_CHARS = /[*?[]/;

/** Turns a glob ("**", "*", "?", "[abc]") into a regex over '/'-separated relative paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
        i += glob[i + 2] === '/' ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += '[' + glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** What a directory entry that is not a regular file is, for the warning that skips it. */
function kindOf(st: Stats | undefined): string {
  if (!st) return 'a broken symbolic link';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a symbolic link to a folder';
  return 'not a regular file';
}

// One synchronous readdir per folder, never entering dot-folders: over the bucket layout
// (song_data/A/B/C, ~18k folders for 100k files) this takes a third of the time of fs.promises'
// recursive readdir, which awaits every folder (bench/RESULTS.md). A symbolic link to a file is
// read as the file; anything else that is not a regular file (a named pipe, a socket, a device,
// a link to a folder) is skipped with a warning: reading a pipe could wait forever.
// The walk gives the event loop a turn every YIELD_FOLDERS folders, so that a load running beside it (a day of logs
// while the song catalogue is listed) keeps streaming instead of waiting the whole listing out.
async function walk(dir: string, onSkip: (file: string, why: string) => void): Promise<string[]> {
  const files: string[] = [];
  const stack = [dir];
  let folders = 0;
  while (stack.length > 0) {
    const d = stack.pop()!;
    const sub: string[] = [];
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) sub.push(full);
      else if (e.isFile()) files.push(full);
      else {
        const st = e.isSymbolicLink() ? statSync(full, { throwIfNoEntry: false }) : undefined;
        if (st?.isFile()) files.push(full);
        else onSkip(full, e.isSymbolicLink() ? kindOf(st) : kindOf(lstatSync(full)));
      }
    }
    // (the order of the walk does not matter: the caller sorts the files)
    stack.push(...sub);
    if (++folders % YIELD_FOLDERS === 0) await yieldTurn();
  }
  return files;
}

const YIELD_FOLDERS = 256;

/** Lets the event loop run what is waiting (I/O callbacks first) before the caller goes on. */
export const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lists the local files of a source location, sorted by path: a file, every file under a
 * directory (recursively, skipping dotfiles), or the files matching a glob.
 */
export async function listLocalFiles(location: string, sourceFile?: string, onWarning: (message: string) => void = () => undefined): Promise<string[]> {
  const onSkip = (file: string, why: string) => onWarning(`skipped ${quotePath(file)}: ${why}, not a regular file`);
  let files: string[];
  if (GLOB_CHARS.test(location)) {
    const parts = location.split('/');
    const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
    const base = parts.slice(0, firstGlob).join('/') || '.';
    const re = globToRegExp(parts.slice(firstGlob).join('/'));
    let all: string[] = [];
    try {
      all = await walk(base, onSkip);
    } catch {
      all = [];
    }
    files = all.filter((f) => re.test(path.relative(base, f).split(path.sep).join('/')));
  } else {
    let st;
    try {
      st = await stat(location);
    } catch {
      throw new LoadError(`source location does not exist: ${quotePath(location)}`, {
        file: sourceFile,
        hint: 'check the location in sources.yml and the [S3] paths in your config',
      });
    }
    if (!st.isDirectory() && !st.isFile()) {
      throw new LoadError(`source location ${quotePath(location)} is ${kindOf(st)}, not a regular file or a folder`, {
        file: sourceFile,
        hint: 'point the location at a file or a folder of files',
      });
    }
    files = st.isDirectory() ? await walk(location, onSkip) : [location];
  }
  if (files.length === 0) {
    throw new LoadError(`no files found at ${quotePath(location)}`, { file: sourceFile, hint: 'check the location in sources.yml and the [S3] paths in your config' });
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
