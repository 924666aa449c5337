import { describe, expect, it } from 'vitest';
import { SelectionError } from '../errors.js';
import { sparkifyManifest } from './fixture.test-helper.js';
import { globToRegExp } from './parse-selector.js';
import { selectNodes } from './select-nodes.js';

const manifest = sparkifyManifest();
const short = (id: string): string => id.replace(/^model\.|^source\.sparkify\./, '');
const names = (select?: string[], exclude?: string[]): string[] => selectNodes(manifest, select, exclude).map(short).sort();

const ALL = manifest.order.map(short).sort();
const SOURCES = ['staging_events', 'staging_songs'];
const MODELS = ALL.filter((n) => !SOURCES.includes(n));

describe('selectNodes', () => {
  const cases: [string[] | undefined, string[] | undefined, string[]][] = [
    [undefined, undefined, ALL],
    [[], [], ALL],
    [['songplays'], undefined, ['songplays']],
    [['fqn:songplays'], undefined, ['songplays']],
    // union
    [['users songs'], undefined, ['songs', 'users']],
    [['users', 'songs'], undefined, ['songs', 'users']],
    [['users', 'users'], undefined, ['users']],
    // ancestors and descendants, with depth limits
    [['+songplays'], undefined, ['songplays', ...SOURCES]],
    [['+time'], undefined, ['songplays', ...SOURCES, 'time']],
    [['1+time'], undefined, ['songplays', 'time']],
    [['0+time'], undefined, ['time']],
    [['1+daily_plays'], undefined, ['daily_plays', 'songplays', 'users']],
    [['2+daily_plays'], undefined, ['daily_plays', 'songplays', ...SOURCES, 'users']],
    [['songplays+'], undefined, ['daily_plays', 'songplays', 'time']],
    [['source:sparkify.staging_events+1'], undefined, ['songplays', 'staging_events', 'stg_a', 'users']],
    [['source:sparkify.staging_events+'], undefined, ['daily_plays', 'songplays', 'staging_events', 'stg_a', 'stg_b', 'time', 'users']],
    [['+users+'], undefined, ['daily_plays', 'staging_events', 'users']],
    [['1+songplays+1'], undefined, ['daily_plays', 'songplays', ...SOURCES, 'time']],
    // @: the node, its descendants and every ancestor of those
    [['@users'], undefined, ['daily_plays', 'songplays', ...SOURCES, 'users']],
    [['@stg_a'], undefined, ['staging_events', 'stg_a', 'stg_b']],
    [['@time'], undefined, ['songplays', ...SOURCES, 'time']],
    [['@artists'], undefined, ['artists', 'staging_songs']],
    // dbt allows '@' with a '+' prefix (it adds nothing); sparkify also reads '+@x' that way
    [['@+stg_a'], undefined, ['staging_events', 'stg_a', 'stg_b']],
    [['+@stg_a'], undefined, ['staging_events', 'stg_a', 'stg_b']],
    [['@1+stg_b'], undefined, ['staging_events', 'stg_a', 'stg_b']],
    // dbt's fqn method: project name, folders, dotted paths; sources are never selected by fqn
    [['sparkify'], undefined, MODELS],
    [['star'], undefined, ['artists', 'songplays', 'songs', 'time', 'users']],
    [['staging'], undefined, ['stg_a', 'stg_b']],
    [['staging.stg_a'], undefined, ['stg_a']],
    [['sparkify.staging.stg_a'], undefined, ['stg_a']],
    [['sparkify.marts'], undefined, ['daily_plays']],
    // a wildcard matches the rest of the dotted fqn (with or without the project name)
    [['staging.stg_*'], undefined, ['stg_a', 'stg_b']],
    [['*stg_*'], undefined, ['stg_a', 'stg_b']],
    [['*.stg_?'], undefined, ['stg_a', 'stg_b']],
    [['staging.stg_[a]'], undefined, ['stg_a']],
    [['staging.stg_[!a]'], undefined, ['stg_b']],
    [['staging.stg_[a-z]+'], undefined, ['stg_a', 'stg_b']],
    [['*songs'], undefined, ['songs']],
    [['sparkify.*'], undefined, MODELS],
    [['sparkify.st*'], undefined, MODELS.filter((n) => n !== 'daily_plays')],
    [['*'], undefined, MODELS],
    // source:
    [['source:sparkify'], undefined, SOURCES],
    [['source:sparkify.staging_songs'], undefined, ['staging_songs']],
    [['source:sparkify.*'], undefined, SOURCES],
    [['source:*.staging_e*'], undefined, ['staging_events']],
    [['source:sparkify.staging_songs+'], undefined, ['artists', 'daily_plays', 'songplays', 'songs', 'staging_songs', 'time']],
    // tag:
    [['tag:dimension'], undefined, ['artists', 'songs', 'time', 'users']],
    [['tag:night*'], undefined, ['daily_plays', 'songplays']],
    [['tag:raw'], undefined, SOURCES],
    // config.<key>:
    [['config.materialized:view'], undefined, ['stg_a', 'stg_b', 'users']],
    [['config.materialized:table'], undefined, ['artists', 'daily_plays', 'songs', 'time']],
    [['config.materialized:incremental'], undefined, ['songplays']],
    [['config.materialized:copy'], undefined, SOURCES],
    [['config.schema:analytics'], undefined, ['daily_plays']],
    [['config.tags:marts'], undefined, ['daily_plays']],
    [['config.full_refresh:false'], undefined, ['songplays']],
    [['config.full_refresh:False'], undefined, ['songplays']],
    [['config.enabled:true'], undefined, ALL.filter((n) => !SOURCES.includes(n))],
    // resource_type:
    [['resource_type:source'], undefined, SOURCES],
    [['resource_type:model'], undefined, ALL.filter((n) => !SOURCES.includes(n))],
    // path: (folder prefix by whole components, exact files, globs)
    [['path:models/marts'], undefined, ['daily_plays']],
    [['path:models/marts/'], undefined, ['daily_plays']],
    [['path:./models/marts'], undefined, ['daily_plays']],
    [['models/marts'], undefined, ['daily_plays']],
    [['path:models\\marts'], undefined, ['daily_plays']],
    [['path:models/staging'], undefined, [...SOURCES, 'stg_a', 'stg_b']],
    [['path:models/star/songs.sql'], undefined, ['songs']],
    [['models/staging/stg_a.sql'], undefined, ['stg_a']],
    [['path:models/*/stg_*'], undefined, ['stg_a', 'stg_b']],
    [['path:models/**/daily_plays.sql'], undefined, ['daily_plays']],
    [['path:**/daily_plays.sql'], undefined, ['daily_plays']],
    [['path:models/st*'], undefined, ALL.filter((n) => n !== 'daily_plays')],
    [['path:models'], undefined, ALL],
    [['path:models/star+'], undefined, ['artists', 'daily_plays', 'songplays', 'songs', 'time', 'users']],
    // file:
    [['file:users.sql'], undefined, ['users']],
    [['users.sql'], undefined, ['users']],
    [['file:stg_a'], undefined, ['stg_a']],
    [['file:sources.yml'], undefined, SOURCES],
    // intersection
    [['tag:dimension,config.materialized:view'], undefined, ['users']],
    [['tag:nightly,songplays+'], undefined, ['daily_plays', 'songplays']],
    [['+daily_plays,resource_type:source'], undefined, SOURCES],
    [['+time,+daily_plays,resource_type:model'], undefined, ['songplays']],
    // union of intersections
    [['tag:staging tag:nightly,config.materialized:table'], undefined, ['daily_plays', 'stg_a', 'stg_b']],
    [['tag:staging', 'tag:nightly,config.materialized:table'], undefined, ['daily_plays', 'stg_a', 'stg_b']],
    // exclude
    [undefined, ['tag:dimension'], ['daily_plays', 'songplays', ...SOURCES, 'stg_a', 'stg_b']],
    [['source:sparkify.staging_events+'], ['stg_a+'], ['daily_plays', 'songplays', 'staging_events', 'time', 'users']],
    [['+daily_plays'], ['+songplays'], ['daily_plays', 'users']],
    [undefined, ['resource_type:source tag:staging'], ['artists', 'daily_plays', 'songplays', 'songs', 'time', 'users']],
    [undefined, ['resource_type:source', 'tag:staging'], ['artists', 'daily_plays', 'songplays', 'songs', 'time', 'users']],
    [undefined, ['tag:dimension,config.materialized:view'], ALL.filter((n) => n !== 'users')],
    [['tag:dimension'], ['does_not_exist', 'tag:nope'], ['artists', 'songs', 'time', 'users']],
    [['tag:dimension'], ['tag:fact,tag:dimension'], ['artists', 'songs', 'time', 'users']],
    // package: every node of the project
    [['package:sparkify'], undefined, ALL],
    [['package:this'], undefined, ALL],
    [['package:spark*,resource_type:source'], undefined, SOURCES],
    // three-part source: package.source.table
    [['source:sparkify.sparkify.staging_songs'], undefined, ['staging_songs']],
    [['source:*.*.staging_*'], undefined, SOURCES],
    // path: by the property file that patches a model
    [['path:models/star/schema.yml'], undefined, ['users']],
    [['path:models/star/*.yml'], undefined, ['users']],
    // nested config keys
    [['config.meta.owner:ana'], undefined, ['songs']],
  ];
  it.each(cases)('select %j exclude %j', (select, exclude, expected) => {
    expect(names(select, exclude)).toEqual([...expected].sort());
  });

  it('returns ids in manifest.order', () => {
    expect(selectNodes(manifest, ['daily_plays +songplays'], undefined)).toEqual([
      'source.sparkify.staging_events',
      'source.sparkify.staging_songs',
      'model.songplays',
      'model.daily_plays',
    ]);
    expect(selectNodes(manifest, undefined, undefined)).toEqual(manifest.order);
  });
});

