// The citizen home page's first load in Debian's Chromium: bytes on the wire (compressed, headers included) and
// time to interactive (navigation start → the router has drawn the page with its data and handlers:
// <html data-ready>), cold cache, median of N loads; and, with --officials N, N officials' queues at once.
// usage: node tests/bench/web_bench.mjs LGSP_BINARY [LOADS]      (docs/benchmarks.md, "Web pages")
//        node tests/bench/web_bench.mjs LGSP_BINARY --officials N [--seconds S] [--dossiers D]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : fallback; };
const lgsp = path.resolve(args[0] || 'build/test/apps/lgsp/lgsp');
const officials = option('--officials', 0);
const source = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-web-bench-'));
const config = path.join(dir, 'onestop.toml');
const port = await new Promise((resolve) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const origin = `http://127.0.0.1:${port}`;

function cli(argv, input) {
  const r = spawnSync(lgsp, ['onestop', ...argv, '--config', config], { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`lgsp onestop ${argv.join(' ')}: exit ${r.status}: ${r.stderr || r.error}`);
  return r.stdout;
}
// The office's output goes to a log that is printed when it does not come up, so a bad binary or config is a
// clear error rather than a hang or a refused connection later.
async function startOffice() {
  const logFile = path.join(dir, 'office.log');
  const out = fs.openSync(logFile, 'a');
  const office = spawn(lgsp, ['onestop', 'serve', '--config', config], { stdio: ['ignore', out, out] });
  let exited = null;
  office.on('exit', (code, signal) => { exited = signal || code; });
  for (const until = Date.now() + 30000; ;) {
    try { if ((await fetch(`${origin}/healthz`)).ok) return office; } catch { /* not yet */ }
    if (exited !== null || Date.now() > until) {
      office.kill('SIGTERM');
      throw new Error(`the office did not come up on ${origin} (${exited !== null ? `exited: ${exited}` : 'no /healthz in 30 s'}); its log:\n` +
        fs.readFileSync(logFile, 'utf8'));
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

// ---------- first load of the citizen home page (the default mode) ----------
async function firstLoad() {
  const { chromium } = await import('playwright-core');
  const loads = Number(args[1] || 7);
  fs.writeFileSync(config, `[server]\nlisten = "127.0.0.1:${port}"\n[store]\ndata_dir = "${dir}/data"\n`);
  cli(['procedure', 'import', path.join(source, 'onestop/samples/procedures.json')]);
  const office = await startOffice();
  let browser;
  try {
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
  }
}

// ---------- N officials working their queues at once ----------
// What an official's queue page asks the office for, with plain HTTP (Node's fetch) instead of N browsers:
// 50 Chromiums would not fit on the 2-core machine next to the office, and the office's answers are what is
// measured. Each official loops without think time (the worst case: every official clicks as fast as the office
// answers) over: the page (the HTML shell, then every asset revalidated with If-None-Match, as a browser
// does for `Cache-Control: no-cache`), GET /session, GET /queues, the first queue (the page shows it on
// load), one queue with dossiers picked at random, and one dossier of it. One request at a time per official,
// so at most N connections are open (a browser would open up to 6 each, and all N come from 127.0.0.1 here,
// where server.max_connections_per_source, 256, would refuse the excess).
async function queuesAtOnce() {
  const seconds = option('--seconds', 20);
  const dossiers = option('--dossiers', 300);
  const agency = '000.00.13.H29';
  fs.writeFileSync(config, `[server]\nlisten = "127.0.0.1:${port}"\n[store]\ndata_dir = "${dir}/data"\n` +
    `[agency]\ncode = "${agency}"\nname = "UBND phường Bến Thành"\npublic_url = "${origin}"\n` +
    `[web]\norigin = "${origin}"\nofficial_password_sign_in = true\n`);
  const setupStarted = Date.now();
  cli(['procedure', 'import', path.join(source, 'onestop/samples/procedures.json')]);
  // Mostly desks and specialists, a few leaders (a ward office's mix).
  const leaders = Math.max(1, Math.round(officials * 0.12));
  const receiving = Math.round((officials - leaders) * 0.45);
  const staff = [];
  for (let i = 0; i < officials; i++) {
    const role = i < receiving ? 'receiving' : i < officials - leaders ? 'processing' : 'leader';
    const username = `${role.slice(0, 4)}${String(i).padStart(2, '0')}`;
    const out = cli(['user', 'add', username, '--role', role, '--name', `Cán bộ ${i}`]);
    const token = (out.match(/[A-Za-z0-9_-]{32,}/) || [])[0];
    const password = `mat-khau-${username}-2026`;
    cli(['user', 'password', username], `${password}\n`);
    staff.push({ username, role, token, password });
  }
  const office = await startOffice();
  try {
    const api = async (method, p, { token, cookie, csrf, body, type } = {}) => {
      const headers = {};
      if (token) headers.Authorization = `Bearer ${token}`;
      if (cookie) headers.Cookie = `lgsp_session=${cookie}`;
      if (csrf) headers['X-CSRF-Token'] = csrf;
      if (body !== undefined) headers['Content-Type'] = type || 'application/json';
      const r = await fetch(`${origin}/onestop/v1${p}`, { method, headers, body: body === undefined ? undefined : type ? body : JSON.stringify(body) });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 300)}`);
      const cookieOut = (r.headers.getSetCookie().find((c) => c.startsWith('lgsp_session=')) || '').split(/[=;]/)[1];
      return { json: text ? JSON.parse(text) : null, cookie: cookieOut };
    };
    const pool = async (n, width, fn) => {
      let next = 0;
      await Promise.all(Array.from({ length: width }, async () => { while (next < n) await fn(next++); }));
    };
    // ---------- setup: dossiers in every queue that can be reached without signing a result ----------
    const desk = staff.find((s) => s.role === 'receiving').token;
    const pdf = Buffer.from('%PDF-1.4\n% to khai\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n', 'latin1');
    const sha = (await api('POST', '/files', { token: desk, body: pdf, type: 'application/pdf' })).json.sha256;
    const profiles = [];
    for (let i = 0; i < 20; i++) {
      profiles.push((await api('POST', '/profiles', { token: desk, body: { full_name: `Nguyễn Văn ${i}`, id_number: `079185${String(i).padStart(6, '0')}`,
        date_of_birth: '1985-03-04', gender: 'male', hometown: 'Bến Tre', ethnicity: 'Kinh', nationality: 'Việt Nam', permanent_address: `${i} Lê Lợi, phường Bến Thành`, phone: `09120${String(i).padStart(5, '0')}` } })).json.customer_code);
    }
    // A tenth filed online by three citizens (status 1, the desk's "to accept" queue); sign-ups per source are limited to 10.
    const online = Math.round(dossiers / 10);
    const citizens = [];
    for (let i = 0; i < 3; i++) {
      const s = await api('POST', '/session/signup', { body: { phone: `09130${String(i).padStart(5, '0')}`, password: 'mật khẩu dài 12', full_name: `Trần Thị ${i}`,
        id_number: `079190${String(i).padStart(6, '0')}`, date_of_birth: '1990-07-21' } });
      const c = { cookie: s.cookie, csrf: s.json.csrf };
      c.sha = (await api('POST', '/files', { ...c, body: pdf, type: 'application/pdf' })).json.sha256;
      citizens.push(c);
    }
    await pool(online, 4, async (i) => {
      const c = citizens[i % citizens.length];
      await api('POST', '/dossiers', { ...c, body: { procedure_code: '2.000635', channel: 2, documents: [{ code: 'TK', sha256: c.sha }, { code: 'GTTT', sha256: c.sha }] } });
    });
    // The rest at the counter (status 2); of each nine: three stay received, four are handed over to processing
    // (4), one handed over and then waiting for a supplement, one waiting for a supplement from the desk (5).
    const ask = { items: [{ name: 'Tờ khai (bản chính)', reason: 'bản chụp mờ' }] };
    await pool(dossiers - online, 4, async (i) => {
      const filed = await api('POST', '/dossiers', { token: desk, body: { procedure_code: '2.000635', customer_code: profiles[i % profiles.length], channel: 1,
        documents: [{ code: 'TK', sha256: sha }, { code: 'GTTT', sha256: sha }] } });
      const code = encodeURIComponent(filed.json.code);
      if (i % 9 >= 3 && i % 9 <= 7) await api('POST', `/dossiers/${code}/handover`, { token: desk, body: {} });
      if (i % 9 >= 7) await api('POST', `/dossiers/${code}/actions/request_supplement`, { token: desk, body: ask });
    });
    const setupSeconds = (Date.now() - setupStarted) / 1000;

    // ---------- sign in ----------
    const signinMs = [];
    for (const s of staff) {
      const t = performance.now();
      const a = await api('POST', '/session/signin', { body: { username: s.username, password: s.password } });
      signinMs.push(performance.now() - t);
      if (!a.cookie || !a.json.csrf) throw new Error(`sign-in of ${s.username} gave no session cookie or CSRF token`);
      s.cookie = a.cookie;
    }
    const queueCounts = {};
    for (const s of staff) {
      for (const q of (await api('GET', '/queues', { cookie: s.cookie })).json.queues) queueCounts[`${s.role}.${q.name}`] = q.count;
    }
    const assets = [...fs.readFileSync(path.join(source, 'onestop/web/index.html'), 'utf8').matchAll(/(?:href|src)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
    assets.push('/assets/official.js', '/assets/web-config.json'); // the officials' module (dynamic import) and the page's settings
    const etags = {};
    for (const a of assets) etags[a] = (await fetch(origin + a)).headers.get('etag');

    // ---------- the run ----------
    const lat = {}; const bytes = {}; const errors = {};
    const record = (kind, ms, n) => { (lat[kind] ||= []).push(ms); bytes[kind] = (bytes[kind] || 0) + n; };
    const fail = (kind, what) => { const e = (errors[kind] ||= { count: 0, samples: [] }); e.count += 1; if (e.samples.length < 5) e.samples.push(what); };
    // One request, timed until its body is read; anything but 2xx (or the 304 asked for) is an error, never skipped.
    const timed = async (kind, url, headers, expect304 = false) => {
      const t = performance.now();
      try {
        const r = await fetch(url, { headers, signal: AbortSignal.timeout(30000) });
        const body = await r.arrayBuffer();
        const ms = performance.now() - t;
        if (!(r.ok || (expect304 && r.status === 304))) { fail(kind, `${r.status} ${url.slice(origin.length)} ${Buffer.from(body).toString('utf8').slice(0, 200)}`); return null; }
        record(kind, ms, body.byteLength);
        return body;
      } catch (e) { fail(kind, `${url.slice(origin.length)}: ${e.message}`); return null; }
    };
    const until = performance.now() + seconds * 1000;
    const loops = staff.map(async (s) => {
      const cookie = { Cookie: `lgsp_session=${s.cookie}`, 'Accept-Encoding': 'gzip' };
      const get = async (kind, p) => { const b = await timed(kind, `${origin}/onestop/v1${p}`, cookie); return b && JSON.parse(Buffer.from(b).toString('utf8')); };
      while (performance.now() < until) {
        await timed('page', `${origin}/can-bo`, cookie);
        for (const a of assets) await timed('asset_304', origin + a, { ...cookie, 'If-None-Match': etags[a] }, true);
        await get('session', '/session');
        const q = await get('queues', '/queues');
        if (!q) continue;
        await get('first_queue', `/dossiers?${q.queues[0].query}`);
        const withDossiers = q.queues.slice(1).filter((x) => x.count > 0);
        if (!withDossiers.length) continue;
        const list = await get('queue', `/dossiers?${withDossiers[Math.floor(Math.random() * withDossiers.length)].query}`);
        if (!list || !list.dossiers.length) continue;
        await get('dossier', `/dossiers/${encodeURIComponent(list.dossiers[Math.floor(Math.random() * list.dossiers.length)].code)}`);
      }
    });
    const started = performance.now();
    await Promise.all(loops);
    const elapsed = (performance.now() - started) / 1000;

    const pct = (v, p) => v[Math.min(v.length - 1, Math.ceil((p / 100) * v.length) - 1)];
    const summary = (v, n) => {
      v.sort((a, b) => a - b);
      return { count: v.length, per_second: Math.round(v.length / elapsed), p50_ms: +pct(v, 50).toFixed(1), p95_ms: +pct(v, 95).toFixed(1),
        p99_ms: +pct(v, 99).toFixed(1), max_ms: +v[v.length - 1].toFixed(1), ...(n !== undefined ? { mean_bytes_decoded: Math.round(n / v.length) } : {}) };
    };
    const kinds = Object.fromEntries(Object.keys(lat).map((k) => [k, summary([...lat[k]], bytes[k])]));
    const all = (ks) => summary(ks.flatMap((k) => lat[k] || []));
    const errorCount = Object.values(errors).reduce((n, e) => n + e.count, 0);
    console.log(JSON.stringify({
      officials, roles: Object.fromEntries(['receiving', 'processing', 'leader'].map((r) => [r, staff.filter((s) => s.role === r).length])),
      dossiers, think_time_ms: 0, seconds: +elapsed.toFixed(1), setup_seconds: +setupSeconds.toFixed(1), load_average: os.loadavg().map((x) => +x.toFixed(2)), cpus: os.cpus().length,
      queues: queueCounts, signin: summary(signinMs),
      page: all(['page', 'asset_304']), api: all(['session', 'queues', 'first_queue', 'queue', 'dossier']), kinds,
      errors: errorCount, error_detail: errors,
    }, null, 1));
    if (errorCount) process.exitCode = 1;
  } finally {
    office.kill('SIGTERM');
  }
}

try {
  if (officials > 0) await queuesAtOnce(); else await firstLoad();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
