import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

export interface CompiledFile {
  file: string;
  text: string;
}

/**
 * Writes files, making their folders. A file that exists with the same text is left alone: on some
 * file systems rewriting 10k files costs far more than reading them. Files in a folder made just
 * now are new, so they are not read first.
 */
export function writeFiles(files: CompiledFile[]): void {
  // folder -> whether it existed before
  const folders = new Map<string, boolean>();
  for (const { file, text } of files) {
    const folder = path.dirname(file);
    let existed = folders.get(folder);
    if (existed === undefined) {
      existed = mkdirSync(folder, { recursive: true }) === undefined;
      folders.set(folder, existed);
    }
    if (existed && sameText(file, text)) continue;
    writeFileSync(file, text);
  }
}

function sameText(file: string, text: string): boolean {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

// writeFiles again, as plain JavaScript: the worker's source is inlined so that it needs no file of
// its own (the same code then runs from dist/ and, under the tests, from src/). Keep the two alike.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
function sameText(file, text) {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}
parentPort.once('message', (files) => {
  try {
    const folders = new Map();
    for (const { file, text } of files) {
      const folder = path.dirname(file);
      let existed = folders.get(folder);
      if (existed === undefined) {
        existed = mkdirSync(folder, { recursive: true }) === undefined;
        folders.set(folder, existed);
      }
      if (existed && sameText(file, text)) continue;
      writeFileSync(file, text);
    }
    parentPort.postMessage({ ok: true });
  } catch (e) {
    parentPort.postMessage({ ok: false, error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path } });
  }
});
`;

/**
 * writeFiles on a worker thread: the caller goes on while the kernel creates the files. Settles when
 * every file is written, with the first write error if any. Should the worker itself fail (no thread
 * to be had), the files are written here instead.
 */
export function writeFilesInWorker(files: CompiledFile[]): Promise<void> {
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
      worker = new Worker(WORKER_SOURCE, { eval: true });
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
