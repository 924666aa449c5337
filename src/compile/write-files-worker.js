// Writing compiled files, in plain JavaScript so that the same module runs on the main thread and,
// unchanged, as a worker thread's script, from dist/ and (under the tests) from src/ alike.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort } from 'node:worker_threads';

/**
 * Writes files, making their folders. A file that exists with the same text is left alone: on some
 * file systems rewriting 10k files costs far more than reading them. Files in a folder made just
 * now are new, so they are not read first.
 * @param {{ file: string, text: string }[]} files
 * @returns {void}
 */
export function writeFiles(files) {
  // folder -> whether it existed before
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
}

/**
 * @param {string} file
 * @param {string} text
 */
function sameText(file, text) {
  try {
    return readFileSync(file, 'utf8') === text;
  } catch {
    return false;
  }
}

// as a worker: one list of files in, { ok } or the first error out
if (!isMainThread && parentPort) {
  const port = parentPort;
  port.once('message', (files) => {
    try {
      writeFiles(files);
      port.postMessage({ ok: true });
    } catch (e) {
      const err = /** @type {NodeJS.ErrnoException} */ (e);
      port.postMessage({ ok: false, error: { message: err.message, code: err.code, errno: err.errno, syscall: err.syscall, path: err.path } });
    }
  });
}
