import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * Deterministic generator of Sparkify data in the layout and serialisation of the published
 * S3 bucket: song_data/A/B/C/TR*.json, log_data/YYYY/MM/YYYY-MM-DD-events.json, log_json_path.json.
 * Events are simulated session by session and merged in time order through a heap, so memory
 * is bounded by the number of sessions of one day, not by the number of events.
 */

export interface GenerateOptions {
  outDir: string;
  events: number;
  songs: number;
  seed: number;
  /** Share of NextSong plays that match a generated song on (title, artist_name, duration); default 0.3. */
  matchRate?: number;
  users?: number;
  /** 'YYYY-MM-DD', default '2018-11-01'. */
  startDate?: string;
  /** Default 30. */
  days?: number;
  /** told how far the events have got: before the first, after each buffer written, and at the end */
  onProgress?: (p: GenerateProgress) => void;
}

export interface GenerateProgress {
  events: number;
  eventsDone: number;
  files: number;
  /** bytes written so far */
  bytes: number;
}

export interface GenerateResult {
  eventFiles: number;
  songFiles: number;
  events: number;
  nextSongEvents: number;
  songs: number;
  artists: number;
  matchedPlays: number;
  users: number;
  bytes: number;
}

/** staging_events column order; also the order of the keys in each event. */
export const EVENT_KEYS = [
  'artist', 'auth', 'firstName', 'gender', 'itemInSession', 'lastName', 'length', 'level', 'location',
  'method', 'page', 'registration', 'sessionId', 'song', 'status', 'ts', 'userAgent', 'userId',
] as const;

export const SONG_KEYS = [
  'num_songs', 'artist_id', 'artist_latitude', 'artist_longitude', 'artist_location', 'artist_name',
  'song_id', 'title', 'duration', 'year',
] as const;

const DAY_MS = 86_400_000;
// Every ts and registration in the published logs ends in .796 s.
const MS_OFFSET = 796;
const MAX_DURATION_S = 1500;
// Upper bound of the time between two events of a session; lets the last day's sessions be
// capped so that none runs past the end of the range.
const MAX_GAP_S = 1800;
const CHUNK_BYTES = 1 << 20;
// Far above the longest line, so that a line added below this mark always fits in the chunk.
const CHUNK_FULL = CHUNK_BYTES - (1 << 16);
const DUP_PLAYS = 3;

// ---------------------------------------------------------------- randomness

type Rng = () => number;

/** sfc32, seeded from (seed, stream) so that songs, catalogue and events draw independent streams. */
function makeRng(seed: number, stream: number): Rng {
  let a = 0x9e3779b9 ^ stream;
  let b = seed >>> 0;
  let c = Math.floor(seed / 4294967296) >>> 0;
  let d = (0x243f6a88 + stream * 0x6d2b79f5) >>> 0;
  const next: Rng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 20; i++) next();
  return next;
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
/** Index in [0, n) skewed towards 0: a few popular items, a long tail. */
const skewed = (rng: Rng, n: number): number => Math.floor(n * rng() ** 2);
const normal = (rng: Rng): number => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
const chars = (rng: Rng, alphabet: string, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet.charAt(int(rng, alphabet.length));
  return s;
};

// ---------------------------------------------------------------- serialisation

