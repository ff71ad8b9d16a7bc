// The citizen home page's first load in Debian's Chromium: bytes on the wire (compressed, headers included) and
// time to interactive (navigation start → the router has drawn the page with its data and handlers:
// <html data-ready>), cold cache, median of N loads; and, with --officials N, N officials' queues at once.
// usage: node tests/bench/web_bench.mjs LGSP_BINARY [LOADS]      (docs/benchmarks.md, "Web pages")
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const lgsp = path.resolve(process.argv[2] || 'build/test/apps/lgsp/lgsp');
const loads = Number(process.argv[3] || 7);
const source = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-web-bench-'));
const port = await new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const origin = `http://127.0.0.1:${port}`;
fs.writeFileSync(path.join(dir, 'onestop.toml'), `[server]\nlisten = "127.0.0.1:${port}"\n[store]\ndata_dir = "${dir}/data"\n`);
spawnSync(lgsp, ['onestop', 'procedure', 'import', path.join(source, 'onestop/samples/procedures.json'), '--config', path.join(dir, 'onestop.toml')]);
const office = spawn(lgsp, ['onestop', 'serve', '--config', path.join(dir, 'onestop.toml')], { stdio: 'ignore' });
let browser;
try {
  for (let i = 0; i < 100; i++) { try { if ((await fetch(`${origin}/healthz`)).ok) break; } catch { /* not yet */ } await new Promise((r) => setTimeout(r, 50)); }
  browser = await chromium.launch({ executablePath: process.env.LGSP_CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  const runs = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    let bytes = 0; let requests = 0; let decoded = 0;
    cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; requests += 1; });
    cdp.on('Network.dataReceived', (e) => { decoded += e.dataLength; });
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '/');
    const tti = await page.evaluate(() => performance.now());
    const dcl = await page.evaluate(() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd);
    runs.push({ bytes, decoded, requests, tti, dcl });
    await context.close();
  }
  const median = (k) => { const v = runs.map((r) => r[k]).sort((a, b) => a - b); return v[Math.floor(v.length / 2)]; };
  console.log(JSON.stringify({ loads, requests: median('requests'), first_load_bytes_on_wire: median('bytes'), bytes_decoded: median('decoded'),
    dom_content_loaded_ms: Math.round(median('dcl')), time_to_interactive_ms: Math.round(median('tti')) }, null, 1));
} finally {
  if (browser) await browser.close();
  office.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
