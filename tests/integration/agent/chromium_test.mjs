// agent.chromium: Debian's Chromium (driven by playwright-core) loads a page from an allowed origin that lists
// the official's certificates and signs three documents through `lgsp agent` with fetch(), and a page from
// another origin whose fetch() is refused. One browser launch; the agent and both web servers run here.
// usage: node chromium_test.mjs LGSP_BINARY SOURCE_DIR HSM_SIM_DIR
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [lgsp, source, hsm] = process.argv.slice(2);
if (!lgsp || !source || !hsm) {
  console.error('usage: node chromium_test.mjs LGSP_BINARY SOURCE_DIR HSM_SIM_DIR');
  process.exit(2);
}
const fail = (why) => {
  console.error(`agent.chromium: FAILED: ${why}`);
  process.exitCode = 1;
  throw new Error(why);
};
const check = (ok, why) => { if (!ok) fail(why); };

// The page: lists certificates, hashes three documents with WebCrypto, asks the agent to sign them.
const page = (agentUrl) => `<!doctype html><meta charset="utf-8"><title>Một cửa</title><script>
async function run() {
  try {
    const list = await (await fetch('${agentUrl}/v1/certificates')).json();
    const cert = list.certificates.find((c) => c.token_label === 'official-01');
    const docs = ['Giấy khai sinh 1', 'Giấy khai sinh 2', 'Quyết định 3'];
    const items = [];
    for (const d of docs) {
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(d)));
      items.push({ digest: btoa(String.fromCharCode(...digest)), title: d });
    }
    const answer = await fetch('${agentUrl}/v1/sign', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ certificate: cert.fingerprint, items }) });
    return { status: answer.status, docs, body: await answer.json() };
  } catch (e) {
    return { error: String(e) };
  }
}
</script>`;

function serve(html) {
  return new Promise((resolve) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(html());
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  fail(`the agent did not listen on ${port}`);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-agent-chromium-'));
let agent, browser;
const servers = [];
try {
  // Copies of hsm-sim's tokens, so that this test's logins never touch the shared ones.
  fs.cpSync(path.join(hsm, 'tokens'), path.join(dir, 'tokens'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'softhsm2.conf'),
    `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  fs.mkdirSync(path.join(dir, 'pinentry'));
  const module = fs.readFileSync(path.join(hsm, 'env'), 'utf8').match(/^export LGSP_PKCS11_MODULE=(.*)$/m)[1];

  const agentPort = await freePort();
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  let allowed = await serve(() => page(agentUrl));
  let other = await serve(() => page(agentUrl));
  servers.push(allowed, other);
  const allowedOrigin = `http://127.0.0.1:${allowed.address().port}`;
  const otherOrigin = `http://127.0.0.1:${other.address().port}`;

  agent = spawn(lgsp, ['agent', '--listen', `127.0.0.1:${agentPort}`, '--allow-origin', allowedOrigin,
    '--pinentry', path.join(source, 'tests/support/scripted-pinentry'), '--module', module], {
    env: { ...process.env, SOFTHSM2_CONF: path.join(dir, 'softhsm2.conf'),
      SCRIPTED_PINENTRY_DIR: path.join(dir, 'pinentry') },
    stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'agent.log'), 'a')],
  });
  await waitForPort(agentPort);

  browser = await chromium.launch({ executablePath: process.env.LGSP_CHROMIUM || '/usr/bin/chromium',
    headless: true, args: ['--no-sandbox'] });
  const context = await browser.newContext();
  const tab = await context.newPage();

  await tab.goto(`${allowedOrigin}/`);
  const ok = await tab.evaluate(() => run());
  check(!ok.error, `the allowed origin's fetch failed: ${ok.error}`);
  check(ok.status === 200, `the allowed origin got ${ok.status}: ${JSON.stringify(ok.body)}`);
  check(ok.body.signatures.length === 3, 'three signatures');
  const cert = new crypto.X509Certificate(Buffer.from(ok.body.chain[0], 'base64'));
  ok.docs.forEach((d, i) => {
    check(crypto.verify('sha256', Buffer.from(d), cert.publicKey, Buffer.from(ok.body.signatures[i], 'base64')),
      `signature ${i} does not verify over "${d}"`);
  });
  const shown = fs.readFileSync(path.join(dir, 'pinentry', 'record'), 'utf8');
  check((shown.match(/=== pinentry/g) || []).length === 1, 'one PIN entry for three documents');
  check(shown.includes(allowedOrigin), 'the PIN dialog names the requesting origin');
  check(shown.includes('Quyết định 3'), 'the PIN dialog shows the titles');

  await tab.goto(`${otherOrigin}/`);
  const refused = await tab.evaluate(() => run());
  check(refused.error && /fetch/i.test(refused.error), `another origin was not refused: ${JSON.stringify(refused)}`);
  const after = fs.readFileSync(path.join(dir, 'pinentry', 'record'), 'utf8');
  check(after === shown, 'no PIN asked for another origin');
  console.log(`agent.chromium: ok (${allowedOrigin} signed 3 documents; ${otherOrigin} refused)`);
} catch (e) {
  process.exitCode = 1;
  console.error(e);
  try { console.error(fs.readFileSync(path.join(dir, 'agent.log'), 'utf8').slice(-2000)); } catch {}
} finally {
  if (browser) await browser.close();
  for (const s of servers) s.close();
  if (agent) agent.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
}
