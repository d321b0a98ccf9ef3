import { z } from 'zod'
import { zLogFilter } from '../schemas/logFilter.js'
import { defineFilterInstall } from './defineFilterInstall.js'

/** Installs a log filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewFilter = defineFilterInstall('eth_newFilter', z.tuple([zLogFilter]))
