/**
 * Group commit: at most `concurrency` writes run at once; items that arrive meanwhile wait and go together
 * in the next write (at most `maxItems`). Nothing waits when the database is idle, so a lone request is as
 * fast as before; under load one commit carries many items.
 *
 * Why our own: a chat's statement adds its classification job, and graphile-worker's add_job notifies;
 * PostgreSQL commits notifying transactions one at a time (a cluster-wide lock held through the WAL flush),
 * which capped chats with categorisation at the machine's NOTIFY ceiling, one chat per flush. Libraries
 * that batch (DataLoader) group by event-loop tick, not by "while a commit is in flight", which is what
 * lets the commits carry the load.
 */
export class GroupWrites<T, R> {
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  /** `write` gives each item its own outcome, so that a bad item can fail alone. */
  constructor(
    private readonly write: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
    private readonly opts: { concurrency: number; maxItems: number },
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    while (this.running < this.opts.concurrency && this.pending.length > 0) {
      const group = this.pending.splice(0, this.opts.maxItems);
      this.running++;
      this.write(group.map((g) => g.item))
        .then(
          (results) =>
            group.forEach((g, i) => {
              const r = results[i];
              if (r.status === 'fulfilled') g.resolve(r.value);
              else g.reject(r.reason);
            }),
          (err) => group.forEach((g) => g.reject(err)),
        )
        .finally(() => {
          this.running--;
          this.next();
        });
    }
  }
}
