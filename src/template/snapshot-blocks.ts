import { ProjectError } from '../errors.js';

export interface SnapshotBlock {
  name: string;
  /** the file's text with everything outside the block, and the block tags, blanked (lines kept) */
  body: string;
  line: number;
}

const OPEN = /\{%-?\s*snapshot\s+([A-Za-z_][A-Za-z0-9_]*)\s*-?%\}/g;
const CLOSE = /\{%-?\s*endsnapshot\s*-?%\}/g;

/** Blanks a text but keeps its newlines, so line numbers stay those of the file. */
function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** The `{% snapshot name %} ... {% endsnapshot %}` blocks of a snapshot file. */
export function extractSnapshots(text: string, file: string): { blocks: SnapshotBlock[]; errors: ProjectError[] } {
  const blocks: SnapshotBlock[] = [];
  const errors: ProjectError[] = [];
  const lineAt = (i: number) => text.slice(0, i).split('\n').length;
  OPEN.lastIndex = 0;
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = OPEN.exec(text))) {
    CLOSE.lastIndex = m.index + m[0].length;
    const close = CLOSE.exec(text);
    const nextOpen = new RegExp(OPEN.source, 'g');
    nextOpen.lastIndex = m.index + m[0].length;
    const following = nextOpen.exec(text);
    if (!close || (following && following.index < close.index)) {
      errors.push(new ProjectError(`{% snapshot ${m[1]} %} has no {% endsnapshot %}`, { file, line: lineAt(m.index), hint: 'close the block with {% endsnapshot %}' }));
      break;
    }
    const start = m.index + m[0].length;
    const body = blank(text.slice(0, start)) + text.slice(start, close.index) + blank(text.slice(close.index));
    blocks.push({ name: m[1]!, body, line: lineAt(m.index) });
    last = close.index + close[0].length;
    OPEN.lastIndex = last;
  }
  if (blocks.length === 0 && errors.length === 0) {
    errors.push(new ProjectError('no {% snapshot name %} ... {% endsnapshot %} block in this file', { file, line: 1, hint: 'wrap the snapshot query in {% snapshot name %} ... {% endsnapshot %}' }));
  }
  return { blocks, errors };
}
