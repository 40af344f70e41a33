// vitest globalSetup: install OpenBao once before any test file starts its own server, so parallel
// files do not each wait on (or time out during) the first-time install.
import { installOpenBao } from './openbao.js';

export default async function setup(): Promise<void> {
  await installOpenBao();
}
