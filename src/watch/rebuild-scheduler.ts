/**
 * Turns a stream of file events into rebuilds. A burst of events (an editor's several writes, a
 * `git checkout`) becomes one rebuild once `quietMs` pass without a new event. Only one rebuild
 * runs at a time; events that arrive during a rebuild wait for it, then all go into one follow-up.
 */
export class RebuildScheduler<T> {
  private pending: T[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly rebuild: (batch: T[]) => Promise<void>,
    private readonly quietMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Queues an event; the rebuild starts `delay` ms after the last event of the burst. */
  notify(item: T, delay = this.quietMs): void {
    if (this.stopped) return;
    this.pending.push(item);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, delay);
  }

  /** true while a rebuild runs */
  get busy(): boolean {
    return this.current !== undefined;
  }

  /** Drops queued events and waits for the running rebuild, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    await this.current;
  }

  private flush(): void {
    if (this.current !== undefined || this.stopped || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.current = this.rebuild(batch)
      .catch((err: unknown) => this.onError(err))
      .finally(() => {
        this.current = undefined;
        // a burst still settling has its own timer; a settled one waited for this rebuild
        if (this.timer === undefined) this.flush();
      });
  }
}
