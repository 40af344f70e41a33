// vitest globalSetup: install the database peers (PostgreSQL, MariaDB, Redis; Debian packages) once,
// before the files that start them run in parallel and each wait on (or time out during) the install.
import { installPeer } from './server-process.js';

export default async function setup(): Promise<void> {
  for (const name of ['postgresql', 'mariadb', 'redis']) await installPeer(name);
}
