/**
 * Runs async tasks one after another, in submission order. A task's failure is reported to its
 * caller and does not stop the tasks after it.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(task: () => Promise<T> | T): Promise<T> {
    const result = this.tail.then(task)
    // The queue continues whatever the task did; the caller sees the task's own outcome.
    this.tail = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  /** Resolves once every task submitted so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined)
  }
}
