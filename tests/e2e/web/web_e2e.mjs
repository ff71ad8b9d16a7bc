// e2e.web: the one-stop office's web pages in Debian's Chromium (playwright-core), against `lgsp onestop serve`
// on a clean data folder, `lgsp agent` on copies of hsm-sim's tokens with the scripted pinentry, and aiosmtpd.
// One browser, the journey as steps; axe-core on every page; screenshots of each page into ARTIFACTS.
// usage: node web_e2e.mjs LGSP_BINARY SOURCE_DIR HSM_SIM_DIR ARTIFACTS_DIR
import { chromium } from 'playwright-core';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const [lgsp, source, hsm, artifacts] = process.argv.slice(2).map((a) => (a ? path.resolve(a) : a));
if (!lgsp || !source || !hsm || !artifacts) {
  console.error('usage: node web_e2e.mjs LGSP_BINARY SOURCE_DIR HSM_SIM_DIR ARTIFACTS_DIR');
  process.exit(2);
}
const started = Date.now();
const log = (...a) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...a);
class Failure extends Error {}
const check = (ok, why) => { if (!ok) throw new Failure(why); };
const results = [];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lgsp-web-e2e-'));
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const children = [];

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
async function waitFor(what, test, ms = 15000) {
  const until = Date.now() + ms;
  for (;;) {
    try { if (await test()) return; } catch { /* not yet */ }
    if (Date.now() > until) throw new Failure(`${what} did not come up in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
function start(name, argv, env) {
  const out = fs.openSync(path.join(dir, `${name}.log`), 'a');
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  children.push({ name, child });
  return child;
}
function cli(args, env, input) {
  const r = spawnSync(lgsp, ['onestop', ...args, '--config', path.join(dir, 'onestop.toml')], { env: { ...process.env, ...env }, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Failure(`lgsp onestop ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// A small valid PDF (the office detects types from content).
function minimalPdf(title) {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << >> >>'];
  const stream = `% ${title}\n`;
  objs.push(`<< /Length ${stream.length} >>\nstream\n${stream}endstream`);
  let out = '%PDF-1.4\n';
  const offs = [];
  objs.forEach((o, i) => { offs.push(out.length); out += `${i + 1} 0 obj\n${o}\nendobj\n`; });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

const axeSource = fs.readFileSync(path.join(source, 'node_modules/axe-core/axe.min.js'), 'utf8');
let shot = 0;
const cspViolations = [];
// Every page: axe-core finds no serious or critical violation; a screenshot is kept.
async function audit(page, name) {
  await page.waitForFunction(() => document.documentElement.dataset.ready !== undefined);
  await page.evaluate(`${axeSource}\n;0`);
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`);
  });
  const file = `${String(++shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: path.join(artifacts, file), fullPage: true });
  check(found.length === 0, `axe-core on ${name} (${page.url()}):\n  ${found.join('\n  ')}`);
  return file;
}

async function step(name, fn) {
  const t = Date.now();
  try {
    await fn();
    results.push(`ok   ${name} (${Date.now() - t} ms)`);
    log(`ok   ${name}`);
  } catch (e) {
    results.push(`FAIL ${name}: ${e.message}`);
    throw e;
  }
}

let browser;
try {
  // ---------- servers ----------
  const officePort = await freePort();
  const agentPort = await freePort();
  const smtpPort = await freePort();
  const origin = `http://127.0.0.1:${officePort}`;
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const hsmEnv = Object.fromEntries(fs.readFileSync(path.join(hsm, 'env'), 'utf8').split('\n')
    .map((l) => l.match(/^export ([A-Z0-9_]+)=(.*)$/)).filter(Boolean).map((m) => [m[1], m[2]]));
  const pki = path.join(hsm, 'pki');
  const configBase = `[server]\nlisten = "127.0.0.1:${officePort}"\n[store]\ndata_dir = "${dir}/data"\n` +
    `[agency]\ncode = "000.00.13.H29"\nname = "UBND phường Bến Thành"\npublic_url = "${origin}"\n` +
    `[signing]\nca_chain = "${pki}/issuing-ca.pem"\ntrust_roots = "${pki}/root-ca.pem"\nrevocation = "crl"\ncrl = "${pki}/crl.pem"\n` +
    `[web]\nagent_url = "${agentUrl}"\n`;
  // Officials may sign in by password here (the leader uses the token); notifications go to the SMTP sink.
  fs.writeFileSync(path.join(dir, 'onestop.toml'), `${configBase}origin = "${origin}"\nofficial_password_sign_in = true\n` +
    `[notify]\nsmtp_host = "127.0.0.1"\nsmtp_port = ${smtpPort}\nsmtp_from = "Bộ phận một cửa <motcua@example.vn>"\nsmtp_starttls = "none"\npoll_ms = 200\n`);
  cli(['procedure', 'import', path.join(source, 'onestop/samples/procedures.json')], hsmEnv);
  const token = (out) => (out.match(/[A-Za-z0-9_-]{32,}/) || [])[0];
  const lanToken = token(cli(['user', 'add', 'lan', '--role', 'receiving', '--name', 'Trần Thị Lan', '--title', 'Công chức Bộ phận một cửa'], hsmEnv));
  cli(['user', 'add', 'hung', '--role', 'processing', '--name', 'Lê Văn Hùng', '--title', 'Công chức Tư pháp - Hộ tịch'], hsmEnv);
  cli(['user', 'add', 'minh', '--role', 'leader', '--name', 'Đỗ Quang Minh', '--title', 'Phó Chủ tịch UBND phường', '--cccd', '079090000001'], hsmEnv);
  check(lanToken, 'user add prints the bearer token');
  cli(['user', 'add', 'quantri', '--role', 'admin', '--name', 'Quản trị hệ thống'], hsmEnv);
  for (const u of ['lan', 'hung', 'quantri']) cli(['user', 'password', u], hsmEnv, `mat-khau-${u}-2026\n`);
  const mail = path.join(dir, 'mail');
  start('smtp', ['/usr/bin/python3', path.join(source, 'tests/e2e/web/smtp_sink.py'), String(smtpPort), mail]);
  const portOpen = (port) => () => new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); }); c.on('error', () => resolve(false)); });
  await waitFor('the SMTP server', portOpen(smtpPort));
  const smtp = { messages: () => (fs.existsSync(mail) ? fs.readdirSync(mail).filter((f) => f.endsWith('.txt')).map((f) => fs.readFileSync(path.join(mail, f), 'utf8')) : []) };
  // The leader's agent: copies of hsm-sim's tokens (this test's PIN entries never touch the shared ones).
  fs.cpSync(path.join(hsm, 'tokens'), path.join(dir, 'tokens'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'softhsm2.conf'), `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  fs.mkdirSync(path.join(dir, 'pinentry'));
  start('agent', [lgsp, 'agent', '--listen', `127.0.0.1:${agentPort}`, '--allow-origin', origin,
    '--pinentry', path.join(source, 'tests/support/scripted-pinentry'), '--module', hsmEnv.LGSP_PKCS11_MODULE],
  { SOFTHSM2_CONF: path.join(dir, 'softhsm2.conf'), SCRIPTED_PINENTRY_DIR: path.join(dir, 'pinentry') });
  await waitFor('the agent', portOpen(agentPort));

  const office = start('office', [lgsp, 'onestop', 'serve', '--config', path.join(dir, 'onestop.toml')], hsmEnv);
  await waitFor('the office', async () => (await fetch(`${origin}/healthz`)).ok);
  log(`office on ${origin}`);

  // ---------- HTTP: headers, routes, 404s ----------
  await step('security headers on pages and assets; gzip; ETag 304; Vietnamese 404; API 404/405 unchanged', async () => {
    for (const p of ['/', '/thu-tuc/1.001193', '/assets/app.js', '/assets/style.css', '/khong-co-trang-nay']) {
      const r = await fetch(origin + p, { headers: { 'Accept-Encoding': 'gzip' } });
      const csp = r.headers.get('content-security-policy') || '';
      check(csp.includes("script-src 'self'") && csp.includes("object-src 'none'") && csp.includes("base-uri 'none'") &&
        csp.includes("frame-ancestors 'none'") && csp.includes(`connect-src 'self' ${agentUrl}`) && !csp.includes('unsafe-inline'), `CSP on ${p}: ${csp}`);
      check(r.headers.get('referrer-policy') === 'no-referrer', `Referrer-Policy on ${p}`);
      check(r.headers.get('x-content-type-options') === 'nosniff', `nosniff on ${p}`);
      check(!r.headers.get('strict-transport-security'), 'no HSTS over plain http');
      check(r.headers.get('etag'), `ETag on ${p}`);
      if (p === '/khong-co-trang-nay') {
        check(r.status === 404, `unknown page: ${r.status}`);
        check((await r.text()).includes('Không tìm thấy trang'), 'the 404 page is in Vietnamese');
      } else check(r.status === 200, `${p}: ${r.status}`);
    }
    const js = await fetch(`${origin}/assets/app.js`, { headers: { 'Accept-Encoding': 'gzip' } });
    check(js.headers.get('content-encoding') === 'gzip', 'text assets are served gzipped');
    check(js.headers.get('content-type').startsWith('text/javascript'), 'JavaScript type');
    const again = await fetch(`${origin}/assets/app.js`, { headers: { 'If-None-Match': js.headers.get('etag') } });
    check(again.status === 304, `If-None-Match gives 304, got ${again.status}`);
    const apiMissing = await fetch(`${origin}/onestop/v1/no-such-route`);
    check(apiMissing.status === 404 && (await apiMissing.json()).code === 'LGSP-404-ROUTE', 'API paths keep their problem+json 404');
    const wrongMethod = await fetch(`${origin}/onestop/v1/results/X`);
    check(wrongMethod.status === 405 && wrongMethod.headers.get('allow') === 'POST', `GET on a POST route: ${wrongMethod.status} ${wrongMethod.headers.get('allow')}`);
    const postPage = await fetch(`${origin}/tra-cuu`, { method: 'POST', body: 'x' });
    check(postPage.status === 404, `POST on a page: ${postPage.status}`);
    const dot = await fetch(`${origin}/assets/../index.html`);
    check(dot.status === 200 || dot.status === 404, 'dot segments are normalised or refused');
    const cfg = await (await fetch(`${origin}/assets/web-config.json`)).json();
    check(cfg.agent_url === agentUrl, 'the pages learn the agent URL from web-config.json');
    const vendor = spawnSync('bash', [path.join(source, 'deploy/web-vendor.sh'), '--check'], { encoding: 'utf8' });
    check(vendor.status === 0, `the committed vendor copies equal the pinned npm packages: ${vendor.stderr}`);
  });

  // A dossier filed at the counter over the API (bearer token), so the public lookup has something real.
  const profile = await (await fetch(`${origin}/onestop/v1/profiles`, { method: 'POST', headers: { Authorization: `Bearer ${lanToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ full_name: 'Phạm Thị Hoa', id_number: '079185000111', date_of_birth: '1985-03-04', gender: 'female', hometown: 'Bến Tre',
      ethnicity: 'Kinh', nationality: 'Việt Nam', permanent_address: '12 Lê Lợi, phường Bến Thành', phone: '0912000111' }) })).json();
  const upload = async (bytes, type) => (await (await fetch(`${origin}/onestop/v1/files`, { method: 'POST', headers: { Authorization: `Bearer ${lanToken}`, 'Content-Type': type }, body: bytes })).json()).sha256;
  const pdfSha = await upload(minimalPdf('counter'), 'application/pdf');
  const counter = await (await fetch(`${origin}/onestop/v1/dossiers`, { method: 'POST', headers: { Authorization: `Bearer ${lanToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ procedure_code: '2.000635', customer_code: profile.customer_code, channel: 1, documents: [{ code: 'TK', sha256: pdfSha }, { code: 'GTTT', sha256: pdfSha }] }) })).json();
  check(counter.code, `a counter dossier was filed: ${JSON.stringify(counter)}`);

  // ---------- browser ----------
  browser = await chromium.launch({ executablePath: process.env.LGSP_CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--lang=vi-VN'] });
  const watch = (page) => page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`); });
  const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', acceptDownloads: true });
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', acceptDownloads: true });
  const citizen = await phone.newPage(); watch(citizen);
  const wide = await desktop.newPage(); watch(wide);

  await step('home page at 360 px and desktop: procedures listed, no horizontal scroll', async () => {
    for (const [page, tag] of [[citizen, '360'], [wide, 'desktop']]) {
      await page.goto(`${origin}/`);
      await page.getByRole('heading', { level: 1, name: 'Thủ tục hành chính' }).waitFor();
      check(await page.locator('ul.list > li').count() >= 6, 'every sample procedure is listed');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 0, `${tag}: the page scrolls sideways by ${overflow} px`);
      check(await page.evaluate(() => document.documentElement.lang) === 'vi', 'lang="vi"');
      await audit(page, `trang-chu-${tag}`);
    }
  });

  await step('search without diacritics: "khai sinh" and "dang ky ket hon" find their procedures; filter by field and level', async () => {
    await citizen.getByLabel('Tên thủ tục hoặc lĩnh vực', { exact: true }).fill('khai sinh');
    await citizen.getByRole('button', { name: 'Tìm kiếm' }).click();
    await citizen.waitForURL(/q=khai\+sinh/);
    await citizen.getByRole('link', { name: 'Thủ tục đăng ký khai sinh' }).waitFor();
    check(!(await citizen.getByRole('link', { name: 'Thủ tục đăng ký kết hôn' }).count()), 'kết hôn is not a match for khai sinh');
    await audit(citizen, 'tim-kiem-khai-sinh-360');
    await citizen.goto(`${origin}/thu-tuc?q=dang+ky+ket+hon`);
    await citizen.getByRole('link', { name: 'Thủ tục đăng ký kết hôn' }).waitFor();
    await wide.goto(`${origin}/thu-tuc`);
    await wide.getByLabel('Mức độ trực tuyến', { exact: true }).selectOption('partial');
    await wide.getByRole('button', { name: 'Tìm kiếm' }).click();
    await wide.waitForURL(/muc-do=partial/);
    await wide.getByRole('heading', { name: 'Tìm thấy 1 thủ tục' }).waitFor();
    await wide.getByLabel('Lĩnh vực', { exact: true }).selectOption({ label: 'Hộ tịch' });
    await wide.getByLabel('Mức độ trực tuyến', { exact: true }).selectOption('');
    await wide.getByRole('button', { name: 'Tìm kiếm' }).click();
    await wide.waitForURL(/linh-vuc=/);
    await wide.getByRole('heading', { name: 'Tìm thấy 5 thủ tục' }).waitFor();
    check((await wide.locator('ul.list > li').allInnerTexts()).every((t) => t.includes('Hộ tịch')), 'the Hộ tịch field lists its procedures only');
  });

  await step('keyboard only at 360 px: the skip link, focus visible, a search typed and sent with Enter, a procedure opened with Enter', async () => {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 740 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    const page = await ctx.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => document.documentElement.dataset.ready === '/');
    const active = () => page.evaluate(() => {
      const a = document.activeElement;
      return { text: a.textContent.trim(), id: a.id, name: a.getAttribute('name'), cls: a.className, outline: getComputedStyle(a).outlineStyle };
    });
    await page.keyboard.press('Tab');
    let a = await active();
    check(a.text === 'Bỏ qua, đến nội dung chính', `the first Tab reaches the skip link: ${JSON.stringify(a)}`);
    check(a.outline !== 'none', 'the focused link shows its focus');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'main');
    const tabTo = async (test, limit) => {
      for (let i = 0; i < limit; i++) { a = await active(); if (test(a)) return; await page.keyboard.press('Tab'); }
      a = await active();
      check(test(a), `not reached by Tab: ${JSON.stringify(a)}`);
    };
    await tabTo((x) => x.name === 'q', 10);
    check(a.outline !== 'none', 'the focused field shows its focus');
    await page.keyboard.type('dang ky ket hon');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=dang\+ky\+ket\+hon/);
    await page.getByRole('heading', { name: 'Tìm thấy 1 thủ tục' }).waitFor();
    await tabTo((x) => x.cls === 'title', 15);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/thu-tuc\/1\.001022$/);
    await page.getByRole('heading', { name: 'Thủ tục đăng ký kết hôn' }).waitFor();
    await ctx.close();
  });

  await step('procedure page: documents, fees in đồng, time, channels', async () => {
    await citizen.goto(`${origin}/thu-tuc`);
    await citizen.getByLabel('Tên thủ tục hoặc lĩnh vực', { exact: true }).fill('khai sinh');
    await citizen.getByRole('button', { name: 'Tìm kiếm' }).click();
    await citizen.getByRole('link', { name: 'Thủ tục đăng ký khai sinh' }).click();
    await citizen.getByRole('heading', { level: 1, name: 'Thủ tục đăng ký khai sinh' }).waitFor();
    const text = await citizen.locator('main').innerText();
    check(text.includes('Tờ khai đăng ký khai sinh') && text.includes('0 đ') && text.includes('0,5 ngày làm việc') && text.includes('Trực tuyến'), `procedure page content:\n${text.slice(0, 600)}`);
    await audit(citizen, 'thu-tuc-khai-sinh-360');
  });

  await step('lookup by dossier code: status, appointment (dd/mm/yyyy), unit, the steps as a timeline without personal data; an unknown code is explained', async () => {
    await citizen.goto(`${origin}/tra-cuu`);
    await audit(citizen, 'tra-cuu-360');
    await citizen.getByLabel('Mã hồ sơ', { exact: true }).fill(counter.code);
    await citizen.getByRole('button', { name: 'Tra cứu' }).click();
    await citizen.getByRole('heading', { name: 'Tình trạng' }).waitFor();
    const text = await citizen.locator('main').innerText();
    check(text.includes('Được tiếp nhận') && /\d\d:\d\d \d\d\/\d\d\/\d{4}/.test(text) && text.includes('UBND phường Bến Thành'), `lookup:\n${text}`);
    check(!text.includes('Phạm Thị Hoa') && !text.includes('079185000111'), 'no personal data in the lookup');
    // The timeline: the procedure's steps, the first under way at the desk, the later ones not reached yet.
    const steps = await citizen.locator('ol.timeline li').allInnerTexts();
    check(steps.length >= 2 && steps[0].includes('Đang thực hiện từ') && steps[steps.length - 1].includes('Chưa đến bước này'), `timeline:\n${steps.join('\n')}`);
    check(!steps.join(' ').includes('Trần Thị Lan'), 'the timeline names no official');
    await audit(citizen, 'tra-cuu-ho-so-360');
    await citizen.goto(`${origin}/tra-cuu/000.00.13.H29-000101-9999`);
    await citizen.getByText('Không tìm thấy hồ sơ mã').waitFor();
  });

  await step('unknown page under the web area: Vietnamese 404 with status 404', async () => {
    const r = await wide.goto(`${origin}/thu-tuc/a/b/c`);
    check(r.status() === 404, `status ${r.status()}`);
    await wide.getByRole('heading', { name: 'Không tìm thấy trang' }).waitFor();
    await audit(wide, 'khong-tim-thay');
  });

  // ---------- the journey with accounts: citizens, the desk, the specialist, the leader, the admin ----------
  const journey = await import('./journey.mjs');
  await journey.run({ origin, agentUrl, dir, source, hsm, hsmEnv, lgsp, cli, start, waitFor, check, step, audit,
    citizen, wide, browser, minimalPdf, freePort, smtp, office, children, Failure, log, counterCustomer: profile.customer_code });
  check(cspViolations.length === 0, `CSP violations in the pages:\n${cspViolations.join('\n')}`);
  console.log(`e2e.web: ok in ${((Date.now() - started) / 1000).toFixed(1)} s; ${results.length} steps; screenshots in ${artifacts}`);
} catch (e) {
  process.exitCode = 1;
  console.error(`e2e.web: FAILED: ${e.stack || e.message}`);
  for (const { name } of children) {
    try { console.error(`--- ${name}.log (tail)\n${fs.readFileSync(path.join(dir, `${name}.log`), 'utf8').slice(-3000)}`); } catch { /* none */ }
  }
} finally {
  console.log(results.join('\n'));
  fs.writeFileSync(path.join(artifacts, 'steps.txt'), `${results.join('\n')}\n`);
  if (browser) await browser.close().catch(() => {});
  for (const { child } of children.reverse()) child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  fs.rmSync(dir, { recursive: true, force: true });
}