const NON_ASCII = /[\u0080-\uffff]/g;
const escapeU = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
/** A JSON string as Python's json.dumps writes it (the song files): non-ASCII as \uXXXX. */
const pyStr = (s: string): string => JSON.stringify(s).replace(NON_ASCII, escapeU);
/** A JSON string as the log files write it: like pyStr, and `/` escaped as `\/`. */
const logStr = (s: string): string => pyStr(s).replace(/\//g, '\\/');
/** A float as Python prints it: always with a fractional part. */
const pyFloat = (x: number): string => (Number.isInteger(x) ? `${x}.0` : String(x));
/** Non-ASCII text encoded to UTF-8 and read back as Latin-1 twice, as it appears in the real logs. */
const mojibake = (s: string): string =>
  Buffer.from(Buffer.from(s, 'utf8').toString('latin1'), 'utf8').toString('latin1');

export function jsonPathsText(): string {
  return JSON.stringify({ jsonpaths: EVENT_KEYS.map((k) => `$['${k}']`) }, null, 4);
}

// ---------------------------------------------------------------- vocabulary

const ADJ = ['Blue', 'Broken', 'Golden', 'Midnight', 'Silent', 'Electric', 'Lonely', 'Wild', 'Sweet', 'Cold', 'Burning',
  'Crazy', 'Little', 'Velvet', 'Hollow', 'Neon', 'Paper', 'Secret', 'Summer', 'Winter', 'Falling', 'Lost', 'Heavy',
  'Bright', 'Dirty', 'Easy', 'Last', 'Sacred', 'Strange', 'Tender', 'Wicked', 'Young', 'Distant', 'Frozen', 'Savage'];
const NOUN = ['Heart', 'River', 'Night', 'Road', 'Fire', 'Rain', 'Dream', 'City', 'Moon', 'Love', 'Sky', 'Highway',
  'Ocean', 'Shadow', 'Garden', 'Train', 'Window', 'Mirror', 'Angel', 'Storm', 'Island', 'Kingdom', 'Season', 'Whisper',
  'Thunder', 'Memory', 'Desert', 'Horizon', 'Saint', 'Echo', 'Diamond', 'Stranger', 'Letter', 'Ghost', 'Sparrow',
  'Mountain', 'Radio', 'Engine', 'Lantern', 'Harbor'];
const VERB = ['Dancing', 'Running', 'Waiting', 'Calling', 'Falling', 'Walking', 'Dreaming', 'Crying', 'Holding',
  'Chasing', 'Breaking', 'Burning', 'Leaving', 'Singing', 'Drifting'];
const TITLE_ACCENTED = ['Coraz\u00f3n', 'Ma\u00f1ana', 'Caf\u00e9', 'No\u00ebl', 'Se\u00f1orita', 'Canci\u00f3n',
  'F\u00fcr Immer', 'D\u00e9j\u00e0 Vu', '\u00c0 Bient\u00f4t', 'Coeur Bris\u00e9', 'Sue\u00f1o', 'L\u00e1grimas',
  'S\u00f8ndag', 'Stra\u00dfe', 'Pr\u00eat-\u00e0-Porter'];
const SUFFIX = [' (Album Version)', ' (Live)', ' (Remix)', ' (LP Version)', ' [Explicit]', ' (Radio Edit)',
  ' (Instrumental)', ' (Acoustic)', ' (Remastered)', ' (Demo)'];
const FIRST_F = ['Mary', 'Linda', 'Susan', 'Karen', 'Nancy', 'Lisa', 'Betty', 'Sandra', 'Ashley', 'Emily', 'Donna',
  'Michelle', 'Carol', 'Amanda', 'Melissa', 'Deborah', 'Stephanie', 'Rebecca', 'Laura', 'Sharon', 'Cynthia', 'Kathleen',
  'Amy', 'Angela', 'Anna', 'Brenda', 'Pamela', 'Nicole', 'Samantha', 'Katherine', 'Emma', 'Ruth', 'Christine',
  'Rachel', 'Carolyn', 'Janet', 'Virginia', 'Maria', 'Heather', 'Diane', 'Julie', 'Joyce', 'Victoria', 'Kelly',
  'Lauren', 'Christina', 'Joan', 'Evelyn', 'Olivia', 'Judith', 'Megan', 'Cheryl', 'Martha', 'Andrea', 'Frances',
  'Hannah', 'Jacqueline', 'Ann', 'Gloria', 'Jean', 'Kathryn', 'Alice', 'Teresa', 'Sara', 'Janice', 'Doris', 'Madison',
  'Julia', 'Grace', 'Judy', 'Abigail', 'Marie', 'Denise', 'Beverly', 'Amber', 'Theresa', 'Marilyn', 'Danielle',
  'Diana', 'Brittany', 'Natalie', 'Sophia', 'Rose', 'Isabella', 'Alexis', 'Kayla', 'Charlotte', 'Faith', 'Tiffany'];
const FIRST_M = ['James', 'Robert', 'John', 'Michael', 'David', 'William', 'Richard', 'Joseph', 'Thomas', 'Charles',
  'Christopher', 'Daniel', 'Matthew', 'Anthony', 'Mark', 'Donald', 'Steven', 'Paul', 'Andrew', 'Joshua', 'Kenneth',
  'Kevin', 'Brian', 'George', 'Timothy', 'Ronald', 'Edward', 'Jason', 'Jeffrey', 'Ryan', 'Jacob', 'Gary', 'Nicholas',
  'Eric', 'Jonathan', 'Stephen', 'Larry', 'Justin', 'Scott', 'Brandon', 'Benjamin', 'Samuel', 'Gregory', 'Alexander',
  'Frank', 'Patrick', 'Raymond', 'Jack', 'Dennis', 'Jerry', 'Tyler', 'Aaron', 'Jose', 'Adam', 'Nathan', 'Henry',
  'Douglas', 'Zachary', 'Peter', 'Kyle', 'Ethan', 'Walter', 'Noah', 'Jeremy', 'Christian', 'Keith', 'Roger', 'Terry',
  'Gerald', 'Harold', 'Sean', 'Austin', 'Carl', 'Arthur', 'Lawrence', 'Dylan', 'Jesse', 'Jordan', 'Bryan', 'Billy',
  'Joe', 'Bruce', 'Gabriel', 'Logan', 'Albert', 'Willie', 'Alan', 'Juan', 'Wayne', 'Elijah', 'Randy', 'Roy', 'Vincent'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez',
  'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee',
  'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young',
  'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen', 'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker',
  'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Gomez', 'Phillips', 'Evans', 'Turner', 'Diaz',
  'Parker', 'Cruz', 'Edwards', 'Collins', 'Reyes', 'Stewart', 'Morris', 'Morales', 'Murphy', 'Cook', 'Rogers',
  'Gutierrez', 'Ortiz', 'Morgan', 'Cooper', 'Peterson', 'Bailey', 'Reed', 'Kelly', 'Howard', 'Ramos', 'Kim', 'Cox',
  'Ward', 'Richardson', 'Watson', 'Brooks', 'Chavez', 'Wood', 'James', 'Bennett', 'Gray', 'Mendoza', 'Ruiz', 'Hughes',
  'Price', 'Alvarez', 'Castillo', 'Sanders', 'Patel', 'Myers', 'Long', 'Ross', 'Foster', 'Jimenez', 'Powell'];
const ARTIST_ACCENTED = ['Jos\u00e9 Ib\u00e1\u00f1ez', 'Zo\u00eb Lindqvist', 'Ren\u00e9e Fournier', 'Bj\u00f6rn M\u00fcller',
  'Los Ni\u00f1os del Sur', 'Se\u00e1n \u00d3 Riada', 'Fran\u00e7oise Hardy-Leclerc', 'Ana\u00efs Dubois',
  'Jo\u00e3o Concei\u00e7\u00e3o', 'Mot\u00f6rfest', 'Caf\u00e9 Tacvba Trio', 'S\u00f8ren Kjeldsen'];
const METROS = ['San Francisco-Oakland-Hayward, CA', 'Portland-South Portland, ME', 'Lansing-East Lansing, MI',
  'Chicago-Naperville-Elgin, IL-IN-WI', 'Atlanta-Sandy Springs-Roswell, GA', 'Waterloo-Cedar Falls, IA',
  'San Jose-Sunnyvale-Santa Clara, CA', 'Tampa-St. Petersburg-Clearwater, FL', 'New York-Newark-Jersey City, NY-NJ-PA',
  'Sacramento--Roseville--Arden-Arcade, CA', 'Birmingham-Hoover, AL', 'Winston-Salem, NC', 'Red Bluff, CA',
  'Houston-The Woodlands-Sugar Land, TX', 'Detroit-Warren-Dearborn, MI', 'New Orleans-Metairie, LA',
  'Philadelphia-Camden-Wilmington, PA-NJ-DE-MD', 'Washington-Arlington-Alexandria, DC-VA-MD-WV', 'Salinas, CA',
  'Phoenix-Mesa-Scottsdale, AZ', 'Lubbock, TX', 'Eugene, OR', 'Columbia, SC', 'Dallas-Fort Worth-Arlington, TX',
  'Seattle-Tacoma-Bellevue, WA', 'Minneapolis-St. Paul-Bloomington, MN-WI', 'St. Louis, MO-IL', 'Richmond, VA',
  'Indianapolis-Carmel-Anderson, IN', 'Los Angeles-Long Beach-Anaheim, CA', 'Salt Lake City, UT',
  'Denver-Aurora-Lakewood, CO', 'Boston-Cambridge-Newton, MA-NH', 'Miami-Fort Lauderdale-West Palm Beach, FL',
  'Austin-Round Rock, TX', 'Nashville-Davidson--Murfreesboro--Franklin, TN', 'Raleigh, NC', 'Tucson, AZ',
  'Kansas City, MO-KS', 'Pittsburgh, PA', 'Cleveland-Elyria, OH', 'Omaha-Council Bluffs, NE-IA'];
const AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.78.2 (KHTML, like Gecko) Version/7.0.6 Safari/537.78.2',
  'Mozilla/5.0 (Windows NT 5.1; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/37.0.2062.94 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.9; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.125 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; rv:31.0) Gecko/20100101 Firefox/31.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53',
  'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Ubuntu Chromium/36.0.1985.125 Chrome/36.0.1985.125 Safari/537.36',
  'Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; WOW64; Trident/6.0)',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_10) AppleWebKit/538.46 (KHTML, like Gecko) Version/8.0 Safari/538.46',
  'Mozilla/5.0 (X11; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0',
];
/** [city, region, region spelled out, latitude, longitude]: the source of artist locations and their variants. */
const PLACES: readonly (readonly [string, string, string, number, number])[] = [
  ['Memphis', 'TN', 'Tennessee', 35.15, -90.05], ['Nashville', 'TN', 'Tennessee', 36.17, -86.78],
  ['New York', 'NY', 'New York', 40.71, -74.01], ['Chicago', 'IL', 'Illinois', 41.88, -87.63],
  ['Los Angeles', 'CA', 'California', 34.05, -118.25], ['Houston', 'TX', 'Texas', 29.76, -95.37],
  ['Seattle', 'WA', 'Washington', 47.6, -122.33], ['Detroit', 'MI', 'Michigan', 42.33, -83.05],
  ['Atlanta', 'GA', 'Georgia', 33.75, -84.39], ['Austin', 'TX', 'Texas', 30.27, -97.74],
  ['Minneapolis', 'MN', 'Minnesota', 44.98, -93.26], ['New Orleans', 'LA', 'Louisiana', 29.95, -90.08],
  ['London', 'England', 'UK', 51.51, -0.13], ['Manchester', 'England', 'UK', 53.48, -2.25],
  ['Toronto', 'Ontario', 'Canada', 43.65, -79.39], ['Montreal', 'Quebec', 'Canada', 45.51, -73.55],
  ['Paris', 'Ile-de-France', 'France', 48.86, 2.34], ['Berlin', 'Berlin', 'Germany', 52.52, 13.38],
  ['Stockholm', 'Stockholm', 'Sweden', 59.33, 18.06], ['Kingston', 'Jamaica', 'Jamaica', 18, -76.79],
  ['Sydney', 'NSW', 'Australia', -33.87, 151.21], ['Havana', 'Havana', 'Cuba', 23.13, -82.38],
  ['Mexico City', 'DF', 'Mexico', 19.43, -99.13], ['Rio de Janeiro', 'RJ', 'Brazil', -22.98, -43.2],
];

