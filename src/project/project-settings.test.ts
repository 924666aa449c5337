import { describe, expect, it } from 'vitest';
import type { SparkifyError } from '../errors.js';
import { foldersUnder, mergeConfigs, readProjectSettings, treeConfig, unusedConfigPaths, varsFor } from './project-settings.js';

const dbt = (text: string) => ({ path: 'dbt_project.yml', file: '/p/dbt_project.yml', text });
const read = (text: string) => {
  const errors: SparkifyError[] = [];
  const settings = readProjectSettings({ dbt: dbt(text) }, errors);
  return { settings, errors };
};

// jaffle_shop's dbt_project.yml, as published by dbt-labs
const JAFFLE = `name: 'jaffle_shop'
config-version: 2
version: '0.1'
profile: 'jaffle_shop'
model-paths: ["models"]
seed-paths: ["seeds"]
test-paths: ["tests"]
analysis-paths: ["analysis"]
macro-paths: ["macros"]
target-path: "target"
clean-targets:
    - "target"
    - "dbt_modules"
    - "logs"
require-dbt-version: [">=1.0.0", "<2.0.0"]
models:
  jaffle_shop:
      materialized: table
      staging:
        materialized: view
`;

describe('readProjectSettings', () => {
  it("reads jaffle_shop's file: name, paths, the models tree; profile and require-dbt-version are noted for debug only", () => {
    const { settings, errors } = read(JAFFLE);
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({
      name: 'jaffle_shop',
      fileName: 'dbt_project.yml',
      modelPaths: ['models'],
      seedPaths: ['seeds'],
      testPaths: ['tests'],
      analysisPaths: ['analysis'],
      macroPaths: ['macros'],
      snapshotPaths: ['snapshots'],
      targetPath: 'target',
      cleanTargets: ['target', 'dbt_modules', 'logs'],
      packagesInstallPath: 'dbt_packages',
    });
    expect(settings.notes.filter((n) => n.quiet).map((n) => [n.message.split(':')[0], n.line])).toEqual([
      ['config-version', 2],
      ['version', 3],
      ['profile', 4],
      ['require-dbt-version', 15],
    ]);
    expect(settings.notes.filter((n) => !n.quiet)).toEqual([]);
    expect(treeConfig(settings.models, ['jaffle_shop', 'customers'])).toEqual({ materialized: 'table' });
    expect(treeConfig(settings.models, ['jaffle_shop', 'staging', 'stg_orders'])).toEqual({ materialized: 'view' });
  });

  it("dbt's defaults without a project file", () => {
    const settings = readProjectSettings({}, []);
    expect(settings.fileName).toBeUndefined();
    expect(settings).toMatchObject({ name: 'sparkify', modelPaths: ['models'], seedPaths: ['seeds'], testPaths: ['tests'], macroPaths: ['macros'], snapshotPaths: ['snapshots'], analysisPaths: ['analyses'], packagesInstallPath: 'dbt_packages', vars: {} });
  });

  it('keeps vars as written: global keys and the maps of a package', () => {
    const { settings } = read('name: shop\nvars:\n  start: 2018-11-01\n  dbt_utils:\n    surrogate_key_treat_nulls_as_empty_strings: true\n  shop:\n    start: 2019-01-01\n');
    expect(settings.vars).toEqual({ start: '2018-11-01', dbt_utils: { surrogate_key_treat_nulls_as_empty_strings: true }, shop: { start: '2019-01-01' } });
    expect(varsFor(settings, 'shop')).toMatchObject({ start: '2019-01-01' });
    expect(varsFor(settings, 'dbt_utils')).toMatchObject({ start: '2018-11-01', surrogate_key_treat_nulls_as_empty_strings: true });
  });

  it('reads packages-install-path and every path list, a single string as a list of one', () => {
    const { settings, errors } = read('name: p\nmodel-paths: ["src/models", "more/"]\nseed-paths: data\nsnapshot-paths: [snaps]\npackages-install-path: vendor/packages\n');
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({ modelPaths: ['src/models', 'more'], seedPaths: ['data'], snapshotPaths: ['snaps'], packagesInstallPath: 'vendor/packages' });
  });

  it.each([
    ['model-paths: [/etc]', /model-paths: must be a list of folders inside the project/, 1],
    ['name: p\nseed-paths: ["../x"]', /seed-paths: must be a list of folders inside the project/, 2],
    ['name: p\nmacro-paths: []', /macro-paths: must be a list/, 2],
    ['name: p\npackages-install-path: ../up', /packages-install-path: must be a folder inside the project/, 2],
    ['name: my-project', /name: must be a name of letters, digits and _/, 1],
    ['name: p\nmodles: {}', /unknown key 'modles' in dbt_project.yml/, 2],
    ['name: p\nvars: [1, 2]', /vars: must be a mapping/, 2],
    ['name: p\nmodels: [a]', /models: must be a mapping/, 2],
  ])('locates a bad key: %s', (text, message, line) => {
    const { errors } = read(text);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(message);
    expect(errors[0]).toMatchObject({ file: '/p/dbt_project.yml', line });
  });

  it('notes the keys of dbt it does not support, at their lines', () => {
    const { settings, errors } = read('name: p\non-run-start: ["select 1"]\nquoting:\n  identifier: true\n');
    expect(errors).toEqual([]);
    expect(settings.notes.map((n) => [n.message, n.line, n.quiet])).toEqual([
      ['on-run-start: not supported by sparkify, so it has no effect', 2, undefined],
      ['quoting: not supported by sparkify, so it has no effect', 3, undefined],
    ]);
  });

  it('sparkify.yml wins over dbt_project.yml, which is noted as not read', () => {
    const errors: SparkifyError[] = [];
    const s = readProjectSettings({ sparkify: { path: 'sparkify.yml', file: '/p/sparkify.yml', text: 'name: mine\n' }, dbt: dbt('name: theirs\n') }, errors);
    expect(s.name).toBe('mine');
    expect(s.fileName).toBe('sparkify.yml');
    expect(s.notes[0]).toMatchObject({ file: '/p/dbt_project.yml', message: expect.stringMatching(/dbt_project.yml is not read: sparkify.yml is there too/) });
  });
});

