/** "2024-05-01 14:03:22 (3 min ago)", in local time, for lock holders. */
export function describeSince(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const secs = Math.max(0, Math.round((now - t) / 1000));
  const ago = secs < 90 ? `${secs} s ago` : secs < 5400 ? `${Math.round(secs / 60)} min ago` : `${(secs / 3600).toFixed(1)} h ago`;
  return `${local} (${ago})`;
}
