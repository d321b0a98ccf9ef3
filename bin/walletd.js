#!/usr/bin/env node
import('../dist/bundle/walletd.mjs').then((m) => m.main(process.argv))