function songTitle(rng: Rng): string {
  const r = rng();
  let t =
    r < 0.3 ? `${pick(rng, ADJ)} ${pick(rng, NOUN)}`
    : r < 0.45 ? `${pick(rng, VERB)} ${pick(rng, ['In', 'On', 'To', 'For', 'Through', 'Under'])} The ${pick(rng, NOUN)}`
    : r < 0.6 ? `${pick(rng, NOUN)} Of ${pick(rng, ['The ', 'My ', 'Your ', ''])}${pick(rng, NOUN)}${rng() < 0.5 ? 's' : ''}`
    : r < 0.7 ? `${pick(rng, ['I', 'You', 'We', 'She'])} ${pick(rng, ['Said', 'Know', 'Want', 'Need', "Can't Stop"])} ${pick(rng, ['Love', 'Goodbye', 'You', 'Tonight', 'Forever'])}`
    : r < 0.78 ? `${pick(rng, NOUN)}${rng() < 0.5 ? '' : ` ${pick(rng, NOUN)}`}`
    : r < 0.86 ? `${pick(rng, TITLE_ACCENTED)}${rng() < 0.5 ? '' : ` ${pick(rng, NOUN)}`}`
    : r < 0.9 ? `The "${pick(rng, ADJ)}" ${pick(rng, NOUN)}`
    : r < 0.94 ? `${pick(rng, NOUN)}/${pick(rng, NOUN)}`
    : `${pick(rng, VERB)} ${pick(rng, ADJ)}`;
  if (rng() < 0.2) t += pick(rng, SUFFIX);
  return t;
}

