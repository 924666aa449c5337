/** What the build of ../shared/data/sparkify must give on every engine (its README's measured facts). */
export const PUBLISHED_COUNTS = [
  ['staging_events', 8056],
  ['staging_songs', 71],
  ['songplays', 6820],
  ['users', 97],
  ['songs', 71],
  ['artists', 69],
  ['time', 6813],
] as const;

/** The first event of 2018-11-01-events.json, as staging_events holds it (JSONPaths by position). */
export const FIRST_EVENT_ROW = {
  artist: null,
  auth: 'Logged In',
  firstname: 'Walter',
  gender: 'M',
  iteminsession: 0,
  lastname: 'Frye',
  length: null,
  level: 'free',
  location: 'San Francisco-Oakland-Hayward, CA',
  method: 'GET',
  page: 'Home',
  registration: 1540919166796,
  sessionid: 38,
  song: null,
  status: 200,
  ts: '1541105830796',
  useragent: '"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
  userid: '39',
};
