#!/usr/bin/env node
// Launcher only: everything lives in the built CLI (dist/bundle/, made by `npm run build`).
import('../dist/bundle/main.js').then((cli) => cli.main(process.argv));