describe('selectNodes errors', () => {
  const cases: [string[], string[] | undefined, number, string, string | RegExp][] = [
    [['usres'], undefined, 1, "--select selector 'usres' matches no nodes", "did you mean 'users'?"],
    [['users tag:nighty'], undefined, 7, "'tag:nighty' matches no nodes", "did you mean 'nightly'?"],
    [['songplays,tag:xyz'], undefined, 11, "'tag:xyz' matches no nodes", /^known tags: dimension, fact, marts, nightly, raw, staging$/],
    [['+time', '2+sngs+'], undefined, 1, "'2+sngs+' matches no nodes", "did you mean 'songs'?"],
    [['path:models/mart'], undefined, 1, "'path:models/mart' matches no nodes", "did you mean 'models/marts'?"],
    [['source:sparkfy'], undefined, 1, "'source:sparkfy' matches no nodes", "did you mean 'sparkify'?"],
    [['source:sparkify.staging_event'], undefined, 1, 'matches no nodes', "did you mean 'sparkify.staging_events'?"],
    [['config.materialized:tabel'], undefined, 1, 'matches no nodes', "did you mean 'table'?"],
    [['config.materialised:view'], undefined, 1, 'matches no nodes', /^did you mean 'materialized'\? config keys: /],
    [['file:user.sql'], undefined, 1, 'matches no nodes', "did you mean 'users.sql'?"],
    [['zzz_*'], undefined, 1, "'zzz_*' matches no nodes", /^known nodes: /],
    [['tag:dimension'], ['a,,b'], 3, 'Invalid --exclude selector: empty selector between commas', /valid selectors/],
    [['tag:'], undefined, 5, "Invalid --select selector: 'tag:' needs a value", /valid selectors/],
    // dbt: a bare source table name selects nothing (sources only by source:)
    [['staging_events'], undefined, 1, "'staging_events' matches no nodes", /names a source table.*use source:sparkify\.staging_events$/],
    [['users sparkify.staging_songs+'], undefined, 7, 'matches no nodes', /use source:sparkify\.staging_songs$/],
    // dbt: a leading-literal pattern matches the fqn from its start
    [['stg_*'], undefined, 1, "'stg_*' matches no nodes", /matches the dotted fqn from its start.*'\*stg_\*'.*stg_a, stg_b/],
    // issue 18: a table of that source, not the source name
    [['source:sparkify.nope'], undefined, 1, "'source:sparkify.nope' matches no nodes", "tables of source 'sparkify': sparkify.staging_events, sparkify.staging_songs"],
    [['source:sparkify.sparkify.staging_evnts'], undefined, 1, 'matches no nodes', "did you mean 'sparkify.sparkify.staging_events'?"],
    // an empty intersection names its parts
    [['tag:fact,tag:dimension'], undefined, 1, "--select 'tag:fact,tag:dimension' selects nothing: no node is in every part of the intersection (tag:fact selects 1 node (songplays); tag:dimension selects 4 nodes (artists, songs, time, users))", /a comma intersects/],
    [['users', 'tag:raw,tag:fact'], undefined, 1, "'tag:raw,tag:fact' selects nothing", /a comma intersects/],
  ];
  it.each(cases)('select %j exclude %j', (select, exclude, column, message, hint) => {
    let err: unknown;
    try {
      selectNodes(manifest, select, exclude);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectionError);
    const e = err as SelectionError;
    expect(e.column).toBe(column);
    expect(e.message).toContain(message);
    expect(e.hint).toMatch(hint);
    const arg = [...select, ...(exclude ?? [])].find((a) => e.message.includes(`\n  ${a}\n`))!;
    expect(e.message).toContain(`\n  ${arg}\n  ${' '.repeat(column - 1)}^`);
  });

  it('is an error when --exclude removes everything --select chose, naming both', () => {
    expect(() => selectNodes(manifest, ['users'], ['users'])).toThrow(
      expect.objectContaining({
        message: "--exclude 'users' removes every node that --select 'users' selects: nothing is left to run",
        hint: '--select chose 1 node (users); narrow the --exclude or widen the --select',
      }),
    );
    expect(() => selectNodes(manifest, undefined, ['package:sparkify'])).toThrow(/--exclude 'package:sparkify' removes every node of the project/);
  });

  it('warns about an --exclude part that matches nothing, with a suggestion', () => {
    const warnings: string[] = [];
    const ids = selectNodes(manifest, ['tag:dimension'], ['usres', 'tag:fact,tag:dimension'], { onWarning: (w) => warnings.push(w) });
    expect(ids.map(short).sort()).toEqual(['artists', 'songs', 'time', 'users']);
    expect(warnings).toEqual([
      "--exclude selector 'usres' matches no nodes, so it excludes nothing; did you mean 'users'?",
      expect.stringMatching(/^--exclude 'tag:fact,tag:dimension' selects nothing: .*; it excludes nothing$/),
    ]);
  });

  it('reports a missing resource type', () => {
    const m = sparkifyManifest();
    m.order = m.order.filter((id) => !id.startsWith('source.'));
    expect(() => selectNodes(m, ['resource_type:source'], undefined)).toThrow(
      expect.objectContaining({ column: 1, hint: 'the project has no source nodes' }),
    );
  });
});

describe('globToRegExp', () => {
  const cases: [string, boolean, string, boolean][] = [
    ['stg_*', false, 'stg_a', true],
    ['stg_*', false, 'xstg_a', false],
    ['a.b', false, 'axb', false],
    ['a?c', false, 'abc', true],
    ['[abc]x', false, 'bx', true],
    ['[!abc]x', false, 'bx', false],
    ['[]]', false, ']', true],
    ['[unclosed', false, '[unclosed', true],
    ['(x)|y', false, '(x)|y', true],
    ['m/*', false, 'm/a/b', true],
    ['m/*', true, 'm/a/b', false],
    ['m/**/b', true, 'm/b', true],
    ['m/**/b', true, 'm/x/y/b', true],
    ['m/?', true, 'm//', false],
  ];
  it.each(cases)('%s (path %s) on %s -> %s', (glob, pathMode, text, expected) => {
    expect(globToRegExp(glob, pathMode).test(text)).toBe(expected);
  });
});
