#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `sparkify ls | head` closes the pipe early: that is not an error
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

// aws-sdk: on Node 20 every process that creates a client prints a notice that SDK releases after
// January 2027 need Node 22; the version in package-lock.json is unaffected, so keep it off the
// user's terminal. The library never writes to process.env: a program that embeds sparkify decides.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err);
    process.exitCode = 2;
  },
);
