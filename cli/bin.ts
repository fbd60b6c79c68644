// The `xdsflare` executable: runs the CLI on this process's arguments and exits with its code.
import { text } from 'node:stream/consumers';
import { run } from './main';

// `xdsflare get revisions | head` closes the pipe early: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await run(process.argv.slice(2), {
  stderrIsTTY: process.stderr.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
  env: process.env,
  cwd: process.cwd(),
  stdout: (t) => process.stdout.write(`${t}\n`),
  stderr: (t) => process.stderr.write(`${t}\n`),
  readStdin: () => text(process.stdin),
});
// Not process.exit(): stdout may still be draining into a pipe.
process.exitCode = code;