describe("config trees (dbt's rules)", () => {
  const tree = (yml: string) => read(`name: shop\nmodels:\n${yml}`).settings.models;
  const cases: [string, string, string[], Record<string, unknown>][] = [
    ['the root level applies to every model', '  +materialized: view\n', ['shop', 'a'], { materialized: 'view' }],
    ['a folder level', '  shop:\n    marts:\n      +materialized: view\n', ['shop', 'marts', 'a'], { materialized: 'view' }],
    ['a folder level does not apply outside it', '  shop:\n    marts:\n      +materialized: view\n', ['shop', 'staging', 'a'], {}],
    ['folders directly under models: are packages, not folders', '  marts:\n    +materialized: view\n', ['shop', 'marts', 'a'], {}],
    ['a key without + whose value is not a mapping is a config', '  shop:\n    schema: s\n    marts:\n      enabled: false\n', ['shop', 'marts', 'a'], { schema: 's', enabled: false }],
    ['a key with + whose value is a mapping is a config', '  shop:\n    +meta: {owner: ana}\n', ['shop', 'a'], { meta: { owner: 'ana' } }],
    ['the most specific level replaces other keys', '  +materialized: view\n  shop:\n    +materialized: table\n    marts:\n      +materialized: incremental\n', ['shop', 'marts', 'a'], { materialized: 'incremental' }],
    ['tags are additive, each kept once', '  +tags: [all]\n  shop:\n    +tags: nightly\n    marts:\n      +tags: [all, marts]\n', ['shop', 'marts', 'a'], { tags: ['all', 'nightly', 'marts'] }],
    ['meta is merged key by key', '  shop:\n    +meta: {owner: ana, tier: 1}\n    marts:\n      +meta: {tier: 2}\n', ['shop', 'marts', 'a'], { meta: { owner: 'ana', tier: 2 } }],
    ['a model can be a level of its own', '  shop:\n    marts:\n      a:\n        +enabled: false\n', ['shop', 'marts', 'a'], { enabled: false }],
    ['the search stops at the first part of the fqn the tree lacks', '  shop:\n    x:\n      marts:\n        +enabled: false\n', ['shop', 'marts', 'a'], {}],
    ['a folder named like a config is a folder when it holds a mapping', '  shop:\n    tags:\n      +materialized: view\n', ['shop', 'tags', 'a'], { materialized: 'view' }],
  ];
  it.each(cases)('%s', (_name, yml, fqn, expected) => {
    expect(treeConfig(tree(yml), fqn)).toEqual(expected);
  });

  it('config() in the model is merged last: it wins, and its tags add to the project file', () => {
    const fromProject = treeConfig(tree('  shop:\n    +materialized: view\n    +tags: [a]\n    +schema: x\n'), ['shop', 'm']);
    const fromYml = { tags: ['b'], schema: 'y' };
    const inModel = { materialized: 'table', tags: ['c', 'a'] };
    expect(mergeConfigs([{ materialized: 'view', tags: [] }, fromProject, fromYml, inModel])).toEqual({ materialized: 'table', tags: ['a', 'b', 'c'], schema: 'y' });
  });

  it('lists the config paths that match no node, at their lines', () => {
    const t = tree('  +tags: [all]\n  shop:\n    marts:\n      +materialized: view\n    stagin:\n      +materialized: view\n');
    expect(unusedConfigPaths(t, [['shop', 'marts', 'a'], ['shop', 'staging', 'b']]).map((l) => [l.path.join('.'), l.line])).toEqual([['shop.stagin', 7]]);
  });

  it('reads seeds:, tests: and snapshots: trees the same way', () => {
    const s = read('name: shop\nseeds:\n  shop:\n    +column_types: {id: bigint}\ntests:\n  +severity: warn\nsnapshots:\n  shop:\n    +tags: [hist]\n').settings;
    expect(treeConfig(s.seeds, ['shop', 'raw_orders'])).toEqual({ column_types: { id: 'bigint' } });
    expect(treeConfig(s.tests, ['shop', 'unique_x'])).toEqual({ severity: 'warn' });
    expect(treeConfig(s.snapshots, ['shop', 'h'])).toEqual({ tags: ['hist'] });
  });
});

describe('foldersUnder', () => {
  it.each([
    [['models'], 'models/staging/a.sql', ['staging']],
    [['models'], 'models/a.sql', []],
    [['src/models', 'models'], 'src/models/x/y/a.sql', ['x', 'y']],
    [['models'], 'sources.yml', []],
    [['models'], 'seeds/a.csv', []],
    [['.'], 'x/a.sql', ['x']],
  ])('%j %s -> %j', (roots, file, expected) => {
    expect(foldersUnder(roots, file)).toEqual(expected);
  });
});
