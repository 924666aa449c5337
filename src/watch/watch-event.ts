/** What watch mode reports between the run events; `--log-format json` prints each as one line. */
export type WatchEvent =
  | { type: 'watch_start'; projectDir: string; select?: string[] | undefined; exclude?: string[] | undefined }
  /** a burst of saves has settled (or the session began): one rebuild starts */
  | { type: 'rebuild_start'; rebuild: number; reason: RebuildReason; files: string[] }
  /** the project compiled; what this rebuild builds, and the models that disappeared */
  | { type: 'rebuild_plan'; rebuild: number; changed: string[]; nodes: string[]; deleted: { id: string; relation: string }[] }
  | { type: 'rebuild_end'; rebuild: number; status: RebuildStatus; nodes: string[]; failed: string[]; elapsed: number }
  /** idle again: the prompt */
  | { type: 'watching'; files: number }
  | { type: 'watch_end'; exitCode: number };

export type RebuildReason = 'initial' | 'change' | 'config';

/**
 * success: every node built; failed: a node failed in the database (the rest of the build went on);
 * error: nothing ran (template, ref, cycle, selection, config or connection error);
 * nothing: no node's build inputs changed; interrupted: Ctrl-C.
 */
export type RebuildStatus = 'success' | 'failed' | 'error' | 'nothing' | 'interrupted';
