/** Top-level files of a project that watch mode rebuilds on. The config file is matched separately. */
const PROJECT_FILES = ['sources.yml', 'sources.yaml', 'sparkify.yml', 'dbt_project.yml'];

/** The folders watch mode follows: the project file's model-paths and macro-paths (dbt's defaults: models/, macros/). */
export interface WatchedFolders {
  modelPaths: string[];
  macroPaths: string[];
}

const DEFAULT_FOLDERS: WatchedFolders = { modelPaths: ['models'], macroPaths: ['macros'] };

/**
 * Whether watch mode follows a path, given relative to the project folder with "/" separators:
 * the model paths (.sql and .yml files), the macro paths (.sql), sources.yml and the project file.
 * `isDirectory` is undefined when not yet known: anything under those folders may then be a
 * folder, so it is followed until its kind is known.
 */
export function isWatchedPath(rel: string, isDirectory: boolean | undefined, folders: WatchedFolders = DEFAULT_FOLDERS): boolean {
  if (rel === '') return true;
  const parts = rel.split('/');
  if (parts.some((p) => p.startsWith('.') || p === '')) return false;
  if (parts.length === 1 && PROJECT_FILES.includes(rel) && isDirectory !== true) return true;
  const roots: [string, string[]][] = [...folders.modelPaths.map((r): [string, string[]] => [r, ['.sql', '.yml', '.yaml']]), ...folders.macroPaths.map((r): [string, string[]] => [r, ['.sql']])];
  let watched = false;
  for (const [root, exts] of roots) {
    if (root === '.' || rel === root || rel.startsWith(root + '/')) {
      if (root === '.' && parts[0] === 'target') continue;
      watched ||= isDirectory !== false || exts.some((e) => rel.endsWith(e));
    } else if (root.startsWith(rel + '/')) watched ||= isDirectory !== false; // a folder on the way to one
  }
  return watched;
}
