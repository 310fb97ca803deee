/**
 * Runs async work on one connection one piece at a time, in the order it was
 * asked for (as mediasoup-client's AwaitQueue does): a description applied
 * while another is half-applied is the classic source of "wrong state" errors.
 * A failed piece is reported to its caller and does not stop the ones behind it.
 */
export class OpQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  push<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(() => {
      if (this.closed) throw new QueueClosedError();
      return work();
    });
    // The next piece waits for this one to settle, not to succeed.
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Work already queued but not started is refused from now on. */
  close(): void {
    this.closed = true;
  }
}

/** The queue was closed (the connection went away) before this piece of work could start. */
export class QueueClosedError extends Error {
  constructor() {
    super('the connection closed before this step could run');
    this.name = 'QueueClosedError';
  }
}
