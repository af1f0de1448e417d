import type { Env } from '@zdm/db/env';

/** What a run of the command reads and writes. Its own file, so the package's entry types reach no ORM's. */
export interface Streams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  cwd: string;
  env: Env;
  isTTY: boolean;
}
