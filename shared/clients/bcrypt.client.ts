import os from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * bcrypt off the event loop: `bcryptjs` (the customer's choice) run by a pool of worker threads,
 * one per core. A comparison at cost 12 takes ~0.4 s of CPU; on the event loop it would stall
 * every other request of the instance for that long, and the instance would serve one login at a
 * time. Workers start on first use and are unref'd while idle, so an idle pool never keeps the
 * process alive.
 */
export interface PasswordHasher {
  hash(secret: string, cost: number): Promise<string>;
  compare(secret: string, hash: string): Promise<boolean>;
  close(): Promise<void>;
}

type Job = { op: 'hash'; secret: string; cost: number } | { op: 'compare'; secret: string; hash: string };

interface Pending {
  job: Job;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

// The worker's whole program: the module path comes from the parent, so it resolves exactly the
// bcryptjs the app was installed with, wherever the worker's own resolution would look.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? bcrypt.hashSync(job.secret, job.cost) : bcrypt.compareSync(job.secret, job.hash);
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
});
`;

class PoolWorker {
  readonly worker: Worker;
  current: Pending | undefined;

  constructor(onFree: (w: PoolWorker) => void, onDead: (w: PoolWorker, error: Error) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath: require.resolve('bcryptjs') } });
    this.worker.unref();
    this.worker.on('message', (reply: { ok: true; value: string | boolean } | { ok: false; message: string }) => {
      const task = this.current;
      this.current = undefined;
      this.worker.unref();
      if (task) {
        if (reply.ok) task.resolve(reply.value);
        else task.reject(new Error(`bcrypt: ${reply.message}`));
      }
      onFree(this);
    });
    this.worker.on('error', (error) => onDead(this, error));
    this.worker.on('exit', (code) => onDead(this, new Error(`bcrypt worker exited with code ${code}`)));
  }

  run(task: Pending): void {
    this.current = task;
    this.worker.ref();
    this.worker.postMessage(task.job);
  }
}

export class WorkerPoolHasher implements PasswordHasher {
  private readonly idle: PoolWorker[] = [];
  private readonly all = new Set<PoolWorker>();
  private readonly queue: Pending[] = [];
  private closed = false;

  constructor(readonly size = Math.max(1, os.availableParallelism())) {}

  hash(secret: string, cost: number): Promise<string> {
    return this.submit({ op: 'hash', secret, cost }) as Promise<string>;
  }

  compare(secret: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'compare', secret, hash }) as Promise<boolean>;
  }

  /** Ends every worker; jobs still waiting are refused, the ones running are cut short. */
  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new Error('the password hasher is closed'));
    const workers = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(
      workers.map(async (w) => {
        w.current?.reject(new Error('the password hasher is closed'));
        w.current = undefined;
        await w.worker.terminate();
      }),
    );
  }

  get threads(): number {
    return this.all.size;
  }

  private submit(job: Job): Promise<string | boolean> {
    if (this.closed) return Promise.reject(new Error('the password hasher is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.drain();
    });
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (!worker) return;
      worker.run(this.queue.shift() as Pending);
    }
  }

  private spawn(): PoolWorker | undefined {
    if (this.all.size >= this.size) return undefined;
    const worker = new PoolWorker(
      (w) => {
        if (!this.all.has(w)) return;
        this.idle.push(w);
        this.drain();
      },
      (w, error) => {
        // A crashed worker takes only its own job with it; the next job gets a fresh thread.
        if (!this.all.delete(w)) return;
        const index = this.idle.indexOf(w);
        if (index >= 0) this.idle.splice(index, 1);
        w.current?.reject(error);
        w.current = undefined;
        this.drain();
      },
    );
    this.all.add(worker);
    return worker;
  }
}

let shared: WorkerPoolHasher | undefined;

/** The process's pool (one per process: Functions runs one app per worker process). */
export function passwordHasher(): PasswordHasher {
  shared ??= new WorkerPoolHasher();
  return shared;
}

export async function closePasswordHasher(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
