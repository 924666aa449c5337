import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, HAS_SHARED_DATA, REPO_ROOT, SHARED_DATA_SKIP_REASON, copyFixtureProject, removeDir, runCli, sharedDataCfg, tempDir } from '../helpers/project.js';
import { PUBLISHED_COUNTS } from '../helpers/published-data.js';

/**
 * The generated docs site of the fixture warehouse (test/fixtures/warehouse) in a real browser: Debian's Chromium, driven by
 * playwright-core (never a downloaded browser), opened from file:// and from `sparkify docs serve`.
 */

const CHROMIUM = '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
if (!HAS_CHROMIUM) console.warn(`skipping the docs site browser tests: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`);
if (!HAS_SHARED_DATA) console.warn(`skipping the docs site browser tests: ${SHARED_DATA_SKIP_REASON}`);

/** where the test leaves its screenshot (the README shows a copy: docs/lineage.png) */
export const SCREENSHOT = path.join(REPO_ROOT, 'target', 'docs-site', 'lineage.png');

// the 7 tables of the warehouse and the users_history snapshot
const NODES = [
  'source.sparkify.staging_events',
  'source.sparkify.staging_songs',
  'model.songplays',
  'model.users',
  'model.songs',
  'model.artists',
  'model.time',
  'snapshot.users_history',
];
const EDGES = [
  'source.sparkify.staging_events -> model.songplays',
  'source.sparkify.staging_events -> model.users',
  'source.sparkify.staging_songs -> model.artists',
  'source.sparkify.staging_songs -> model.songplays',
  'source.sparkify.staging_songs -> model.songs',
  'model.songplays -> model.time',
  'model.users -> snapshot.users_history',
];

