#!/usr/bin/env node
// The `sessionkit` command: see `sessionkit --help`, and docs/cli.md.
import { runCli } from './cli/program.js';

void runCli(process.argv).then((code) => {
  process.exitCode = code;
  // Every store is closed by now; should a driver still hold a socket, do not hang a cron job.
  setTimeout(() => process.exit(code), 2000).unref();
});