function artistName(rng: Rng): string {
  const r = rng();
  const person = (): string => `${pick(rng, rng() < 0.5 ? FIRST_F : FIRST_M)} ${pick(rng, LAST)}`;
  const plural = (): string => `${pick(rng, NOUN)}s`;
  return r < 0.3 ? person()
    : r < 0.5 ? `The ${pick(rng, ADJ)} ${plural()}`
    : r < 0.6 ? `${person()} & The ${plural()}`
    : r < 0.7 ? `${pick(rng, ADJ)}${pick(rng, NOUN).toLowerCase()}`
    : r < 0.76 ? `DJ ${pick(rng, NOUN)}`
    : r < 0.82 ? `${person()} featuring ${person()}`
    : r < 0.88 ? pick(rng, ARTIST_ACCENTED)
    : r < 0.92 ? `${person()} / ${person()}`
    : r < 0.95 ? `${pick(rng, LAST)};${person()}`
    : `${pick(rng, NOUN)} ${pick(rng, NOUN)}`;
}

/** Seconds, 5 decimals, long-tailed around 4 minutes. */
function duration(rng: Rng): number {
  const s = Math.min(MAX_DURATION_S - 1, Math.max(20, Math.exp(Math.log(225) + 0.38 * normal(rng))));
  return Math.round(s * 1e5) / 1e5;
}

// ---------------------------------------------------------------- songs

interface Artist {
  id: string;
  name: string;
  /** Spellings of one place; the first is the usual one. */
  locations: string[];
  lat: number | null;
  lon: number | null;
}

interface Song {
  trackId: string;
  songId: string;
  artist: Artist;
  location: string;
  title: string;
  duration: number;
  year: number;
}

/** Log-file JSON fragments of a played song. */
interface Play {
  artist: string;
  song: string;
  length: string;
  seconds: number;
}

const songKey = (title: string, artist: string, dur: number): string => `${title}\u0000${artist}\u0000${dur}`;
const toPlay = (title: string, artist: string, dur: number): Play => ({
  artist: logStr(artist),
  song: logStr(title),
  length: pyFloat(dur),
  seconds: dur,
});

function coordinate(x: number, rng: Rng): number {
  const v = Math.round((x + (rng() - 0.5) * 0.1) * 1e5) / 1e5;
  // Python prints |x| < 1e-4 in exponent form and JavaScript does not; keep clear of it.
  return Math.abs(v) < 0.001 ? 0.00123 : v;
}

function makeArtist(rng: Rng, ids: Set<string>): Artist {
  let id: string;
  do {
    id = `AR${chars(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 5)}${pick(rng, ['1187B9', '1187FB', '122988', '1241B9', '11E283'])}${chars(rng, '0123456789ABCDEF', 5)}`;
  } while (ids.has(id));
  ids.add(id);
  const name = artistName(rng);
  const r = rng();
  if (r < 0.4) return { id, name, locations: [''], lat: null, lon: null };
  const [city, region, regionLong, lat, lon] = pick(rng, PLACES);
  const locations = [`${city}, ${region}`, city, `${city}, ${regionLong}`, `${city} - ${region}`, `${city}, ${region}.`];
  const first = int(rng, 3);
  [locations[0], locations[first]] = [locations[first]!, locations[0]!];
  if (r < 0.6) return { id, name, locations, lat: null, lon: null };
  return { id, name, locations, lat: coordinate(lat, rng), lon: coordinate(lon, rng) };
}

function newId(rng: Rng, ids: Set<string>, prefix: 'TR' | 'SO'): string {
  const mids = prefix === 'TR' ? ['128F4', '12903', '12A8C', '12AB0', '12A6D', '12AF7', '12AC9'] : ['12A8C', '12AB0', '12A6D', '12AF7', '12AC9', '12A58'];
  let id: string;
  do id = `${prefix}${chars(rng, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 5)}${pick(rng, mids)}${chars(rng, '0123456789ABCDEF', 6)}`;
  while (ids.has(id));
  ids.add(id);
  return id;
}

interface Catalogue {
  songs: Song[];
  artists: number;
  /** Songs that regular matched plays draw from (the duplicate pairs are left out). */
  playable: Play[];
  /** One entry per (title, artist_name, duration) shared by two song_ids. */
  duplicates: Play[];
  /** Plausible plays that match no song. */
  others: Play[];
}