describe.skipIf(!HAS_CHROMIUM || !HAS_SHARED_DATA)('the docs site of the fixture warehouse in Chromium', () => {
  let dir: string;
  let profile: string;
  let browser: BrowserContext;
  let server: ChildProcess | undefined;
  let serverOut = '';
  let serverExit: Promise<number | null>;
  let servedUrl = '';

  beforeAll(async () => {
    dir = copyFixtureProject(sharedDataCfg());
    const built = runCli(['build', '--project-dir', dir]);
    expect(built.code, built.stderr + built.stdout).toBe(0);
    const docs = runCli(['docs', 'generate', '--project-dir', dir]);
    expect(docs.code, docs.stderr + docs.stdout).toBe(0);
    expect(docs.stdout).toMatch(/column lineage of 40 columns \(36 traced, 4 untraceable\)/);

    profile = tempDir('sparkify-chromium-');
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      chromiumSandbox: false, // root in CI: --no-sandbox
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });

    server = spawn(process.execPath, [BIN, 'docs', 'serve', '--port', '0', '--project-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    serverExit = new Promise((resolve) => server!.on('exit', (code) => resolve(code)));
    servedUrl = await new Promise<string>((resolve, reject) => {
      const onData = (b: Buffer) => {
        serverOut += b.toString();
        const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(serverOut);
        if (m) resolve(m[1]!);
      };
      server!.stdout!.on('data', onData);
      server!.stderr!.on('data', onData);
      void serverExit.then((code) => reject(new Error(`docs serve exited with ${code}: ${serverOut}`)));
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (dir) removeDir(dir);
    if (profile) removeDir(profile);
  });

  /** opens the site; every request is recorded and anything but the site itself is refused */
  async function open(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.route('**/*', (route) => {
      const u = route.request().url();
      requests.push(u);
      return u.startsWith(url.replace(/index\.html$/, '')) ? route.continue() : route.abort();
    });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, requests, errors };
  }

  const edgesOf = (page: Page) =>
    page.$$eval('#graph path.edge', (els) => els.map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')}`).sort());
  const nodesOf = (page: Page) => page.$$eval('#graph g.node', (els) => els.map((e) => e.getAttribute('data-id')!).sort());
  const classOf = (page: Page, id: string) => page.$eval(`#graph g.node[data-id="${id}"]`, (e) => e.getAttribute('class')!.split(' ').sort().join(' '));

  async function checkSite(url: string, screenshot?: string) {
    const { page, requests, errors } = await open(url);
    const base = url.replace(/index\.html$/, '');
    // no network: every request is for the site's own files
    expect(
      requests.every((r) => r.startsWith(base)),
      requests.join('\n'),
    ).toBe(true);
    expect(requests.map((r) => r.slice(base.length)).sort()).toEqual(expect.arrayContaining(['app.js', 'data.js', 'site.css']));

    // all 8 nodes and their 7 edges are drawn, each edge a real path
    expect(await nodesOf(page)).toEqual([...NODES].sort());
    expect(await edgesOf(page)).toEqual([...EDGES].sort());
    const labels = await page.$$eval('#graph g.node text.label', (els) => els.map((e) => e.textContent).sort());
    expect(labels).toEqual(['artists', 'songplays', 'songs', 'sparkify.staging_events', 'sparkify.staging_songs', 'time', 'users', 'users_history']);
    const lengths = await page.$$eval('#graph path.edge', (els) => els.map((e) => (e as SVGPathElement).getTotalLength()));
    expect(lengths.every((l) => l > 20)).toBe(true);

    // clicking songplays highlights its two sources upstream and time downstream
    await page.click('#graph g.node[data-id="model.songplays"]');
    await page.waitForSelector('#page[data-id="model.songplays"]');
    expect(await classOf(page, 'model.songplays')).toBe('model node selected');
    expect(await classOf(page, 'source.sparkify.staging_events')).toBe('node source upstream');
    expect(await classOf(page, 'source.sparkify.staging_songs')).toBe('node source upstream');
    expect(await classOf(page, 'model.time')).toBe('downstream model node');
    for (const other of ['model.users', 'model.songs', 'model.artists']) expect(await classOf(page, other)).toBe('dimmed model node');
    expect(await classOf(page, 'snapshot.users_history')).toBe('dimmed node snapshot');
    expect(await page.$$eval('#graph path.edge.upstream', (els) => els.length)).toBe(2);
    expect(await page.$$eval('#graph path.edge.downstream', (els) => els.length)).toBe(1);
    if (screenshot) {
      mkdirSync(path.dirname(screenshot), { recursive: true });
      await page.screenshot({ path: screenshot, fullPage: false });
    }

    // the node page: row count from the catalog, the last run, columns with types, tests and lineage
    const rows = PUBLISHED_COUNTS.find(([n]) => n === 'songplays')![1];
    expect(await page.textContent('#row-count b')).toBe(rows.toLocaleString('en-US'));
    expect(await page.textContent('#last-run')).toMatch(new RegExp(`success.*last run: \\d+\\.\\d\\d s, ${rows.toLocaleString('en-US')} rows`));
    expect(await page.textContent('#page .description')).toMatch(/One row for every NextSong event/);
    const startTime = await page.textContent('#columns tr[data-column="start_time"] .lineage');
    expect(startTime).toMatch(/^derived ← sparkify\.staging_events\.ts/);
    expect(await page.textContent('#columns tr[data-column="start_time"] td:nth-child(2)')).toMatch(/TIMESTAMP/i);
    expect((await page.$$eval('#columns tr[data-column="songplay_id"] td:nth-child(4) a.badge', (els) => els.map((e) => e.textContent))).sort()).toEqual([
      'not_null',
      'unique',
    ]);
    expect(await page.textContent('#columns tr[data-column="song_id"] .lineage')).toMatch(/direct ← sparkify\.staging_songs\.song_id/);
    expect(await page.textContent('#page')).toMatch(/\{\{ source\('sparkify', 'staging_events'\) \}\}/); // the template
    expect(await page.textContent('#page')).toMatch(/from "main"\."staging_events"/); // the compiled SQL

    // following the lineage link leads to the source, which says what uses its column
    await page.click('#columns tr[data-column="start_time"] .lineage a[data-node="source.sparkify.staging_events"]');
    await page.waitForSelector('#page[data-id="source.sparkify.staging_events"]');
    expect(await page.textContent('#columns tr[data-column="ts"] .lineage')).toMatch(/used by .*songplays\.start_time/);
    expect(await classOf(page, 'model.time')).toBe('downstream model node');

    // search finds users by a column name
    await page.fill('#search', 'first_name');
    expect(await page.$$eval('#sidebar ul[data-group="model"] li', (els) => els.map((e) => e.getAttribute('data-id')))).toEqual(['model.users']);
    expect(await page.textContent('#sidebar ul[data-group="model"] li')).toMatch(/column first_name/);
    expect(await page.$$eval('#sidebar ul[data-group="source"] li', (els) => els.length)).toBe(0);
    await page.fill('#search', '');
    const testCount = Object.keys(JSON.parse(readFileSync(path.join(dir, 'target', 'manifest.json'), 'utf8')).nodes).filter((id) => id.startsWith('test.')).length;
    expect(testCount).toBeGreaterThanOrEqual(18);
    expect(await page.$$eval('#sidebar ul[data-group="test"] li', (els) => els.length)).toBe(testCount);

    // the selector box: the CLI's grammar, evaluated by the CLI's own code
    await page.fill('#selector', '+songplays');
    await page.click('#selector-form button[type="submit"]');
    expect(await nodesOf(page)).toEqual(['model.songplays', 'source.sparkify.staging_events', 'source.sparkify.staging_songs']);
    expect(await edgesOf(page)).toEqual(['source.sparkify.staging_events -> model.songplays', 'source.sparkify.staging_songs -> model.songplays']);
    await page.fill('#selector', 'tag:fact');
    await page.press('#selector', 'Enter');
    expect(await nodesOf(page)).toEqual(['model.songplays']);
    await page.fill('#selector', 'songplays+ source:sparkify.staging_songs');
    await page.press('#selector', 'Enter');
    expect(await nodesOf(page)).toEqual(['model.songplays', 'model.time', 'source.sparkify.staging_songs']);
    await page.fill('#selector', 'songplay');
    await page.press('#selector', 'Enter');
    expect(await page.textContent('#selector-error')).toMatch(/songplay.*matches no nodes[\s\S]*did you mean 'songplays'/);
    expect(await nodesOf(page)).toEqual(['model.songplays', 'model.time', 'source.sparkify.staging_songs']); // unchanged
    await page.click('#selector-clear');
    expect(await nodesOf(page)).toEqual([...NODES].sort());

    // a test's page shows its compiled query
    await page.goto(`${base}${url.endsWith('index.html') ? 'index.html' : ''}#!/node/test.unique_songplays_songplay_id`);
    await page.waitForSelector('#page[data-id="test.unique_songplays_songplay_id"]');
    expect(await page.textContent('#page pre.sql')).toMatch(/GROUP BY "songplay_id"\s+HAVING COUNT\(\*\) > 1/);

    expect(errors).toEqual([]);
    await page.close();
  }

  it('from file://, with no network', async () => {
    await checkSite(pathToFileURL(path.join(dir, 'target', 'docs', 'index.html')).href, SCREENSHOT);
    expect(readFileSync(SCREENSHOT).subarray(1, 4).toString()).toBe('PNG');
  });

  it('from sparkify docs serve on 127.0.0.1, which stops on Ctrl-C', async () => {
    expect(servedUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await checkSite(servedUrl);
    // only the site's own folder is served
    const outside = await fetch(new URL('/../catalog.json', servedUrl));
    expect(outside.status).toBe(404);
    const encoded = await fetch(`${servedUrl}%2e%2e/manifest.json`);
    expect(encoded.status).toBe(404);
    server!.kill('SIGINT');
    expect(await serverExit).toBe(0);
    expect(serverOut).toMatch(/Stopped serving the docs \(SIGINT\)/);
    await expect(fetch(servedUrl)).rejects.toThrow();
  });
});
