/** walletd's icon: a 96×96 SVG (a key in a rounded square), as the data URI EIP-6963 asks for. */
const SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96">' +
  '<rect width="96" height="96" rx="20" fill="#1b2b3a"/>' +
  '<circle cx="36" cy="48" r="16" fill="none" stroke="#7fd1b9" stroke-width="8"/>' +
  '<path d="M52 48h30M70 48v12M80 48v8" stroke="#7fd1b9" stroke-width="8" stroke-linecap="round"/></svg>'

export const WALLETD_ICON = `data:image/svg+xml;base64,${btoa(SVG)}`
