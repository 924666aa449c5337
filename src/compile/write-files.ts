import { Worker } from 'node:worker_threads';
import { writeFiles } from './write-files-worker.js';

export { writeFiles };

const INLINE_FILES = 200;

export interface CompiledFile {
  file: string;
  text: string;
}

/**
 * writeFiles on a worker thread: the caller goes on while the kernel creates the files. Settles when
 * every file is written, with the first write error if any. Should the worker itself fail (no thread
 * to be had), the files are written here instead.
 */
export function writeFilesInWorker(files: CompiledFile[]): Promise<void> {
  // a thread costs more to start than a few hundred files take to write (watch mode's rebuilds)
  if (files.length < INLINE_FILES) {
    try {
      writeFiles(files);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const fallBack = () => {
      if (settled) return;
      settled = true;
      try {
        writeFiles(files);
        resolve();
      } catch (err) {
        reject(err as Error);
      }
    };
    let worker: Worker;
    try {
      worker = new Worker(new URL('./write-files-worker.js', import.meta.url));
    } catch {
      fallBack();
      return;
    }
    worker.once('message', (m: { ok: true } | { ok: false; error: { message: string } & Record<string, unknown> }) => {
      settled = true;
      void worker.terminate();
      if (m.ok) resolve();
      else reject(Object.assign(new Error(m.error.message), m.error));
    });
    worker.once('error', fallBack);
    worker.once('exit', fallBack);
    worker.postMessage(files);
  });
}