function buildCatalogue(o: Required<GenerateOptions>): Catalogue {
  const rng = makeRng(o.seed, 1);
  const ids = new Set<string>();
  const keys = new Set<string>();
  const artists: Artist[] = [];
  const songs: Song[] = [];
  const nDup = o.songs >= 50 ? (o.songs >= 1000 ? 2 : 1) : 0;
  const song = (artist: Artist, title: string, dur: number): Song => ({
    trackId: newId(rng, ids, 'TR'),
    songId: newId(rng, ids, 'SO'),
    artist,
    location: artist.locations[rng() < 0.2 ? int(rng, artist.locations.length) : 0]!,
    title,
    duration: dur,
    year: rng() < 0.55 ? 0 : 1955 + int(rng, 56),
  });
  for (let i = 0; i < o.songs - nDup; i++) {
    const reuse = artists.length > 0 && (i % 4 === 3 || rng() < 0.1);
    const artist = reuse ? pick(rng, artists) : makeArtist(rng, ids);
    if (!reuse) artists.push(artist);
    const title = songTitle(rng);
    let dur = duration(rng);
    while (keys.has(songKey(title, artist.name, dur))) dur = Math.round((dur + 0.01) * 1e5) / 1e5;
    keys.add(songKey(title, artist.name, dur));
    songs.push(song(artist, title, dur));
  }
  const regular = songs.length;
  const excluded = new Set<number>();
  const duplicates: Play[] = [];
  for (let k = 0; k < nDup; k++) {
    const i = Math.floor(((k + 1) * regular) / (nDup + 1));
    const base = songs[i]!;
    excluded.add(i);
    songs.push(song(base.artist, base.title, base.duration));
    duplicates.push(toPlay(base.title, base.artist.name, base.duration));
  }
  const playable = songs.slice(0, regular).flatMap((s, i) => (excluded.has(i) ? [] : [toPlay(s.title, s.artist.name, s.duration)]));

  const crng = makeRng(o.seed, 2);
  const nOthers = Math.min(30_000, Math.max(50, Math.round((o.events * 0.85 * (1 - o.matchRate)) / 4)));
  const otherArtists = Array.from({ length: Math.max(10, Math.round(nOthers / 3)) }, () => artistName(crng));
  const others: Play[] = [];
  for (let i = 0; i < nOthers; i++) {
    let title: string;
    let artist: string;
    let dur: number;
    if (regular > 0 && crng() < 0.05) {
      // Same title and artist as a real song but another recording: must not join.
      const base = songs[int(crng, regular)]!;
      title = base.title;
      artist = base.artist.name;
      dur = Math.round((base.duration + 0.5 + crng() * 20) * 1e5) / 1e5;
    } else {
      title = songTitle(crng);
      artist = pick(crng, otherArtists);
      dur = duration(crng);
      if (crng() < 0.7) {
        title = mojibake(title);
        artist = mojibake(artist);
      }
    }
    while (keys.has(songKey(title, artist, dur))) dur = Math.round((dur + 0.01) * 1e5) / 1e5;
    others.push(toPlay(title, artist, dur));
  }
  return { songs, artists: artists.length, playable, duplicates, others };
}

function songText(s: Song): string {
  const a = s.artist;
  return `{"num_songs": 1, "artist_id": "${a.id}", "artist_latitude": ${a.lat === null ? 'null' : pyFloat(a.lat)}, ` +
    `"artist_longitude": ${a.lon === null ? 'null' : pyFloat(a.lon)}, "artist_location": ${pyStr(s.location)}, ` +
    `"artist_name": ${pyStr(a.name)}, "song_id": "${s.songId}", "title": ${pyStr(s.title)}, ` +
    `"duration": ${pyFloat(s.duration)}, "year": ${s.year}}`;
}

async function inPool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

async function writeSongs(outDir: string, songs: readonly Song[]): Promise<number> {
  const dirOf = (s: Song): string => path.join(outDir, 'song_data', s.trackId[2]!, s.trackId[3]!, s.trackId[4]!);
  await inPool([...new Set(songs.map(dirOf))], 16, async (d) => void (await mkdir(d, { recursive: true })));
  let bytes = 0;
  await inPool(songs, 64, async (s) => {
    const text = songText(s);
    bytes += text.length; // all ASCII
    await writeFile(path.join(dirOf(s), `${s.trackId}.json`), text);
  });
  return bytes;
}

// ---------------------------------------------------------------- users and sessions

interface User {
  id: string;
  /** JSON fragments, written as they are. */
  firstName: string;
  gender: string;
  lastName: string;
  location: string;
  registration: string;
  userAgent: string;
  paid: boolean;
  upgrades: boolean;
  downgrades: boolean;
  busy: boolean;
  seen: boolean;
}

function makeUsers(rng: Rng, n: number, startMs: number): { users: User[]; cumWeight: Float64Array } {
  const users: User[] = [];
  const cumWeight = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const female = rng() < 0.55;
    const paid = rng() < 0.3;
    const agent = pick(rng, AGENTS);
    users.push({
      id: String(i + 1),
      firstName: logStr(pick(rng, female ? FIRST_F : FIRST_M)),
      gender: female ? '"F"' : '"M"',
      lastName: logStr(pick(rng, LAST)),
      location: logStr(pick(rng, METROS)),
      registration: `${startMs - (1 + int(rng, 150 * 86400)) * 1000 + MS_OFFSET}.0`,
      // The published logs quote the agents that contain a comma, as a CSV export would.
      userAgent: logStr(agent.includes(',') ? `"${agent}"` : agent),
      paid,
      upgrades: !paid && rng() < 0.25,
      downgrades: paid && rng() < 0.06,
      busy: false,
      seen: false,
    });
    total += Math.exp(0.9 * normal(rng)) * (paid ? 5 : 1);
    cumWeight[i] = total;
  }
  return { users, cumWeight };
}

