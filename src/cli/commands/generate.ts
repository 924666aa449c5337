import path from 'node:path';
import { generateData, prepareOutDir } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { numberIn, wholeNumber, type GlobalArgs } from '../options.js';

type GenerateArgs = GlobalArgs & { out: string; force: boolean; events: number; songs: number; seed: number; 'match-rate': number };

export const generateCliCommand = defineCommand<GenerateArgs>({
  names: ['generate'],
  describe: 'write realistic Sparkify data in the S3 bucket layout (log_data/, song_data/, log_json_path.json)',
  options: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, requiresArg: true, describe: 'output folder (relative to --project-dir); must be empty or new' })
      .option('force', { type: 'boolean', default: false, describe: 'clear a non-empty --out folder first' })
      .option('events', { requiresArg: true, default: 3000, coerce: wholeNumber('events', 0), describe: 'log events to write, a whole number >= 0' })
      .option('songs', { requiresArg: true, default: 120, coerce: wholeNumber('songs', 0), describe: 'song files to write, a whole number >= 0' })
      .option('seed', { requiresArg: true, default: 42, coerce: wholeNumber('seed', Number.MIN_SAFE_INTEGER), describe: 'random seed: the same seed and sizes write the same bytes' })
      .option('match-rate', { requiresArg: true, default: 0.3, coerce: numberIn('match-rate', 0, 1), describe: 'share of NextSong plays that match a generated song (0 to 1)' }),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    const outDir = path.resolve(a['project-dir'], a.out);
    const { cleared } = prepareOutDir(outDir, a.force);
    if (cleared > 0) reporter.info(`Cleared ${a.out} (--force): removed ${cleared} file${cleared === 1 ? '' : 's'}`);
    const t0 = performance.now();
    const r = await generateData({
      outDir,
      events: a.events,
      songs: a.songs,
      seed: a.seed,
      matchRate: a['match-rate'],
      ...(reporter.showsProgress
        ? { onProgress: (p) => reporter.progress({ task: 'generate', done: p.eventsDone, total: p.events, unit: 'events', rows: p.eventsDone, bytes: p.bytes, bytesAre: 'written', elapsed: (performance.now() - t0) / 1000 }, 'generate_progress', { files: p.files }) }
        : {}),
    });
    reporter.info(`Wrote ${r.events} events in ${r.eventFiles} files and ${r.songs} songs (${r.artists} artists) to ${a.out} in ${((performance.now() - t0) / 1000).toFixed(2)}s`);
    reporter.info(`NextSong plays: ${r.nextSongEvents}, matching a song: ${r.matchedPlays}, users: ${r.users}`);
    return 0;
  },
});
