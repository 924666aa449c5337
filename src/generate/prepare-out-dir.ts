import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

/** Files and folders that say a folder is a project or a home, never a data folder to clear. */
const PRECIOUS = ['models', 'sources.yml', 'dwh.cfg', '.git', 'package.json'];

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(path.join(dir, e.name));
    else n++;
  }
  return n;
}

/**
 * Makes sure `generate` writes into an empty folder: data sets of different seeds or sizes must not
 * mix. A folder that holds files is refused, unless `force`, which clears it first (never a folder
 * that looks like a project or a home). Returns how many files were cleared.
 */
export function prepareOutDir(dir: string, force: boolean): { cleared: number } {
  if (!existsSync(dir)) return { cleared: 0 };
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is a file, not a folder`, { hint: 'choose a folder for the data set' });
  const files = countFiles(dir);
  if (files === 0) return { cleared: 0 };
  if (!force) {
    throw new UsageError(`--out ${dir} is not empty: it holds ${files} file${files === 1 ? '' : 's'}, and a new data set would mix with them`, {
      hint: 'choose an empty or new folder, or pass --force to clear this one first',
    });
  }
  const precious = PRECIOUS.filter((p) => existsSync(path.join(dir, p)));
  const resolved = path.resolve(dir);
  if (precious.length > 0 || resolved === path.parse(resolved).root || resolved === os.homedir()) {
    throw new UsageError(`--force would clear ${dir}, which is not a data folder (${precious.length > 0 ? `it holds ${precious.join(', ')}` : 'a root or home folder'})`, {
      hint: 'generate into a folder of its own, e.g. --out data/sample',
    });
  }
  for (const e of readdirSync(dir)) rmSync(path.join(dir, e), { recursive: true, force: true });
  return { cleared: files };
}