const P = {
  NextSong: 0, Home: 1, Login: 2, Logout: 3, Settings: 4, SaveSettings: 5, Help: 6, About: 7, Upgrade: 8,
  SubmitUpgrade: 9, Downgrade: 10, SubmitDowngrade: 11, Error: 12, ThumbsUp: 13, ThumbsDown: 14,
  AddToPlaylist: 15, AddFriend: 16, RollAdvert: 17, None: -1,
} as const;
type P = (typeof P)[keyof typeof P];
const PAGES: readonly (readonly [string, 'GET' | 'PUT', number])[] = [
  ['NextSong', 'PUT', 200], ['Home', 'GET', 200], ['Login', 'PUT', 307], ['Logout', 'PUT', 307],
  ['Settings', 'GET', 200], ['Save Settings', 'PUT', 307], ['Help', 'GET', 200], ['About', 'GET', 200],
  ['Upgrade', 'GET', 200], ['Submit Upgrade', 'PUT', 307], ['Downgrade', 'GET', 200], ['Submit Downgrade', 'PUT', 307],
  ['Error', 'GET', 404], ['Thumbs Up', 'PUT', 307], ['Thumbs Down', 'PUT', 307], ['Add to Playlist', 'PUT', 200],
  ['Add Friend', 'PUT', 307], ['Roll Advert', 'GET', 200],
];
const METHOD_PAGE = PAGES.map(([page, method]) => `"method":"${method}","page":"${page}"`);
const STATUS = PAGES.map(([, , status]) => status);
/** Logged-in pages other than NextSong, with their probability per event. */
const OTHER_PAGES: readonly (readonly [P, number])[] = [
  [P.Home, 0.045], [P.ThumbsUp, 0.022], [P.ThumbsDown, 0.005], [P.AddToPlaylist, 0.012], [P.AddFriend, 0.006],
  [P.Settings, 0.007], [P.Help, 0.005], [P.About, 0.003], [P.Error, 0.001], [P.Upgrade, 0.012],
  [P.Downgrade, 0.009], [P.RollAdvert, 0.02],
];
/** Share of sessions starting in each UTC hour. */
const HOUR_WEIGHT = [4, 2, 2, 1.5, 2, 2.5, 3, 3.5, 4, 5, 5.5, 6, 5.5, 6.5, 7.5, 9, 9.5, 9, 9.5, 7.5, 6, 5.5, 4, 3.5];
const HOUR_TOTAL = HOUR_WEIGHT.reduce((a, b) => a + b, 0);

interface Session {
  ts: number;
  seq: number;
  left: number;
  user: User | undefined;
  id: number;
  item: number;
  loggedOut: boolean;
  queued: P;
}

/** Min-heap of sessions on (next event ts, creation order). */
class SessionHeap {
  private readonly items: Session[] = [];
  get size(): number {
    return this.items.length;
  }
  peek(): Session | undefined {
    return this.items[0];
  }
  private static less(a: Session, b: Session): boolean {
    return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
  }
  push(s: Session): void {
    const h = this.items;
    let i = h.push(s) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!SessionHeap.less(s, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = s;
  }
  pop(): Session | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const c = l + 1 < h.length && SessionHeap.less(h[l + 1]!, h[l]!) ? l + 1 : l;
      if (!SessionHeap.less(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
    return top;
  }
}

/** Writes events to one file per UTC day, in bounded chunks, waiting for the stream to drain. */
class DayFiles {
  files = 0;
  bytes = 0;
  private day = -1;
  private stream: WriteStream | undefined;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  constructor(private readonly outDir: string, private readonly startMs: number) {}

  /** Adds a line to the open day; false when the line starts another day and needs open(). */
  add(day: number, line: string): boolean {
    if (day !== this.day) return false;
    this.chunk[this.used++] = 10;
    // Encoding each line straight into the chunk is much cheaper than concatenating strings.
    this.used += this.chunk.write(line, this.used, 'latin1'); // all ASCII
    return true;
  }

  get full(): boolean {
    return this.used >= CHUNK_FULL;
  }

  async open(day: number, line: string): Promise<void> {
    await this.close();
    const date = new Date(this.startMs + day * DAY_MS).toISOString().slice(0, 10);
    const dir = path.join(this.outDir, 'log_data', date.slice(0, 4), date.slice(5, 7));
    await mkdir(dir, { recursive: true });
    this.stream = createWriteStream(path.join(dir, `${date}-events.json`), { highWaterMark: 4 * CHUNK_BYTES });
    this.stream.on('error', () => {}); // surfaced by once('drain') or finished()
    this.day = day;
    this.files++;
    this.used = this.chunk.write(line, 0, 'latin1'); // no newline before the first line, none after the last
  }

  async flush(): Promise<void> {
    const s = this.stream;
    if (!s || this.used === 0) return;
    this.bytes += this.used;
    const ok = s.write(this.chunk.subarray(0, this.used));
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    if (!ok) await once(s, 'drain');
  }

  async close(): Promise<void> {
    const s = this.stream;
    if (!s) return;
    await this.flush();
    s.end();
    await finished(s);
    this.stream = undefined;
  }
}

async function writeEvents(o: Required<GenerateOptions>, startMs: number, cat: Catalogue) {
  const rng = makeRng(o.seed, 3);
  const { users, cumWeight } = makeUsers(rng, o.users, startMs);
  const totalWeight = cumWeight[cumWeight.length - 1] ?? 0;
  const endMs = startMs + o.days * DAY_MS;
  const out = new DayFiles(o.outDir, startMs);
  const heap = new SessionHeap();
  const matchRate = cat.playable.length > 0 ? o.matchRate : 0;
  // The forced plays of the duplicated songs go at fixed ordinals among matched plays, spread
  // over a conservative estimate of how many matched plays there will be.
  const expectedMatched = Math.floor(o.events * 0.5 * matchRate);
  const dupAt = cat.duplicates.length > 0 && matchRate > 0
    ? Array.from({ length: DUP_PLAYS }, (_, i) => Math.floor(((i + 1) * expectedMatched) / (DUP_PLAYS + 1)))
    : [];
  let seq = 0;
  let sessionIds = 0;
  let matched = 0;
  let nextSongs = 0;
  let written = 0;
  const progress = () => o.onProgress?.({ events: o.events, eventsDone: written, files: out.files, bytes: out.bytes });
  progress();

  const pickUser = (): User => {
    for (let t = 0; t < 8; t++) {
      const x = rng() * totalWeight;
      let lo = 0;
      let hi = users.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumWeight[mid]! > x) hi = mid;
        else lo = mid + 1;
      }
      if (!users[lo]!.busy) return users[lo]!;
    }
    const from = int(rng, users.length);
    for (let k = 0; k < users.length; k++) {
      const u = users[(from + k) % users.length]!;
      if (!u.busy) return u;
    }
    return users[from]!; // everyone is listening already: share
  };

