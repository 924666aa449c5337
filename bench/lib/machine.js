import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  } catch {
    return undefined;
  }
}

export function describeMachine(root) {
  const cpus = os.cpus();
  let duckdb;
  try {
    duckdb = JSON.parse(readFileSync(path.join(root, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')).version;
  } catch {
    duckdb = undefined;
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    duckdbNodeApi: duckdb,
    postgres: tryRun('psql', ['-h', '127.0.0.1', '-U', 'root', '-d', 'test', '-Atc', 'show server_version']),
    psql: tryRun('psql', ['--version']),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}
