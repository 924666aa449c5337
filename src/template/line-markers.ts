/**
 * Nunjucks has no source maps. To map compiled SQL back to template lines we append an invisible
 * marker to the end of every template line that is plain text (not inside a {{ }}, {% %} or {# #}
 * tag), render, then read and strip the markers. An output line belongs to the first marker on it;
 * lines without a marker (macro expansions) belong to the next marker below them.
 */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKER_RE = /\uE000(\d+)\uE001/g;

export function addLineMarkers(source: string): string {
  let out = '';
  let line = 1;
  let i = 0;
  let inTag: string | null = null;
  while (i < source.length) {
    const ch = source[i]!;
    if (inTag === null) {
      const two = source.slice(i, i + 2);
      if (two === '{{' || two === '{%' || two === '{#') {
        inTag = two === '{{' ? '}}' : two === '{%' ? '%}' : '#}';
        out += two;
        i += 2;
        continue;
      }
      if (ch === '\n') {
        out += `${OPEN}${line}${CLOSE}\n`;
        line++;
        i++;
        continue;
      }
    } else {
      if (source.startsWith(inTag, i)) {
        out += inTag;
        i += 2;
        inTag = null;
        continue;
      }
      if (ch === '\n') line++;
    }
    out += ch;
    i++;
  }
  if (inTag === null) out += `${OPEN}${line}${CLOSE}`;
  return out;
}

export function stripLineMarkers(rendered: string): { text: string; lineMap: number[] } {
  const lines = rendered.split('\n');
  const lineMap: number[] = new Array<number>(lines.length).fill(0);
  const text: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    MARKER_RE.lastIndex = 0;
    const m = MARKER_RE.exec(l);
    if (m) lineMap[i] = Number(m[1]);
    text.push(m ? l.replace(MARKER_RE, '') : l);
  }
  let next = lineMap[lineMap.length - 1] || 0;
  for (let i = lineMap.length - 1; i >= 0; i--) {
    if (lineMap[i] === 0) lineMap[i] = next;
    else next = lineMap[i]!;
  }
  return { text: text.join('\n'), lineMap };
}

/** Maps a 1-based line of compiled SQL to the template's line. */
export function templateLine(lineMap: number[], compiledLine: number): number | undefined {
  const v = lineMap[compiledLine - 1];
  return v === undefined || v === 0 ? undefined : v;
}