  const nextPage = (s: Session, u: User): P => {
    if (s.queued !== P.None) {
      const q = s.queued;
      s.queued = P.None;
      return q;
    }
    if (s.loggedOut) {
      if (s.left >= 2 && rng() < 0.5) return P.Login;
      const r = rng();
      return r < 0.75 ? P.Home : r < 0.9 ? P.About : P.Help;
    }
    if (s.item === 0 && rng() < 0.4) return P.Home;
    if (s.item >= 2 && s.left <= 2 && rng() < 0.2) return P.Logout;
    let r = rng();
    for (const [page, p] of OTHER_PAGES) {
      if (r < p) {
        if ((page === P.Upgrade || page === P.RollAdvert) && u.paid) return P.NextSong;
        if (page === P.Downgrade && !u.paid) return P.NextSong;
        return page;
      }
      r -= p;
    }
    return P.NextSong;
  };

  const gapAfter = (page: P, play: Play | undefined): number => {
    if (play) {
      const d = Math.floor(play.seconds);
      return rng() < 0.06 ? 1 + int(rng, Math.max(1, d - 1)) : d + (rng() < 0.7 ? 0 : 1 + int(rng, 4));
    }
    if (page === P.Login || page === P.Logout) return 1 + int(rng, 60);
    if (page === P.ThumbsUp || page === P.ThumbsDown || page === P.AddToPlaylist || page === P.AddFriend) return int(rng, 15);
    const r = rng();
    return r < 0.5 ? int(rng, 30) : r < 0.9 ? 30 + int(rng, 240) : 270 + int(rng, 700);
  };

  const step = (s: Session): string => {
    let u = s.user;
    if (!u) {
      u = s.user = pickUser();
      u.busy = true;
      s.id = ++sessionIds;
      s.loggedOut = rng() < (s.left >= 2 ? 0.1 : 0.03);
    }
    const page = nextPage(s, u);
    const ts = s.ts;
    const head = `"itemInSession":${s.item},`;
    const tail = `"level":"${u.paid ? 'paid' : 'free'}",`;
    let line: string;
    let play: Play | undefined;
    if (s.loggedOut) {
      line = `{"artist":null,"auth":"Logged Out","firstName":null,"gender":null,${head}"lastName":null,"length":null,${tail}"location":null,${METHOD_PAGE[page]},"registration":null,"sessionId":${s.id},"song":null,"status":${STATUS[page]},"ts":${ts},"userAgent":null,"userId":""}`;
    } else {
      u.seen = true;
      if (page === P.NextSong) {
        nextSongs++;
        if (matchRate > 0 && rng() < matchRate) {
          const d = dupAt.length > 0 && dupAt.includes(matched) ? dupAt.indexOf(matched) : -1;
          play = d >= 0 ? cat.duplicates[d % cat.duplicates.length]! : cat.playable[skewed(rng, cat.playable.length)]!;
          matched++;
        } else {
          play = cat.others[skewed(rng, cat.others.length)]!;
        }
      }
      line = `{"artist":${play ? play.artist : 'null'},"auth":"Logged In","firstName":${u.firstName},"gender":${u.gender},${head}"lastName":${u.lastName},"length":${play ? play.length : 'null'},${tail}"location":${u.location},${METHOD_PAGE[page]},"registration":${u.registration},"sessionId":${s.id},"song":${play ? play.song : 'null'},"status":${STATUS[page]},"ts":${ts},"userAgent":${u.userAgent},"userId":"${u.id}"}`;
    }
    s.item++;
    s.left--;
    s.ts = ts + Math.min(MAX_GAP_S, gapAfter(page, play)) * 1000;
    switch (page) {
      case P.Login:
        s.loggedOut = false;
        s.queued = P.Home;
        break;
      case P.Logout:
        s.loggedOut = true;
        break;
      case P.Settings:
        if (rng() < 0.25) s.queued = P.SaveSettings;
        break;
      case P.Upgrade:
        if (u.upgrades) [u.upgrades, s.queued] = [false, P.SubmitUpgrade];
        break;
      case P.Downgrade:
        if (u.downgrades) [u.downgrades, s.queued] = [false, P.SubmitDowngrade];
        break;
      case P.SubmitUpgrade:
      case P.SubmitDowngrade:
        u.paid = page === P.SubmitUpgrade;
        s.queued = P.Home;
        break;
    }
    if (s.left === 0) u.busy = false;
    return line;
  };

