import { describe, expect, it } from 'vitest';
import { isWatchedPath } from './watched-path.js';

describe('isWatchedPath', () => {
  const cases: [string, boolean | undefined, boolean][] = [
    ['', true, true],
    ['models', true, true],
    ['models', undefined, true],
    ['macros', true, true],
    ['models/star/songplays.sql', false, true],
    ['models/star/schema.yml', false, true],
    ['models/star/schema.yaml', false, true],
    ['models/star', true, true],
    ['models/star', undefined, true],
    ['macros/keys.sql', false, true],
    ['macros/notes.yml', false, false],
    ['sources.yml', false, true],
    ['sources.yaml', false, true],
    ['sparkify.yml', false, true],
    ['sparkify.yml', undefined, true],
    // editor droppings and everything outside the project's sources
    ['models/star/songplays.sql~', false, false],
    ['models/star/.songplays.sql.swp', false, false],
    ['models/star/4913', false, false],
    ['models/.hidden/a.sql', false, false],
    ['models/notes.md', false, false],
    ['target', true, false],
    ['target', undefined, false],
    ['target/compiled/models/star/time.sql', false, false],
    ['node_modules', true, false],
    ['data', true, false],
    ['README.md', false, false],
    ['.git', true, false],
    ['sources.yml', true, false],
    ['models', false, false],
  ];
  it.each(cases)('%s (directory: %s) -> %s', (rel, isDir, expected) => {
    expect(isWatchedPath(rel, isDir)).toBe(expected);
  });

  const folders = { modelPaths: ['src/models', 'more'], macroPaths: ['src/macros'] };
  const custom: [string, boolean | undefined, boolean][] = [
    ['src', true, true],
    ['src', undefined, true],
    ['src/models/a.sql', false, true],
    ['src/models/x/p.yml', false, true],
    ['src/macros/m.sql', false, true],
    ['src/macros/m.yml', false, false],
    ['src/other/a.sql', false, false],
    ['src/other', true, false],
    ['more/b.sql', false, true],
    ['models/a.sql', false, false],
    ['macros', true, false],
    ['dbt_project.yml', false, true],
  ];
  it.each(custom)('with model-paths src/models and more: %s (directory: %s) -> %s', (rel, isDir, expected) => {
    expect(isWatchedPath(rel, isDir, folders)).toBe(expected);
  });
});
