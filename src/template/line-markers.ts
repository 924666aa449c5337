/**
 * Nunjucks has no source maps. To map compiled SQL back to template lines we append an invisible
 * marker to the end of every template line that is plain text (not inside a {{ }}, {% %} or {# #}
 * tag), render, then read and strip the markers. An output line belongs to the first marker on it;
 * lines without a marker (macro expansions) belong to the next marker below them.
 */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER_RE = /\uE000(\d+)\uE001/g;

const TAG_OPEN_OR_NEWLINE = /\{[{%#]|\n/g;
const TAG_CLOSE: Record<string, string> = { '{{': '}}', '{%': '%}', '{#': '#}' };

export function addLineMarkers(source: string): string {
  let out = '';
  let line = 1;
  let copied = 0;
  TAG_OPEN_OR_NEWLINE.lastIndex = 0;
  for (let m = TAG_OPEN_OR_NEWLINE.exec(source); m; m = TAG_OPEN_OR_NEWLINE.exec(source)) {
    if (m[0] === '\n') {
      out += `${source.slice(copied, m.index)}${OPEN}${line}${CLOSE}`;
      copied = m.index;
      line++;
      continue;
    }
    // a tag: copied as it is, its line breaks counted
    const end = source.indexOf(TAG_CLOSE[m[0]]!, m.index + 2);
    if (end === -1) return out + source.slice(copied);
    for (let k = source.indexOf('\n', m.index + 2); k !== -1 && k < end; k = source.indexOf('\n', k + 1)) line++;
    TAG_OPEN_OR_NEWLINE.lastIndex = end + 2;
  }
  return `${out}${source.slice(copied)}${OPEN}${line}${CLOSE}`;
}

export function stripLineMarkers(rendered: string): { text: string; lineMap: number[] } {
  let lines = 1;
  for (let k = rendered.indexOf('\n'); k !== -1; k = rendered.indexOf('\n', k + 1)) lines++;
  const lineMap: number[] = new Array<number>(lines).fill(0);
  // an output line belongs to the first marker on it
  let line = 0;
  let counted = 0;
  let marked = -1;
  MARKER_RE.lastIndex = 0;
  for (let m = MARKER_RE.exec(rendered); m; m = MARKER_RE.exec(rendered)) {
    for (let k = rendered.indexOf('\n', counted); k !== -1 && k < m.index; k = rendered.indexOf('\n', k + 1)) line++;
    counted = m.index;
    if (line !== marked) {
      lineMap[line] = Number(m[1]);
      marked = line;
    }
  }
  let next = lineMap[lineMap.length - 1] || 0;
  for (let i = lineMap.length - 1; i >= 0; i--) {
    if (lineMap[i] === 0) lineMap[i] = next;
    else next = lineMap[i]!;
  }
  return { text: marked === -1 ? rendered : rendered.replace(MARKER_RE, ''), lineMap };
}

/** Maps a 1-based line of compiled SQL to the template's line. */
export function templateLine(lineMap: number[], compiledLine: number): number | undefined {
  const v = lineMap[compiledLine - 1];
  return v === undefined || v === 0 ? undefined : v;
}
