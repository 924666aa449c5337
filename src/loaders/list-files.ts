import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { LoadError } from '../errors.js';

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

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const e of entries) {
    if (!e.isFile()) continue;
    const full = path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name);
    const rel = path.relative(dir, full);
    if (rel.split(path.sep).some((part) => part.startsWith('.'))) continue;
    files.push(full);
  }
  return files;
}

/**
 * Lists the local files of a source location, sorted by path: a file, every file under a
 * directory (recursively, skipping dotfiles), or the files matching a glob.
 */
export async function listLocalFiles(location: string, sourceFile?: string): Promise<string[]> {
  let files: string[];
  if (GLOB_CHARS.test(location)) {
    const parts = location.split('/');
    const firstGlob = parts.findIndex((p) => GLOB_CHARS.test(p));
    const base = parts.slice(0, firstGlob).join('/') || '.';
    const re = globToRegExp(parts.slice(firstGlob).join('/'));
    let all: string[] = [];
    try {
      all = await walk(base);
    } catch {
      all = [];
    }
    files = all.filter((f) => re.test(path.relative(base, f).split(path.sep).join('/')));
  } else {
    let st;
    try {
      st = await stat(location);
    } catch {
      throw new LoadError(`source location does not exist: ${location}`, {
        file: sourceFile,
        hint: 'check the location in sources.yml and the [S3] paths in your config',
      });
    }
    files = st.isDirectory() ? await walk(location) : [location];
  }
  if (files.length === 0) {
    throw new LoadError(`no files found at ${location}`, { file: sourceFile, hint: 'check the location in sources.yml and the [S3] paths in your config' });
  }
  return files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
