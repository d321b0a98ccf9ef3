/**
 * The dev demo dApp (`walletd start --dev`, served at /demo): a page that finds walletd through
 * EIP-6963 like any dApp and walks through connect, sign, send, chain switch and events. Plain
 * HTML and script, no build step; everything the page shows is set with textContent.
 */
export const DEMO_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>walletd demo dApp</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1b2b3a; }
  h1 { font-size: 1.4rem; } button { font: inherit; margin: .2rem .4rem .2rem 0; padding: .3rem .8rem; }
  section { border: 1px solid #cfd8e0; border-radius: 8px; padding: .6rem 1rem; margin: .8rem 0; }
  code, pre { font: 13px ui-monospace, monospace; } pre { background: #f3f6f8; padding: .5rem; overflow-x: auto; max-height: 16rem; }
  .muted { color: #5b6b7a; } input { font: inherit; width: 7rem; }
</style>
</head>
<body>
<h1>walletd demo dApp</h1>
<p class="muted">Served by <code>walletd start --dev</code> only. It finds wallets through EIP-6963, like any dApp;
approve its requests in the terminal where walletd runs.</p>
<section><strong>Wallet</strong>: <span id="wallet">looking…</span> · status <span id="status">–</span>
  · chain <span id="chain">–</span> · account <span id="account">–</span></section>
<section>
  <button id="connect">Connect</button>
  <button id="sign">Sign a message</button>
  <button id="send">Send 0.001 ETH</button>
  <button id="subscribe">Subscribe to new blocks</button>
  <br>Switch to chain <input id="chainId" value="0x7a69"> <button id="switch">Switch chain</button>
</section>
<section><strong>Result</strong><pre id="result">–</pre></section>
<section><strong>Events</strong><pre id="events"></pre></section>
<script src="/demo/provider.js"></script>
<script src="/demo/app.js"></script>
</body>
</html>
`

export const DEMO_SCRIPT = `(() => {
  const $ = (id) => document.getElementById(id)
  const show = (id, value) => { $(id).textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2) }
  const log = (event, value) => { $('events').textContent = new Date().toLocaleTimeString() + '  ' + event + '  ' + JSON.stringify(value) + '\\n' + $('events').textContent }
  let provider = null
  let accounts = []
  window.addEventListener('eip6963:announceProvider', (e) => {
    if (provider || e.detail.info.rdns !== 'local.walletd') return
    provider = e.detail.provider
    show('wallet', e.detail.info.name + ' (' + e.detail.info.rdns + ')')
    for (const name of ['connect', 'disconnect', 'chainChanged', 'accountsChanged', 'message']) {
      provider.on(name, (value) => {
        log(name, value instanceof Error ? { code: value.code, message: value.message } : value)
        refresh()
      })
    }
    provider.on('statusChanged', refresh)
    refresh()
  })
  window.dispatchEvent(new Event('eip6963:requestProvider'))
  function refresh() {
    if (!provider) return
    show('status', provider.status)
    show('chain', provider.chainId || '–')
    accounts = provider.selectedAddress ? [provider.selectedAddress] : accounts
    show('account', provider.selectedAddress || '–')
  }
  async function run(method, params) {
    if (!provider) return show('result', 'walletd was not announced')
    show('result', method + '… (approve it in the terminal)')
    try {
      const result = await provider.request(params ? { method, params } : { method })
      show('result', { method, result })
      return result
    } catch (e) {
      show('result', { method, error: { code: e.code, message: e.message, data: e.data } })
    }
  }
  $('connect').onclick = async () => { const r = await run('eth_requestAccounts'); if (r) accounts = r; refresh() }
  $('sign').onclick = () => run('personal_sign', ['0x' + [...new TextEncoder().encode('Hello from the walletd demo dApp')].map((b) => b.toString(16).padStart(2, '0')).join(''), accounts[0]])
  $('send').onclick = () => run('eth_sendTransaction', [{ from: accounts[0], to: accounts[0], value: '0x38d7ea4c68000' }])
  $('subscribe').onclick = () => run('eth_subscribe', ['newHeads'])
  $('switch').onclick = () => run('wallet_switchEthereumChain', [{ chainId: $('chainId').value.trim() }])
})()
`
