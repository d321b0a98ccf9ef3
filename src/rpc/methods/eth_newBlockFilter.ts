import { zNoParams } from '../schemas/primitives.js'
import { defineFilterInstall } from './defineFilterInstall.js'

/** Installs a new-block filter on the upstream of the origin's chain; answers walletd's own filter id. */
export const ethNewBlockFilter = defineFilterInstall('eth_newBlockFilter', zNoParams)
