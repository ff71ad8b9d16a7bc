// The part of e2e.web with accounts: a citizen signs up and files online with a PDF and a JPEG,
// the desk accepts and asks a supplement, the citizen supplies it, a specialist processes, the leader signs in with
// the token and signs the result through `lgsp agent`, the citizen downloads it; the dashboard equals the report.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export async function run(ctx) {
  const { origin, agentUrl, dir, source, hsm, lgsp, cli, start, waitFor, check, step, audit, citizen, wide, browser,
    minimalPdf, freePort, smtp, log, counterCustomer } = ctx;
  const idNumber = '079190000222';
  let code;

  await step('citizen: filing needs an account; sign up (phone + password) and come back to the form', async () => {
    await citizen.goto(`${origin}/thu-tuc/1.001193`);
    await citizen.getByRole('link', { name: 'Nộp hồ sơ trực tuyến' }).click();
    await citizen.getByRole('heading', { name: 'Cần đăng nhập' }).waitFor();
    await citizen.getByRole('link', { name: 'Đăng ký' }).first().click();
    await citizen.getByRole('heading', { name: 'Đăng ký tài khoản' }).waitFor();
    await audit(citizen, 'dang-ky-360');
    // A field error from the server is shown next to its field.
    await citizen.getByLabel('Số điện thoại di động', { exact: true }).fill('12345');
    await citizen.getByLabel('Mật khẩu', { exact: true }).fill('mat-khau-rat-dai-2026');
    await citizen.getByLabel('Họ và tên', { exact: true }).fill('Nguyễn Thị Mai');
    await citizen.getByLabel('Số căn cước công dân', { exact: true }).fill(idNumber);
    await citizen.getByLabel('Ngày sinh', { exact: true }).fill('1990-05-17');
    await citizen.getByLabel('Thư điện tử (không bắt buộc)', { exact: true }).fill('mai@example.vn');
    await citizen.getByRole('button', { name: 'Đăng ký' }).click();
    await citizen.locator('#err-phone').waitFor();
    check(await citizen.getByLabel('Số điện thoại di động', { exact: true }).getAttribute('aria-invalid') === 'true', 'the phone field is marked invalid');
    await audit(citizen, 'dang-ky-loi-360');
    await citizen.getByLabel('Số điện thoại di động', { exact: true }).fill('0912345678');
    await citizen.getByRole('button', { name: 'Đăng ký' }).click();
    await citizen.getByRole('heading', { name: 'Nộp hồ sơ trực tuyến' }).waitFor();
    const cookies = await citizen.context().cookies();
    const c = cookies.find((x) => x.name === 'lgsp_session');
    check(c && c.httpOnly && c.secure && c.sameSite === 'Strict', `session cookie flags: ${JSON.stringify(c)}`);
    const stored = await citizen.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    check(!stored.includes(c.value), 'no session token in localStorage or sessionStorage');
  });

  await step('citizen: files with a PDF and a JPEG (wrong type refused with a clear message), review, one dossier on a double click, receipt with QR and form 01', async () => {
    const jpeg = Buffer.from((await citizen.evaluate(() => {
      const c = document.createElement('canvas'); c.width = 64; c.height = 48;
      const g = c.getContext('2d'); g.fillStyle = '#c33'; g.fillRect(0, 0, 64, 48);
      return c.toDataURL('image/jpeg', 0.8);
    })).split(',')[1], 'base64');
    await audit(citizen, 'nop-ho-so-360');
    const tk = citizen.locator('input[name="doc-TK"]');
    await tk.setInputFiles({ name: 'ghi-chu.txt', mimeType: 'text/plain', buffer: Buffer.from('không phải PDF') });
    await citizen.getByText('không đúng loại').first().waitFor();
    // A file whose name says PDF but whose content is not: the server's content check refuses it.
    await tk.setInputFiles({ name: 'gia.pdf', mimeType: 'application/pdf', buffer: Buffer.from('GIF89a not a pdf at all') });
    await citizen.getByText('máy chủ kiểm tra nội dung tệp').waitFor();
    await tk.setInputFiles({ name: 'to-khai.pdf', mimeType: 'application/pdf', buffer: minimalPdf('to khai') });
    await citizen.getByText('Đã tải lên: to-khai.pdf').waitFor();
    await citizen.locator('input[name="doc-GCS"]').setInputFiles({ name: 'giay-chung-sinh.jpg', mimeType: 'image/jpeg', buffer: jpeg });
    await citizen.getByText('Đã tải lên: giay-chung-sinh.jpg').waitFor();
    await citizen.locator('input[name="doc-GTTT"]').setInputFiles({ name: 'cccd.pdf', mimeType: 'application/pdf', buffer: minimalPdf('cccd') });
    await citizen.getByText('Đã tải lên: cccd.pdf').waitFor();
    await citizen.getByLabel('Ghi chú cho cán bộ (không bắt buộc)', { exact: true }).fill('Con thứ hai');
    await citizen.getByRole('button', { name: 'Xem lại hồ sơ' }).click();
    await citizen.getByRole('heading', { name: 'Xem lại trước khi nộp' }).waitFor();
    await audit(citizen, 'xem-lai-360');
    await citizen.getByRole('button', { name: 'Nộp hồ sơ' }).dblclick();
    await citizen.getByRole('heading', { name: 'Đã nộp hồ sơ' }).waitFor();
    code = (await citizen.locator('#dossier-code').innerText()).trim();
    check(/^000\.00\.13\.H29-\d{6}-\d+$/.test(code), `dossier code ${code}`);
    check(await citizen.locator('img.qr').evaluate((img) => img.complete && img.naturalWidth > 0), 'the QR image is drawn');
    await audit(citizen, 'bien-nhan-360');
    const mine = await citizen.evaluate(async () => (await (await fetch('/onestop/v1/dossiers')).json()));
    const list = mine.dossiers || mine.items || [];
    check(list.length === 1, `a double click filed ${list.length} dossiers`);
    const form01 = await citizen.evaluate(async (c) => { const r = await fetch(`/onestop/v1/dossiers/${c}/forms/01`); return [r.status, r.headers.get('content-type'), (await r.text()).slice(0, 5)]; }, code);
    check(form01[0] === 200 && form01[2] === '%PDF-', `form 01 as PDF: ${form01}`);
  });

  await step('the receipt e-mail arrives at the SMTP server', async () => {
    await waitFor('the receipt e-mail', () => smtp.messages().some((m) => m.includes(code)), 20000);
  });

  // Officials: the desk and the specialist by password (allowed in this office), the leader by token.
  const deskCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const desk = await deskCtx.newPage();
  const signInPassword = async (page, user) => {
    await page.goto(`${origin}/can-bo/dang-nhap`);
    await page.getByLabel('Tên đăng nhập', { exact: true }).fill(user);
    await page.locator('input[name="password"]').fill(`mat-khau-${user}-2026`);
    await page.getByRole('button', { name: 'Đăng nhập bằng mật khẩu' }).click();
    await page.getByRole('heading', { name: 'Hàng đợi công việc' }).waitFor();
  };
  // One action through its button and form; the page redraws the dossier, or shows the server's refusal.
  const act = async (page, action, fill) => {
    await page.locator(`button[data-action="${action}"]`).click();
    if (fill) await fill();
    await page.evaluate(() => { window.lgspBefore = document.getElementById('main'); });
    await page.locator('#main form button[type="submit"]').last().click();
    await page.waitForFunction(() => (document.getElementById('main') !== window.lgspBefore && document.documentElement.dataset.ready)
      || [...document.querySelectorAll('.form-alert')].some((a) => !a.hidden && a.textContent));
    const refused = await page.evaluate(() => [...document.querySelectorAll('.form-alert')].filter((a) => !a.hidden && a.textContent).map((a) => a.textContent).join(' '));
    check(!refused, `${action} was refused: ${refused}`);
  };
  const openDossier = async (page) => {
    await page.goto(`${origin}/can-bo/ho-so/${code}`);
    await page.getByRole('heading', { name: `Hồ sơ ${code}` }).waitFor();
  };
  const statusIs = async (page, name) => page.locator('dl.facts').getByText(name, { exact: true }).waitFor();

  await step('desk: signs in, sees the queues with counts, previews the PDF and the image, accepts, asks a supplement', async () => {
    await signInPassword(desk, 'lan');
    await desk.locator('.queues button').first().waitFor();
    await audit(desk, 'can-bo-hang-doi');
    await openDossier(desk);
    for (const b of await desk.getByRole('button', { name: 'Xem', exact: true }).all()) await b.click();
    await desk.locator('img.preview').waitFor();
    await desk.locator('iframe.preview').first().waitFor();
    check(await desk.locator('img.preview').evaluate((img) => img.complete && img.naturalWidth === 64), 'the JPEG is previewed in the page');
    await audit(desk, 'can-bo-ho-so-moi');
    await act(desk, 'accept');
    await statusIs(desk, 'Được tiếp nhận');
    await act(desk, 'request_supplement', async () => {
      await desk.getByLabel('Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)', { exact: true }).fill('Giấy chứng nhận kết hôn của cha, mẹ');
      await desk.getByLabel('Lý do', { exact: true }).fill('Cha mẹ đã đăng ký kết hôn');
    });
    await statusIs(desk, 'Yêu cầu bổ sung giấy tờ');
    await waitFor('the supplement-request e-mail', () => smtp.messages().some((m) => m.includes(`Subject: Yêu cầu bổ sung hồ sơ ${code}`)), 20000);
  });

  await step('citizen: my dossiers, answers the supplement request by uploading', async () => {
    await citizen.goto(`${origin}/ho-so-cua-toi`);
    await citizen.getByRole('link', { name: code }).click();
    await citizen.getByRole('heading', { name: 'Bổ sung hồ sơ' }).waitFor();
    await audit(citizen, 'ho-so-cua-toi-bo-sung-360');
    await citizen.getByLabel('Giấy tờ bổ sung', { exact: true }).setInputFiles({ name: 'ket-hon.pdf', mimeType: 'application/pdf', buffer: minimalPdf('ket hon') });
    await citizen.getByText('Đã tải lên: ket-hon.pdf').waitFor();
    await citizen.getByRole('button', { name: 'Gửi bổ sung' }).click();
    await citizen.getByText('giấy tờ bổ sung; Bộ phận một cửa sẽ xác nhận').waitFor();
  });

  await step('desk: receives the supplement and hands the dossier to the specialist', async () => {
    await openDossier(desk);
    await act(desk, 'supplement_received');
    await openDossier(desk);
    await act(desk, 'handover');
  });

  await step('desk: counter intake: finds the e-profile, chooses the procedure, checks and scans the documents, files, form 01', async () => {
    await desk.goto(`${origin}/can-bo/tiep-nhan`);
    await desk.getByRole('heading', { name: 'Tiếp nhận hồ sơ tại quầy' }).waitFor();
    // By the ID card's number first (an unknown one is explained), then by the customer code.
    const find = desk.getByLabel('Số CCCD hoặc mã hồ sơ điện tử', { exact: true });
    await find.fill('079185000999');
    await desk.getByRole('button', { name: 'Tìm', exact: true }).click();
    await desk.locator('.form-alert', { hasText: 'ID number' }).waitFor();
    await find.fill('0791 8500 0111');
    await desk.getByRole('button', { name: 'Tìm', exact: true }).click();
    await desk.getByText('Phạm Thị Hoa — CCCD 079185000111').waitFor();
    await find.fill(counterCustomer);
    await desk.getByRole('button', { name: 'Tìm', exact: true }).click();
    await desk.getByText(`Phạm Thị Hoa — CCCD 079185000111 — mã ${counterCustomer}`).waitFor();
    await desk.getByLabel('Thủ tục', { exact: true }).selectOption('2.000635');
    for (const doc of ['TK', 'GTTT']) {
      await desk.locator(`input[name="doc-${doc}"]`).setInputFiles({ name: `${doc}.pdf`, mimeType: 'application/pdf', buffer: minimalPdf(doc) });
      await desk.getByText(`Đã quét/tải lên: ${doc}.pdf`).waitFor();
    }
    await audit(desk, 'can-bo-tiep-nhan');
    await desk.getByRole('button', { name: 'Tiếp nhận hồ sơ' }).click();
    await desk.getByText('Đã tiếp nhận hồ sơ').waitFor();
    const href = await desk.getByRole('link', { name: 'In giấy tiếp nhận (mẫu 01)' }).getAttribute('href');
    const pdf = await desk.evaluate(async (u) => (await (await fetch(u)).text()).slice(0, 5), href);
    check(pdf === '%PDF-', 'form 01 of the counter dossier is a PDF');
  });

  const specCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
  const spec = await specCtx.newPage();
  await step('specialist: starts processing and hands over to the leader', async () => {
    await signInPassword(spec, 'hung');
    await openDossier(spec);
    if (await spec.locator('button[data-action="start_processing"]').count()) { await act(spec, 'start_processing'); await openDossier(spec); }
    await act(spec, 'handover');
    await audit(spec, 'can-bo-chuyen-vien');
  });

  const leadCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', acceptDownloads: true });
  const leader = await leadCtx.newPage();
  await step('leader: signs in with the token through lgsp agent (challenge, one PIN), signs the result through the agent, finishes', async () => {
    await leader.goto(`${origin}/can-bo/dang-nhap`);
    await audit(leader, 'can-bo-dang-nhap');
    // The leader's token is official-01 (bound by its CCCD number); the agent lists every plugged token.
    const chooseOfficial01 = async () => {
      const option = leader.locator('#f-certificate option', { hasText: 'official-01' });
      await option.waitFor({ state: 'attached' });
      await leader.locator('#f-certificate').selectOption(await option.getAttribute('value'));
    };
    await chooseOfficial01();
    await leader.getByRole('button', { name: 'Đăng nhập bằng chữ ký số' }).click();
    await leader.getByRole('heading', { name: 'Hàng đợi công việc' }).waitFor();
    const record = fs.readFileSync(path.join(dir, 'pinentry', 'record'), 'utf8');
    check(record.includes(origin), 'the PIN dialog names the office');
    // The result: form 01 of the dossier as the office renders it (a readable PDF), chosen in the page.
    const pdf = Buffer.from(await leader.evaluate(async (c) => { const r = await fetch(`/onestop/v1/dossiers/${c}/forms/06`); const b = new Uint8Array(await r.arrayBuffer()); let s = ''; for (const x of b) s += String.fromCharCode(x); return btoa(s); }, code), 'base64');
    await leader.goto(`${origin}/can-bo/ky-so`);
    await leader.getByRole('heading', { name: 'Ký kết quả' }).waitFor();
    await audit(leader, 'can-bo-ky-so');
    await chooseOfficial01();
    await leader.locator(`input[name="pdf-${code}"]`).setInputFiles({ name: 'Trich luc khai sinh.pdf', mimeType: 'application/pdf', buffer: pdf });
    await leader.getByRole('button', { name: 'Ký kết quả' }).click();
    await leader.getByText('Đã ký 1 kết quả').waitFor({ timeout: 30000 });
    const pins = (fs.readFileSync(path.join(dir, 'pinentry', 'record'), 'utf8').match(/=== pinentry/g) || []).length;
    check(pins === 2, `one PIN for sign-in, one for the batch: ${pins}`);
    await openDossier(leader);
    await statusIs(leader, 'Đã xử lý xong');
    await audit(leader, 'can-bo-ho-so-xong');
  });

  await step('citizen: the result-ready e-mail arrives, looks the dossier up and downloads the signed result with the ID number', async () => {
    await waitFor('the result-ready e-mail', () => smtp.messages().some((m) => m.includes(`Subject: Đã có kết quả hồ sơ ${code}`)), 20000);
    await citizen.goto(`${origin}/tra-cuu/${code}`);
    await citizen.getByLabel('Số CCCD (12 số) hoặc số điện thoại đã khai', { exact: true }).fill(idNumber);
    await citizen.getByRole('button', { name: 'Xem kết quả' }).click();
    const download = citizen.waitForEvent('download');
    await citizen.getByRole('button', { name: /Tải về/ }).first().click();
    const file = await (await download).path();
    const bytes = fs.readFileSync(file);
    check(bytes.subarray(0, 5).toString() === '%PDF-' && bytes.includes(Buffer.from('/ByteRange')), 'the download is a signed PDF');
    await audit(citizen, 'tai-ket-qua-360');
  });

  await step('dashboard: the figures equal `lgsp onestop report --format json`', async () => {
    await leader.goto(`${origin}/can-bo/bao-cao`);
    await leader.getByRole('heading', { name: 'Báo cáo tình hình giải quyết hồ sơ' }).waitFor();
    await audit(leader, 'can-bo-bao-cao');
    const [from, to] = await leader.evaluate(() => {
      const t = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Ho_Chi_Minh' }).format(new Date());
      const d = new Date(`${t}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1);
      return [`${t.slice(0, 8)}01`, d.toISOString().slice(0, 10)];
    });
    const report = JSON.parse(cli(['report', '--from', from, '--to', to, '--format', 'json']));
    const rows = await leader.locator('#report-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    check(rows.length === report.lines.length, `rows ${rows.length} vs report lines ${report.lines.length}`);
    report.lines.forEach((l, i) => {
      const want = [l.received, l.resolved, l.resolved_early, l.resolved_on_time, l.resolved_late, l.in_progress, l.overdue_now].map(String);
      check(JSON.stringify(rows[i].slice(2, 9)) === JSON.stringify(want), `line ${i}: page ${rows[i]} vs report ${JSON.stringify(l)}`);
    });
    const csv = leader.waitForEvent('download');
    await leader.getByRole('button', { name: 'Xuất CSV' }).click();
    const csvText = fs.readFileSync(await (await csv).path(), 'utf8');
    check(csvText.split('\r\n').length === report.lines.length + 1, 'the CSV has a line per report line');
  });

  await step('citizen: the account shows the e-profile made at sign-up and keeps a document for reuse', async () => {
    await citizen.goto(`${origin}/tai-khoan`);
    await citizen.getByRole('heading', { name: 'Hồ sơ điện tử của tôi' }).waitFor();
    await citizen.locator('dl.facts').getByText(idNumber, { exact: true }).waitFor();
    await citizen.locator('dl.facts').getByText('17/05/1990', { exact: true }).waitFor();
    await citizen.getByLabel('Loại giấy tờ', { exact: true }).selectOption('GTTT');
    await citizen.getByLabel('Tên giấy tờ', { exact: true }).fill('Căn cước công dân (bản chụp)');
    await citizen.getByLabel('Tệp', { exact: true }).setInputFiles({ name: 'cccd.pdf', mimeType: 'application/pdf', buffer: minimalPdf('cccd luu') });
    await citizen.getByRole('button', { name: 'Lưu giấy tờ' }).click();
    await citizen.getByText('Đã lưu "Căn cước công dân (bản chụp)" vào hồ sơ điện tử.').waitFor();
    await citizen.getByRole('region', { name: 'Giấy tờ đã lưu' }).getByText('Căn cước công dân (bản chụp)').waitFor();
    await audit(citizen, 'tai-khoan-ho-so-dien-tu-360');
  });

  // A second tab of the same citizen, half-way through another filing when the session ends; its ID card is the
  // document kept in the e-profile, chosen instead of an upload.
  const other = await citizen.context().newPage();
  await other.goto(`${origin}/nop-ho-so/2.000635`);
  await other.getByRole('heading', { name: 'Nộp hồ sơ trực tuyến' }).waitFor();
  await other.getByLabel('Ghi chú cho cán bộ (không bắt buộc)', { exact: true }).fill('Cần 2 bản sao');
  await other.locator('input[name="doc-TK"]').setInputFiles({ name: 'to-khai-2.pdf', mimeType: 'application/pdf', buffer: minimalPdf('to khai 2') });
  await other.getByText('Đã tải lên: to-khai-2.pdf').waitFor();
  check(await other.locator('dl.facts').getByText(idNumber, { exact: true }).count() === 1, 'the filing form is pre-filled from the e-profile');
  await other.locator('select[name="saved-GTTT"]').selectOption({ label: 'Căn cước công dân (bản chụp)' });
  await other.getByText('Dùng giấy tờ đã lưu: Căn cước công dân (bản chụp)').waitFor();

  await step('admin: signs in by password, adds an official, binds their certificate and CCCD, sees the versions of a procedure, the calendar and the outboxes', async () => {
    const adminCtx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh' });
    const admin = await adminCtx.newPage();
    await admin.goto(`${origin}/can-bo/dang-nhap`);
    await admin.getByLabel('Tên đăng nhập', { exact: true }).fill('quantri');
    await admin.locator('input[name="password"]').fill('mat-khau-quantri-2026');
    await admin.getByRole('button', { name: 'Đăng nhập bằng mật khẩu' }).click();
    await admin.getByRole('heading', { name: 'Quản trị' }).waitFor();
    await audit(admin, 'can-bo-quan-tri');
    await admin.getByLabel('Tên đăng nhập', { exact: true }).fill('thu');
    await admin.getByLabel('Vai trò', { exact: true }).selectOption('processing');
    await admin.getByLabel('Họ và tên', { exact: true }).fill('Võ Thị Thu');
    await admin.getByLabel('Chức danh', { exact: true }).fill('Công chức Tư pháp - Hộ tịch');
    await admin.getByRole('button', { name: 'Thêm cán bộ' }).click();
    await admin.getByText('Đã thêm thu').waitFor();
    // Binds the new official's token certificate (hsm-sim's official-02, a PEM file) and CCCD number.
    const pem = fs.readFileSync(path.join(hsm, 'pki', 'official-02.pem'));
    await admin.getByLabel('Cán bộ', { exact: true }).selectOption('thu');
    await admin.getByLabel('Số CCCD (12 số, để trống nếu không đổi)', { exact: true }).fill('079190000002');
    await admin.getByLabel('Tệp chứng thư số (.cer, .crt, .pem)', { exact: true }).setInputFiles({ name: 'official-02.pem', mimeType: 'application/x-pem-file', buffer: pem });
    await admin.getByRole('button', { name: 'Gắn chứng thư số' }).click();
    await admin.getByText('Đã gắn cho Võ Thị Thu (thu)').waitFor();
    const fingerprint = crypto.createHash('sha256').update(new crypto.X509Certificate(pem).raw).digest('hex');
    const row = admin.locator('tr', { hasText: 'thu' }).filter({ hasText: '079190000002' });
    check(await row.locator(`code[title="${fingerprint}"]`).count() === 1, 'the bound certificate is listed by its fingerprint');
    // A wrong CCCD number is refused with the server's reason.
    await admin.getByLabel('Số CCCD (12 số, để trống nếu không đổi)', { exact: true }).fill('12345');
    await admin.getByLabel('Tệp chứng thư số (.cer, .crt, .pem)', { exact: true }).setInputFiles([]);
    await admin.getByRole('button', { name: 'Gắn chứng thư số' }).click();
    await admin.locator('.form-alert', { hasText: '12' }).waitFor();
    // The catalogue's versions and the working calendar.
    await admin.getByLabel('Thủ tục', { exact: true }).selectOption('1.001193');
    await admin.getByRole('button', { name: 'Xem các phiên bản' }).click();
    await admin.getByRole('region', { name: 'Phiên bản thủ tục 1.001193' }).waitFor();
    await admin.getByRole('heading', { name: 'Lịch làm việc' }).waitFor();
    await audit(admin, 'can-bo-quan-tri-gan-chung-thu');
    await adminCtx.close();
  });

  await step('citizen: sign out everywhere ends the session', async () => {
    await citizen.goto(`${origin}/tai-khoan`);
    await audit(citizen, 'tai-khoan-360');
    await citizen.getByRole('button', { name: 'Đăng xuất trên mọi thiết bị' }).click();
    await citizen.waitForURL(`${origin}/`);
    const s = await citizen.evaluate(async () => (await fetch('/onestop/v1/session')).status);
    check(s === 401, `after sign-out GET /session is ${s}`);
  });

  await step('citizen: the other tab\'s session has ended: filing goes to sign-in and back without losing what was typed', async () => {
    await other.getByRole('button', { name: 'Xem lại hồ sơ' }).click();
    await other.getByRole('button', { name: 'Nộp hồ sơ' }).click();
    await other.getByText('Phiên làm việc đã hết hạn').waitFor();
    await audit(other, 'het-phien-360');
    await other.getByLabel('Số điện thoại', { exact: true }).fill('0912345678');
    await other.locator('input[name="password"]').fill('mat-khau-rat-dai-2026');
    await other.getByRole('button', { name: 'Đăng nhập' }).click();
    await other.getByRole('heading', { name: 'Nộp hồ sơ trực tuyến' }).waitFor();
    check(await other.getByLabel('Ghi chú cho cán bộ (không bắt buộc)', { exact: true }).inputValue() === 'Cần 2 bản sao', 'the note was kept');
    await other.getByText('Đã tải lên: to-khai-2.pdf').waitFor();
    await other.getByRole('button', { name: 'Xem lại hồ sơ' }).click();
    await other.getByRole('button', { name: 'Nộp hồ sơ' }).click();
    await other.getByRole('heading', { name: 'Đã nộp hồ sơ' }).waitFor();
  });

  await step('result download: a wrong second factor is explained next to the field; past the limit the 429 page says to wait', async () => {
    await citizen.goto(`${origin}/tra-cuu/${code}`);
    const input = citizen.getByLabel('Số CCCD (12 số) hoặc số điện thoại đã khai', { exact: true });
    let limited = false;
    for (let i = 0; i < 12 && !limited; i++) {
      await input.fill(`07919000${String(1000 + i)}`);
      await citizen.getByRole('button', { name: 'Xem kết quả' }).click();
      await citizen.locator('.form-alert:not([hidden]), .error[data-for], h2:text("Quá nhiều lần thử")').first().waitFor();
      limited = await citizen.getByRole('heading', { name: 'Quá nhiều lần thử' }).count() > 0;
      if (i === 0) check(!limited && (await citizen.locator('.form-alert').innerText()).length > 0, 'the first wrong try is explained');
    }
    check(limited, 'the source is limited after lookup.max_failures wrong tries');
    await audit(citizen, 'qua-nhieu-lan-thu-360');
  });
}