  const quotas = dayQuotas(rng, o.events, o.days, startMs);
  for (let day = 0; day < o.days; day++) {
    const dayStart = startMs + day * DAY_MS;
    const dayEnd = dayStart + DAY_MS;
    for (let left = quotas[day]!; left > 0; ) {
      let hour = 0;
      for (let r = rng() * HOUR_TOTAL; hour < 23 && r >= HOUR_WEIGHT[hour]!; hour++) r -= HOUR_WEIGHT[hour]!;
      const start = dayStart + (hour * 3600 + int(rng, 3600)) * 1000 + MS_OFFSET;
      let len = rng() < 0.2 ? 1 + int(rng, 3) : 1 + Math.floor(-Math.log(1 - rng()) * 18);
      // Capped so that even at the longest gaps the session ends inside the range.
      len = Math.min(len, 200, left, Math.floor((endMs - 1 - start) / (MAX_GAP_S * 1000)) + 1);
      left -= len;
      heap.push({ ts: start, seq: seq++, left: len, user: undefined, id: 0, item: 0, loggedOut: false, queued: P.None });
    }
    for (let s = heap.peek(); s && s.ts < dayEnd; s = heap.peek()) {
      heap.pop();
      const line = step(s);
      written++;
      if (!out.add(day, line)) await out.open(day, line);
      if (out.full) {
        await out.flush();
        progress();
      }
      if (s.left > 0) heap.push(s);
    }
  }
  if (heap.size > 0) throw new Error('internal: sessions left after the last day');
  await out.close();
  progress();
  return {
    eventFiles: out.files,
    bytes: out.bytes,
    nextSongEvents: nextSongs,
    matchedPlays: matched,
    users: users.filter((u) => u.seen).length,
  };
}

/** Events per day, summing exactly to the total; weekends a little quieter. */
function dayQuotas(rng: Rng, events: number, days: number, startMs: number): number[] {
  const weights = Array.from({ length: days }, (_, d) => {
    const weekday = new Date(startMs + d * DAY_MS).getUTCDay();
    return (weekday === 0 || weekday === 6 ? 0.85 : 1) * (0.9 + 0.2 * rng());
  });
  const total = weights.reduce((a, b) => a + b, 0);
  let cum = 0;
  let given = 0;
  return weights.map((w) => {
    cum += w;
    const upTo = Math.round((events * cum) / total);
    const q = upTo - given;
    given = upTo;
    return q;
  });
}

// ---------------------------------------------------------------- entry point

function normalise(opts: GenerateOptions): { o: Required<GenerateOptions>; startMs: number } {
  const o: Required<GenerateOptions> = {
    outDir: opts.outDir,
    events: opts.events,
    songs: opts.songs,
    seed: opts.seed,
    matchRate: opts.matchRate ?? 0.3,
    users: opts.users ?? Math.max(1, Math.round(opts.events / 80)),
    startDate: opts.startDate ?? '2018-11-01',
    days: opts.days ?? 30,
    onProgress: opts.onProgress ?? (() => undefined),
  };
  const isCount = (n: number, min: number): boolean => Number.isSafeInteger(n) && n >= min;
  if (!o.outDir) throw new UsageError('generate: the output directory is required');
  if (!isCount(o.events, 0)) throw new UsageError(`generate: events must be a whole number >= 0, got ${o.events}`);
  if (!isCount(o.songs, 0)) throw new UsageError(`generate: songs must be a whole number >= 0, got ${o.songs}`);
  if (!Number.isSafeInteger(o.seed)) throw new UsageError(`generate: seed must be a whole number, got ${o.seed}`);
  if (!isCount(o.users, 1)) throw new UsageError(`generate: users must be a whole number >= 1, got ${o.users}`);
  if (!isCount(o.days, 1)) throw new UsageError(`generate: days must be a whole number >= 1, got ${o.days}`);
  if (!(o.matchRate >= 0 && o.matchRate <= 1)) throw new UsageError(`generate: matchRate must be between 0 and 1, got ${o.matchRate}`);
  const startMs = /^\d{4}-\d{2}-\d{2}$/.test(o.startDate) ? Date.parse(`${o.startDate}T00:00:00Z`) : NaN;
  if (Number.isNaN(startMs) || new Date(startMs).toISOString().slice(0, 10) !== o.startDate) {
    throw new UsageError(`generate: startDate must be a date written YYYY-MM-DD, got '${o.startDate}'`);
  }
  return { o, startMs };
}

export async function generateData(opts: GenerateOptions): Promise<GenerateResult> {
  const { o, startMs } = normalise(opts);
  await mkdir(o.outDir, { recursive: true });
  const paths = jsonPathsText();
  await writeFile(path.join(o.outDir, 'log_json_path.json'), paths);
  const cat = buildCatalogue(o);
  const songBytes = await writeSongs(o.outDir, cat.songs);
  const ev = await writeEvents(o, startMs, cat);
  return {
    eventFiles: ev.eventFiles,
    songFiles: cat.songs.length,
    events: o.events,
    nextSongEvents: ev.nextSongEvents,
    songs: cat.songs.length,
    artists: cat.artists,
    matchedPlays: ev.matchedPlays,
    users: ev.users,
    bytes: paths.length + songBytes + ev.bytes,
  };
}
