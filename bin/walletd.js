#!/usr/bin/env node
// Node opens its inspector (127.0.0.1:9229, no authentication: it can read keys from memory) when
// the process gets SIGUSR1, unless a SIGUSR1 listener is installed. Node 20 has no
// --disable-sigusr1, so walletd installs one before anything else loads (see docs/security.md).
process.on('SIGUSR1', () => {})
import('../dist/bundle/walletd.mjs').then((m) => m.main(process.argv))
