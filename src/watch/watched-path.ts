/** Top-level files of a project that watch mode rebuilds on. The config file is matched separately. */
const PROJECT_FILES = ['sources.yml', 'sources.yaml', 'sparkify.yml'];

/**
 * Whether watch mode follows a path, given relative to the project folder with "/" separators:
 * models/ (.sql and .yml files), macros/ (.sql), sources.yml and sparkify.yml. `isDirectory` is
 * undefined when not yet known: anything under models/ and macros/ may then be a folder, so it is
 * followed until its kind is known.
 */
export function isWatchedPath(rel: string, isDirectory: boolean | undefined): boolean {
  if (rel === '') return true;
  const parts = rel.split('/');
  if (parts.some((p) => p.startsWith('.') || p === '')) return false;
  const [top] = parts;
  if (parts.length === 1) {
    if (top === 'models' || top === 'macros') return isDirectory !== false;
    return PROJECT_FILES.includes(top!) && isDirectory !== true;
  }
  if (top !== 'models' && top !== 'macros') return false;
  if (isDirectory !== false) return true;
  const exts = top === 'models' ? ['.sql', '.yml', '.yaml'] : ['.sql'];
  return exts.some((e) => rel.endsWith(e));
}
