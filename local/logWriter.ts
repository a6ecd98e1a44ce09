import fs from 'node:fs';

/**
 * The local host's log destination: lines are gathered and written to the file descriptor with
 * asynchronous fs.write calls, one per batch, so a request never waits on stdout (which Node
 * writes synchronously for files and pipes). Whatever is still buffered at exit is written then.
 */
export class AsyncLineWriter {
  private buffer: string[] = [];
  private writing = false;

  constructor(private readonly fd = 1) {
    process.once('exit', () => this.flushSync());
  }

  write(line: string): void {
    this.buffer.push(line.endsWith('\n') ? line : `${line}\n`);
    if (!this.writing) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    this.writing = true;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    this.buffer = [];
    this.writeChunk(chunk);
  }

  private writeChunk(chunk: Buffer): void {
    fs.write(this.fd, chunk, (error, written) => {
      if (error && error.code === 'EAGAIN') {
        setTimeout(() => this.writeChunk(chunk), 5).unref();
        return;
      }
      // Another error (a closed terminal): the lines are lost rather than the process.
      if (!error && written < chunk.length) {
        this.writeChunk(chunk.subarray(written));
        return;
      }
      this.writing = false;
      this.flush();
    });
  }

  flushSync(): void {
    const rest = this.buffer.join('');
    this.buffer = [];
    if (rest.length > 0) {
      try {
        fs.writeSync(this.fd, rest);
      } catch {
        // Exiting anyway: nowhere left to report it.
      }
    }
  }
}

let stdout: AsyncLineWriter | undefined;

/** One writer for the process's stdout. */
export function asyncStdout(): AsyncLineWriter {
  stdout ??= new AsyncLineWriter(1);
  return stdout;
}
