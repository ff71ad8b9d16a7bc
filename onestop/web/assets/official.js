// Officials' pages: sign-in with the token through `lgsp agent` (or a password where allowed), work queues,
// counter intake, the dossier page with exactly its allowed actions, signing results through the agent, the
// dashboard for heads of units (GET /report), and a small admin page.
import {
  h, api, session, adoptSession, form, field, dl, table, fmtDate, fmtDateTime, fmtMoney, fmtSize, statusTag,
  actionName, problemText, saveBlob, drafts, upload, checkDocument, DOC_ACCEPT, ApiError, TIMELINESS, todayVN,
} from './lib.js';
import { navigate } from './app.js';

const ROLE_VI = { receiving: 'Bộ phận một cửa', processing: 'Chuyên viên xử lý', leader: 'Lãnh đạo', admin: 'Quản trị', citizen: 'Công dân' };

// ---------- the agent (docs/agent.md) ----------
let webConfig = null;
async function agentUrl() {
  if (!webConfig) webConfig = await (await fetch('/assets/web-config.json', { cache: 'no-store' })).json();
  return webConfig.agent_url;
}
const AGENT_ERRORS = {
  'LGSP-403-AGENT-CANCELLED': 'Bạn đã hủy nhập mã PIN.',
  'LGSP-401-AGENT-PIN-INCORRECT': 'Mã PIN không đúng.',
  'LGSP-423-AGENT-PIN-LOCKED': 'Mã PIN của thiết bị ký số đã bị khóa.',
  'LGSP-410-AGENT-TOKEN-REMOVED': 'Thiết bị ký số đã bị rút ra khi đang ký.',
  'LGSP-404-AGENT-CERTIFICATE': 'Không thấy chứng thư số đã chọn: hãy cắm lại thiết bị ký số.',
  'LGSP-409-AGENT-BUSY': 'Phần mềm ký số đang chờ mã PIN cho một yêu cầu khác.',
};
async function agent(path, body) {
  const base = await agentUrl();
  let r;
  try {
    r = await fetch(base + path, body ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {});
  } catch {
    throw new ApiError(0, { title_vi: `Không kết nối được phần mềm ký số lgsp agent (${base}). Hãy kiểm tra phần mềm đang chạy và đã cho phép trang này.` });
  }
  const data = await r.json().catch(() => null);
  if (!r.ok) throw new ApiError(r.status, { ...(data || {}), title_vi: AGENT_ERRORS[data && data.code] || (data && data.title_vi) || `Phần mềm ký số trả lỗi ${r.status}` });
  return data;
}
function certificateName(c) {
  const cn = /CN=([^,]+)/.exec(c.subject || '');
  return `${cn ? cn[1] : c.subject} — ${c.token_label || ''} (hết hạn ${fmtDate(c.not_after)})`;
}
// The token's certificates (no PIN asked), listed in `select` for the official to choose; returns the chosen one.
let certificates = [];
async function listCertificates(select) {
  certificates = (await agent('/v1/certificates')).certificates || [];
  if (!certificates.length) throw new ApiError(0, { title_vi: 'Không thấy thiết bị ký số nào. Hãy cắm USB token.' });
  const keep = select.value;
  select.replaceChildren(...certificates.map((c) => h('option', { value: c.fingerprint, selected: c.fingerprint === keep }, certificateName(c))));
  return certificates;
}
async function pickCertificate(select) {
  if (!certificates.length || !certificates.some((c) => c.fingerprint === select.value)) await listCertificates(select);
  return certificates.find((c) => c.fingerprint === select.value) || certificates[0];
}

function needOfficial(main, roles) {
  const u = session.user;
  if (u && u.role !== 'citizen' && (!roles || roles.includes(u.role))) return false;
  if (!u || u.role === 'citizen') {
    drafts.save('return', location.pathname + location.search);
    main.append(h('h1', {}, 'Cần đăng nhập'), h('p', {}, h('a', { class: 'button', href: '/can-bo/dang-nhap' }, 'Đăng nhập cán bộ')));
  } else main.append(h('h1', {}, 'Không có quyền'), h('p', {}, `Trang này dành cho: ${roles.map((r) => ROLE_VI[r]).join(', ')}.`));
  return true;
}

function whoBar() {
  const u = session.user;
  return h('p', { class: 'muted' }, `${u.name || u.username} — ${u.title || ROLE_VI[u.role] || u.role} (${u.unit}) `,
    h('button', { type: 'button', class: 'secondary', onclick: async () => { await api('POST', '/session/signout').catch(() => {}); adoptSession(null); navigate('/can-bo/dang-nhap'); } }, 'Đăng xuất'));
}

// ---------- sign-in ----------
export async function signin(main) {
  const expired = new URLSearchParams(location.search).has('het-han');
  const certSelect = h('select', { name: 'certificate', id: 'f-certificate' });
  const agentState = h('p', { class: 'hint', 'aria-live': 'polite' });
  const done = () => { const back = drafts.load('return'); drafts.clear('return'); navigate(back && back.startsWith('/can-bo/') && back !== '/can-bo/dang-nhap' ? back : (session.user && session.user.role === 'admin' ? '/can-bo/quan-tri' : '/can-bo'), { replace: true }); };
  const tokenForm = form({ 'aria-labelledby': 'tk' }, [
    h('p', {}, 'Cắm USB token, bấm nút bên dưới và nhập mã PIN trong hộp thoại của phần mềm ký số lgsp agent.'),
    h('div', { class: 'field' }, h('label', { for: 'f-certificate' }, 'Chứng thư số'), certSelect,
      h('button', { type: 'button', class: 'secondary', onclick: () => listCertificates(certSelect).catch((e) => agentState.replaceChildren(problemText(e))) }, 'Tải lại danh sách')),
    agentState,
    h('button', { type: 'submit' }, 'Đăng nhập bằng chữ ký số')], async () => {
    const cert = await pickCertificate(certSelect);
    const ch = await api('POST', '/session/challenge', {});
    const signed = await agent('/v1/sign', { certificate: cert.fingerprint, items: [{ digest: ch.digest, title: ch.title }] });
    adoptSession(await api('POST', '/session/token-signin', { challenge_id: ch.challenge_id, signature: signed.signatures[0],
      certificate: cert.certificate, chain: (signed.chain || []).slice(1) }));
    done();
  });
  const pwForm = form({ 'aria-labelledby': 'mk' }, [
    field('Tên đăng nhập', h('input', { name: 'username', autocomplete: 'username', required: true })),
    field('Mật khẩu', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit', class: 'secondary' }, 'Đăng nhập bằng mật khẩu')], async (fd) => {
    adoptSession(await api('POST', '/session/signin', { username: fd.get('username'), password: fd.get('password') }));
    done();
  });
  main.append(h('h1', {}, 'Đăng nhập cán bộ'),
    ...(expired ? [h('div', { class: 'notice', role: 'status' }, 'Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.')] : []),
    h('section', { class: 'card' }, h('h2', { id: 'tk' }, 'Chữ ký số (USB token)'), tokenForm),
    h('section', { class: 'card' }, h('h2', { id: 'mk' }, 'Mật khẩu'), h('p', { class: 'muted' }, 'Chỉ dùng được khi cơ quan cho phép.'), pwForm));
  listCertificates(certSelect).catch((e) => agentState.replaceChildren(problemText(e)));
}

// ---------- queues ----------
function dossierRows(items) {
  const now = Date.now();
  const sorted = [...items].sort((a, b) => {
    const oa = !a.finished_at && Date.parse(a.due_at) < now; const ob = !b.finished_at && Date.parse(b.due_at) < now;
    return oa === ob ? Date.parse(a.due_at) - Date.parse(b.due_at) : (oa ? -1 : 1);
  });
  return table('Danh sách hồ sơ', ['Mã hồ sơ', 'Thủ tục', 'Người nộp', 'Trạng thái', 'Hẹn trả'], sorted.map((d) => [
    h('a', { href: `/can-bo/ho-so/${encodeURIComponent(d.code)}` }, d.code), d.procedure_name, d.applicant_name || '',
    statusTag(d.status), h('span', {}, fmtDateTime(d.due_at), Date.parse(d.due_at) < now && !d.finished_at ? h('span', { class: 'tag bad' }, ' Quá hạn') : null)]));
}

export async function queues(main) {
  if (needOfficial(main)) return;
  if (session.user.role === 'admin') {
    main.append(h('h1', {}, 'Hàng đợi công việc'), whoBar(), h('p', {}, 'Tài khoản quản trị không xử lý hồ sơ. ', h('a', { href: '/can-bo/quan-tri' }, 'Trang quản trị')));
    return;
  }
  // Each queue's count is counted with the filter its `query` lists (GET /queues), so the two agree.
  const q = (await api('GET', '/queues')).queues || [];
  const list = h('div', { 'aria-live': 'polite', id: 'queue-list' });
  const show = async (queue, button) => {
    main.querySelectorAll('.queues button').forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
    const query = String(queue.query || '').replace(/^\?/, '');
    const answer = await api('GET', `/dossiers${query ? `?${query}` : ''}`);
    const items = answer.dossiers || answer.items || [];
    list.replaceChildren(h('h2', {}, `${queue.title_vi || queue.title || queue.name} (${items.length})`), items.length ? dossierRows(items) : h('p', {}, 'Không có hồ sơ.'));
  };
  const buttons = q.map((x) => {
    const b = h('button', { type: 'button', 'aria-pressed': 'false' }, h('span', { class: 'count' }, String(x.count)), x.title_vi || x.title || x.name);
    b.addEventListener('click', () => show(x, b).catch((e) => list.replaceChildren(h('p', { class: 'error' }, problemText(e)))));
    return b;
  });
  main.append(h('h1', {}, 'Hàng đợi công việc'), whoBar(),
    h('nav', { 'aria-label': 'Hàng đợi' }, h('div', { class: 'queues' }, buttons)), list);
  if (q.length) await show(q[0], buttons[0]);
}

// ---------- dossier ----------
async function preview(doc, box) {
  const resp = await api('GET', `/files/${doc.sha256}`, undefined, { raw: true });
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const type = doc.media_type || blob.type;
  if (type === 'application/pdf') box.replaceChildren(h('iframe', { class: 'preview', src: url, title: `Xem trước: ${doc.name || doc.code}` }));
  else if (type.startsWith('image/jpeg') || type.startsWith('image/png')) box.replaceChildren(h('img', { class: 'preview', src: url, alt: `Ảnh giấy tờ: ${doc.name || doc.code}` }));
  else box.replaceChildren(h('p', {}, 'Không xem trước được loại tệp này. ', h('a', { href: url, download: doc.name || doc.sha256 }, 'Tải về')));
}

function actionForm(d, action) {
  const code = encodeURIComponent(d.code);
  const run = async (body) => { await api('POST', `/dossiers/${code}/actions/${action}`, body); navigate(location.pathname, { replace: true }); };
  const withComment = [field('Ghi chú', h('textarea', { name: 'comment' }))];
  const lines = (s) => String(s || '').split('\n').map((x) => x.trim()).filter(Boolean);
  switch (action) {
    case 'refuse':
    case 'stop':
      return form({ 'aria-label': actionName(action) }, [field('Lý do (mỗi dòng một lý do)', h('textarea', { name: 'reasons', required: true })),
        h('button', { type: 'submit' }, action === 'stop' ? 'Dừng xử lý (mẫu 05)' : 'Từ chối tiếp nhận (mẫu 03)')], (fd) => run({ reasons: lines(fd.get('reasons')) }));
    case 'request_supplement':
      return form({ 'aria-label': actionName(action) }, [field('Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)', h('textarea', { name: 'items', required: true })),
        field('Lý do', h('input', { name: 'reason', required: true })), h('button', { type: 'submit' }, 'Yêu cầu bổ sung (mẫu 02)')],
      (fd) => run({ items: lines(fd.get('items')), reason: String(fd.get('reason') || '') }));
    case 'request_payment':
      return form({ 'aria-label': actionName(action) }, [field('Số tiền (đồng)', h('input', { name: 'amount', inputmode: 'numeric', required: true })),
        field('Khoản thu', h('input', { name: 'reason' })), h('button', { type: 'submit' }, 'Yêu cầu nộp phí')],
      (fd) => run({ amount: Number(String(fd.get('amount')).replace(/\D/g, '')), reason: String(fd.get('reason') || '') }));
    case 'supplement_received': {
      const docs = [];
      const input = h('input', { type: 'file', name: 'documents', multiple: true, accept: DOC_ACCEPT });
      const note = h('p', { class: 'hint', 'aria-live': 'polite' });
      input.addEventListener('change', async () => {
        for (const f of input.files) {
          const bad = checkDocument(f);
          if (bad) { note.textContent = bad; continue; }
          try { const up = await upload(f); docs.push({ sha256: up.sha256, name: f.name }); note.textContent = `Đã tải lên ${docs.length} tệp.`; } catch (e) { note.textContent = problemText(e); }
        }
      });
      return form({ 'aria-label': actionName(action) }, [field('Giấy tờ nhận tại quầy (nếu có)', input, 'Để trống khi công dân đã bổ sung trực tuyến'), note, ...withComment,
        h('button', { type: 'submit' }, actionName(action))], (fd) => {
        const body = docs.length ? { documents: docs } : {};
        const comment = String(fd.get('comment') || ''); if (comment) body.comment = comment;
        return run(body);
      });
    }
    default:
      return form({ 'aria-label': actionName(action) }, [...withComment, h('button', { type: 'submit' }, actionName(action))], (fd) => {
        const comment = String(fd.get('comment') || '');
        return run(comment ? { comment } : {});
      });
  }
}

export async function dossier(main, code) {
  if (needOfficial(main)) return;
  const d = await api('GET', `/dossiers/${encodeURIComponent(code)}`);
  const ecode = encodeURIComponent(d.code);
  const u = session.user;
  main.append(h('p', {}, h('a', { href: '/can-bo' }, '← Hàng đợi')), h('h1', {}, `Hồ sơ ${d.code}`),
    dl([['Thủ tục', `${d.procedure.name} (${d.procedure.code})`], ['Người nộp', d.applicant && (d.applicant.full_name || d.applicant.name) || d.customer_code],
      ['Mã hồ sơ điện tử', d.customer_code], ['Kênh', { 1: 'Trực tiếp', 2: 'Trực tuyến', 3: 'Bưu chính' }[d.channel] || String(d.channel)],
      ['Trạng thái', statusTag(d.status)], ['Ngày tiếp nhận', fmtDateTime(d.received_at)], ['Hẹn trả', fmtDateTime(d.due_at)],
      d.original_due_at !== d.due_at ? ['Hẹn trả ban đầu', fmtDateTime(d.original_due_at)] : null,
      d.timeliness ? ['Kết quả', TIMELINESS[d.timeliness]] : ['Quá hạn', d.overdue ? h('span', { class: 'tag bad' }, 'Quá hạn') : 'Không']]));

  const actions = h('section', { class: 'card', 'aria-labelledby': 'tn' }, h('h2', { id: 'tn' }, 'Thao tác'));
  const holder = h('div', {});
  const allowed = d.allowed_actions || [];
  actions.append(h('div', { class: 'actions' }, allowed.map((a) => h('button', { type: 'button', 'data-action': a, onclick: () => {
    holder.replaceChildren(h('h3', {}, actionName(a)), actionForm(d, a));
    holder.querySelector('textarea, input, button[type="submit"]').focus();
  } }, actionName(a))),
  !d.finished_at && d.status.code !== 1 && ['receiving', 'processing', 'leader'].includes(u.role) ? h('button', { type: 'button', class: 'secondary', 'data-action': 'handover', onclick: () => {
    holder.replaceChildren(h('h3', {}, 'Chuyển bước tiếp theo'), form({ 'aria-label': 'Chuyển bước' }, [field('Ghi chú', h('textarea', { name: 'comment' })),
      h('button', { type: 'submit' }, 'Chuyển bước')], async (fd) => {
      const comment = String(fd.get('comment') || '');
      await api('POST', `/dossiers/${ecode}/handover`, comment ? { comment } : {}); navigate(location.pathname, { replace: true });
    }));
  } }, 'Chuyển bước') : null,
  !d.finished_at && ['receiving', 'leader'].includes(u.role) ? h('button', { type: 'button', class: 'secondary', onclick: () => {
    holder.replaceChildren(h('h3', {}, 'Gia hạn, thư xin lỗi (mẫu 04)'), form({ 'aria-label': 'Gia hạn' }, [
      field('Lý do', h('textarea', { name: 'reason', required: true })),
      field('Số ngày làm việc thêm', h('input', { name: 'extra_working_days', inputmode: 'decimal', required: true })),
      h('button', { type: 'submit' }, 'Gia hạn và lập mẫu 04')], async (fd) => {
      await api('POST', `/dossiers/${ecode}/extend`, { reason: String(fd.get('reason')), extra_working_days: Number(String(fd.get('extra_working_days')).replace(',', '.')) });
      navigate(location.pathname, { replace: true });
    }));
  } }, 'Gia hạn (mẫu 04)') : null,
  u.role === 'leader' && [2, 4].includes(d.status.code) ? h('a', { class: 'button secondary', href: `/can-bo/ky-so?ho-so=${ecode}` }, 'Ký kết quả') : null),
  ...(allowed.length ? [] : [h('p', { class: 'muted' }, 'Không có thao tác nào cho vai trò của bạn ở trạng thái này.')]), holder);
  main.append(actions);

  main.append(h('h2', {}, 'Giấy tờ'), (d.documents || []).length ? h('ul', { class: 'list' }, d.documents.map((doc) => {
    const box = h('div', {});
    return h('li', {}, h('strong', {}, doc.name || doc.code), h('span', { class: 'muted' }, ` — ${doc.kind || ''} ${doc.media_type} ${fmtSize(doc.size)}`), ' ',
      h('button', { type: 'button', class: 'secondary', onclick: (e) => { e.currentTarget.disabled = true; preview(doc, box).catch((err) => box.replaceChildren(h('p', { class: 'error' }, problemText(err)))); } }, 'Xem'), box);
  })) : h('p', {}, 'Không có giấy tờ.'));

  main.append(h('h2', {}, 'Các bước xử lý'), table('Các bước xử lý', ['Bước', 'Đơn vị', 'Hạn', 'Hoàn thành', 'Đánh giá'], (d.steps || []).map((s) => [
    `${s.index}. ${s.name}`, s.unit_name || s.unit, fmtDateTime(s.due_at), s.finished_at ? fmtDateTime(s.finished_at) : (s.started_at ? 'Đang xử lý' : 'Chưa đến'),
    s.timeliness ? TIMELINESS[s.timeliness] || s.timeliness : (s.overdue ? h('span', { class: 'tag bad' }, 'Quá hạn') : '')])));

  main.append(h('h2', {}, 'Biểu mẫu'), h('ul', {}, [['01', 'Giấy tiếp nhận và hẹn trả kết quả'], ['02', 'Phiếu yêu cầu bổ sung'], ['03', 'Phiếu từ chối tiếp nhận'],
    ['04', 'Phiếu xin lỗi và hẹn lại ngày trả'], ['05', 'Phiếu dừng xử lý'], ['06', 'Phiếu kiểm soát quá trình giải quyết']].map(([n, t]) =>
    h('li', {}, h('a', { href: `/onestop/v1/dossiers/${ecode}/forms/${n}`, download: `mau-${n}-${d.code}.pdf` }, `Mẫu ${n}: ${t} (PDF)`)))));

  main.append(h('h2', {}, 'Lịch sử'), table('Lịch sử xử lý', ['Thời gian', 'Thao tác', 'Người thực hiện', 'Ghi chú'], (d.history || []).map((x) => [
    fmtDateTime(x.at), actionName(x.action), `${x.actor}${x.title ? ` (${x.title})` : ''}`, x.comment || ''])));
}

// ---------- counter intake ----------
export async function intake(main) {
  if (needOfficial(main, ['receiving'])) return;
  const procedures = (await api('GET', '/procedures')).procedures || [];
  const state = { profile: null, procedure: null, docs: {} };
  const profileBox = h('div', { 'aria-live': 'polite' });
  const docBox = h('div', {});
  // By the ID card's 12 digits (GET /profiles?id_number=) or by the customer code the citizen was given.
  const findForm = form({ 'aria-labelledby': 'b1' }, [field('Số CCCD hoặc mã hồ sơ điện tử', h('input', { name: 'customer_code', required: true, autocomplete: 'off' }),
    'Số căn cước công dân (12 số) hoặc mã khách hàng (KH-…)'),
    h('button', { type: 'submit' }, 'Tìm')], async (fd) => {
    const key = String(fd.get('customer_code')).replace(/\s+/g, '');
    state.profile = await api('GET', /^\d{12}$/.test(key) ? `/profiles?id_number=${key}` : `/profiles/${encodeURIComponent(key)}`);
    profileBox.replaceChildren(h('p', { class: 'notice' }, `${state.profile.identity.full_name} — CCCD ${state.profile.identity.id_number} — mã ${state.profile.customer_code}`));
  });
  const createForm = form({ 'aria-labelledby': 'b1b' }, [
    h('div', { class: 'grid two' },
      field('Họ và tên', h('input', { name: 'full_name', required: true })), field('Số CCCD', h('input', { name: 'id_number', inputmode: 'numeric', required: true })),
      field('Ngày sinh', h('input', { name: 'date_of_birth', type: 'date', required: true })),
      field('Giới tính', h('select', { name: 'gender' }, h('option', { value: 'male' }, 'Nam'), h('option', { value: 'female' }, 'Nữ'))),
      field('Quê quán', h('input', { name: 'hometown', required: true })), field('Dân tộc', h('input', { name: 'ethnicity', value: 'Kinh', required: true })),
      field('Quốc tịch', h('input', { name: 'nationality', value: 'Việt Nam', required: true })), field('Nơi thường trú', h('input', { name: 'permanent_address', required: true })),
      field('Số điện thoại', h('input', { name: 'phone', type: 'tel' })), field('Thư điện tử', h('input', { name: 'email', type: 'email' }))),
    h('button', { type: 'submit', class: 'secondary' }, 'Tạo hồ sơ điện tử')], async (fd) => {
    const body = Object.fromEntries([...fd.entries()].filter(([, v]) => v));
    state.profile = await api('POST', '/profiles', body);
    profileBox.replaceChildren(h('p', { class: 'notice' }, `Đã tạo: ${state.profile.identity.full_name} — mã ${state.profile.customer_code}`));
  });
  const procSelect = h('select', { name: 'procedure' }, h('option', { value: '' }, 'Chọn thủ tục'), procedures.map((p) => h('option', { value: p.code }, `${p.name} (${p.code})`)));
  procSelect.addEventListener('change', () => {
    state.procedure = procedures.find((p) => p.code === procSelect.value) || null;
    state.docs = {};
    docBox.replaceChildren(...(state.procedure ? state.procedure.documents.map((d) => {
      const check = h('input', { type: 'checkbox', name: `have-${d.code}`, id: `have-${d.code}` });
      const input = h('input', { type: 'file', accept: DOC_ACCEPT, name: `doc-${d.code}` });
      const bar = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': `Tải lên ${d.name}` });
      const note = h('span', { class: 'hint', 'aria-live': 'polite' });
      input.addEventListener('change', async () => {
        const f = input.files[0]; if (!f) return;
        const bad = checkDocument(f); if (bad) { note.textContent = bad; input.value = ''; return; }
        bar.hidden = false;
        try { const up = await upload(f, (x) => { bar.value = Math.round(x * 100); }); state.docs[d.code] = up.sha256; check.checked = true; note.textContent = `Đã quét/tải lên: ${f.name}`; } catch (e) { note.textContent = problemText(e); }
        bar.hidden = true;
      });
      return h('fieldset', { class: 'card' }, h('legend', {}, `${d.name.split(';')[0]}${d.mandatory ? ' (bắt buộc)' : ''}`),
        h('label', { class: 'check', for: `have-${d.code}` }, check, `Đã kiểm tra bản giấy (${d.code})`), field(`Bản quét (${d.code})`, input), bar, note);
    }) : []));
  });
  let filed = null;
  const fileForm = form({ 'aria-labelledby': 'b3' }, [h('button', { type: 'submit' }, 'Tiếp nhận hồ sơ')], async () => {
    if (!state.profile) throw new ApiError(400, { title_vi: 'Hãy tìm hoặc tạo hồ sơ điện tử của người nộp trước.' });
    if (!state.procedure) throw new ApiError(400, { title_vi: 'Hãy chọn thủ tục.' });
    if (filed) return;
    state.key = state.key || crypto.randomUUID();
    filed = await api('POST', '/dossiers', { procedure_code: state.procedure.code, customer_code: state.profile.customer_code, channel: 1,
      documents: Object.entries(state.docs).map(([c, sha256]) => ({ code: c, sha256 })) }, { headers: { 'Idempotency-Key': state.key } });
    const ecode = encodeURIComponent(filed.code);
    fileForm.replaceChildren(h('div', { class: 'notice', role: 'status' }, 'Đã tiếp nhận hồ sơ ', h('strong', {}, filed.code), `, hẹn trả ${fmtDateTime(filed.due_at)}.`),
      h('a', { class: 'button', href: `/onestop/v1/dossiers/${ecode}/forms/01`, target: '_blank', rel: 'noopener' }, 'In giấy tiếp nhận (mẫu 01)'),
      h('a', { class: 'button secondary', href: `/can-bo/ho-so/${ecode}` }, 'Mở hồ sơ'));
  });
  main.append(h('h1', {}, 'Tiếp nhận hồ sơ tại quầy'), whoBar(),
    h('section', { class: 'card' }, h('h2', { id: 'b1' }, '1. Người nộp'), findForm, h('h3', { id: 'b1b' }, 'Hoặc tạo hồ sơ điện tử mới (theo CCCD)'), createForm, profileBox),
    h('section', { class: 'card' }, h('h2', { id: 'b2' }, '2. Thủ tục và giấy tờ'), field('Thủ tục', procSelect), docBox),
    h('section', { class: 'card' }, h('h2', { id: 'b3' }, '3. Tiếp nhận'), fileForm));
}

// ---------- signing results through the agent ----------
function toBase64(buf) {
  const bytes = new Uint8Array(buf); let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export async function signResults(main) {
  if (needOfficial(main, ['leader'])) return;
  const only = new URLSearchParams(location.search).get('ho-so');
  const lists = await Promise.all([2, 4].map((s) => api('GET', `/dossiers?status=${s}`)));
  let items = lists.flatMap((l) => l.dossiers || l.items || []);
  if (only) items = items.filter((d) => d.code === only);
  const out = h('div', { 'aria-live': 'polite' });
  const certSelect = h('select', { name: 'certificate', id: 'f-certificate' });
  const rows = items.map((d) => {
    const pick = h('input', { type: 'checkbox', name: 'pick', value: d.code, id: `pick-${d.code}`, checked: items.length === 1 });
    const file = h('input', { type: 'file', accept: '.pdf,application/pdf', name: `pdf-${d.code}`, id: `pdf-${d.code}`, 'aria-label': `Tệp kết quả PDF của hồ sơ ${d.code}` });
    file.addEventListener('change', () => { if (file.files[0]) pick.checked = true; });
    return { d, pick, file, tr: [h('label', { class: 'check', for: `pick-${d.code}` }, pick, d.code), d.procedure_name, d.applicant_name || '', file] };
  });
  const f = form({ 'aria-labelledby': 'ks' }, [
    h('p', {}, 'Chọn hồ sơ, chọn tệp kết quả (PDF) cho từng hồ sơ, rồi bấm Ký: nhập mã PIN một lần cho tất cả.'),
    rows.length ? table('Hồ sơ chờ ký', ['Hồ sơ', 'Thủ tục', 'Người nộp', 'Tệp kết quả'], rows.map((r) => r.tr)) : h('p', {}, 'Không có hồ sơ chờ ký.'),
    h('div', { class: 'field' }, h('label', { for: 'f-certificate' }, 'Chứng thư số'), certSelect),
    h('label', { class: 'check', for: 'f-finish' }, h('input', { type: 'checkbox', id: 'f-finish', name: 'finish', checked: true }), 'Kết thúc hồ sơ sau khi ký'),
    h('button', { type: 'submit' }, 'Ký kết quả')], async (fd) => {
    const chosen = rows.filter((r) => r.pick.checked);
    if (!chosen.length) throw new ApiError(400, { title_vi: 'Hãy chọn ít nhất một hồ sơ.' });
    for (const r of chosen) if (!r.file.files[0]) throw new ApiError(400, { field: `pdf-${r.d.code}`, title_vi: `Chưa chọn tệp kết quả cho hồ sơ ${r.d.code}.` });
    const chosenCert = await pickCertificate(certSelect);
    out.replaceChildren(h('p', {}, `Đang chuẩn bị ${chosen.length} kết quả…`));
    const prepared = [];
    for (const r of chosen) {
      const content = toBase64(await r.file.files[0].arrayBuffer());
      const p = await api('POST', `/dossiers/${encodeURIComponent(r.d.code)}/results/prepare`, { name: r.file.files[0].name.replace(/\.pdf$/i, ''), content_base64: content, certificate: chosenCert.certificate });
      prepared.push({ r, p });
    }
    out.replaceChildren(h('p', {}, 'Nhập mã PIN trong hộp thoại của phần mềm ký số…'));
    const signed = await agent('/v1/sign', { certificate: chosenCert.fingerprint, items: prepared.map(({ p }) => ({ digest: p.digest, title: p.title })) });
    const done = [];
    for (let i = 0; i < prepared.length; i++) {
      const { r, p } = prepared[i];
      await api('POST', `/dossiers/${encodeURIComponent(r.d.code)}/results/complete`, { prepared: p.prepared, signature: signed.signatures[i], chain: signed.chain });
      if (fd.get('finish')) await api('POST', `/dossiers/${encodeURIComponent(r.d.code)}/actions/finish`, {});
      done.push(r.d.code);
    }
    out.replaceChildren(h('div', { class: 'notice', role: 'status' }, `Đã ký ${done.length} kết quả: ${done.join(', ')}.`));
  });
  main.append(h('h1', {}, 'Ký kết quả'), whoBar(), f, out);
  try { await listCertificates(certSelect); } catch (e) { certSelect.closest('.field').append(h('p', { class: 'error' }, problemText(e))); }
}

// ---------- dashboard ----------
function monthStart() { const t = todayVN(); return `${t.slice(0, 8)}01`; }
function nextDay(s) { const d = new Date(`${s}T00:00:00Z`); d.setUTCDate(d.getUTCDate() + 1); return d.toISOString().slice(0, 10); }

function chart(lines) {
  const keys = [['resolved_early', 's-early', 'Trước hạn'], ['resolved_on_time', 's-ontime', 'Đúng hạn'], ['resolved_late', 's-late', 'Trễ hạn'], ['overdue_now', 's-overdue', 'Đang quá hạn']];
  const max = Math.max(1, ...lines.map((l) => keys.reduce((s, [k]) => s + (l[k] || 0), 0)));
  const rowH = 28; const labelW = 0; const width = 600;
  const svgNS = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(svgNS, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${Math.max(1, lines.length) * rowH + 10}`);
  svg.setAttribute('class', 'chart'); svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Biểu đồ số hồ sơ trước hạn, đúng hạn, trễ hạn và đang quá hạn theo thủ tục; số liệu ở bảng bên dưới');
  lines.forEach((l, i) => {
    let x = labelW;
    for (const [k, cls] of keys) {
      const w = ((l[k] || 0) / max) * (width - labelW - 10);
      if (w > 0) { const r = document.createElementNS(svgNS, 'rect'); r.setAttribute('x', x); r.setAttribute('y', i * rowH + 5); r.setAttribute('width', w); r.setAttribute('height', rowH - 8); r.setAttribute('class', cls); svg.append(r); x += w; }
    }
  });
  return [h('ul', { class: 'legend', 'aria-hidden': 'true' }, keys.map(([, cls, name]) => h('li', {}, h('span', { class: `swatch ${cls}` }), name))), svg,
    h('p', { class: 'muted' }, `Mỗi thanh là một dòng của bảng, theo thứ tự.`)];
}

function pct(x) { return x === null || x === undefined ? '—' : `${(x * 100).toFixed(1).replace('.', ',')} %`; }

export async function dashboard(main) {
  if (needOfficial(main)) return;
  const params = new URLSearchParams(location.search);
  const from = params.get('tu') || monthStart(); const to = params.get('den') || todayVN();
  const query = new URLSearchParams({ from, to: nextDay(to) });
  if (params.get('don-vi')) query.set('unit', params.get('don-vi'));
  const report = await api('GET', `/report?${query}`);
  const lines = report.lines || [];
  const sum = (k) => lines.reduce((s, l) => s + (l[k] || 0), 0);
  const resolved = sum('resolved'); const good = sum('resolved_early') + sum('resolved_on_time');
  const filter = h('form', { 'aria-label': 'Kỳ báo cáo', action: '/can-bo/bao-cao' }, h('div', { class: 'grid three' },
    field('Từ ngày', h('input', { type: 'date', name: 'tu', value: from })), field('Đến ngày', h('input', { type: 'date', name: 'den', value: to })),
    field('Đơn vị (mã, để trống: đơn vị của tôi)', h('input', { name: 'don-vi', value: params.get('don-vi') || '' }))), h('button', { type: 'submit' }, 'Xem báo cáo'));
  filter.addEventListener('submit', (e) => { e.preventDefault(); navigate(`/can-bo/bao-cao?${new URLSearchParams([...new FormData(filter).entries()].filter(([, v]) => v))}`); });
  const heads = ['Đơn vị', 'Thủ tục', 'Tiếp nhận', 'Đã giải quyết', 'Trước hạn', 'Đúng hạn', 'Trễ hạn', 'Đang giải quyết', 'Đang quá hạn', 'Tỷ lệ đúng hạn'];
  const rows = lines.map((l) => [l.unit, l.procedure_name, l.received, l.resolved, l.resolved_early, l.resolved_on_time, l.resolved_late, l.in_progress, l.overdue_now, pct(l.on_time_rate)].map(String));
  const csv = () => {
    const esc = (v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
    const body = [['unit', 'procedure_code', 'procedure_name', 'received', 'resolved', 'resolved_early', 'resolved_on_time', 'resolved_late', 'in_progress', 'overdue_now', 'on_time_rate'].join(','),
      ...lines.map((l) => [l.unit, l.procedure_code, l.procedure_name, l.received, l.resolved, l.resolved_early, l.resolved_on_time, l.resolved_late, l.in_progress, l.overdue_now, l.on_time_rate ?? ''].map((v) => esc(String(v))).join(','))].join('\r\n');
    saveBlob(new Blob(['\ufeff', body], { type: 'text/csv;charset=utf-8' }), `bao-cao-${from}-${to}.csv`);
  };
  main.append(h('h1', {}, 'Báo cáo tình hình giải quyết hồ sơ'), whoBar(), filter,
    h('div', { class: 'grid three', id: 'totals' },
      h('div', { class: 'card' }, h('h2', {}, 'Tiếp nhận'), h('p', { class: 'code-big', 'data-total': 'received' }, String(sum('received')))),
      h('div', { class: 'card' }, h('h2', {}, 'Đã giải quyết'), h('p', { class: 'code-big', 'data-total': 'resolved' }, String(resolved))),
      h('div', { class: 'card' }, h('h2', {}, 'Tỷ lệ đúng hạn'), h('p', { class: 'code-big', 'data-total': 'rate' }, resolved ? pct(good / resolved) : '—'))),
    h('h2', {}, 'Biểu đồ'), ...chart(lines),
    h('h2', {}, 'Theo đơn vị và thủ tục'), h('div', { id: 'report-table' }, table('Báo cáo theo đơn vị và thủ tục', heads, rows, { numeric: [2, 3, 4, 5, 6, 7, 8, 9] })),
    h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: csv }, 'Xuất CSV'),
      h('a', { class: 'button secondary', href: `/can-bo/bao-cao?${params}`, onclick: async (e) => {
        e.preventDefault();
        const reg = await api('GET', `/register?from=${from}&to=${to}`);
        const entries = reg.entries || reg.dossiers || reg.lines || [];
        main.querySelector('#register')?.remove();
        main.append(h('section', { id: 'register' }, h('h2', {}, 'Sổ theo dõi hồ sơ (mẫu 07)'),
          table('Sổ theo dõi hồ sơ', ['Mã hồ sơ', 'Người nộp', 'Thủ tục', 'Nhận', 'Hẹn trả', 'Xong', 'Trạng thái'], entries.map((x) => [x.code, x.applicant_name, x.procedure_name, fmtDate(x.received_at), fmtDate(x.due_at), fmtDate(x.finished_at), x.status_name || '']))));
      } }, 'Sổ theo dõi (mẫu 07)')),
    h('p', { class: 'muted' }, 'Mẫu 06 (phiếu kiểm soát) in từ trang của từng hồ sơ. Số liệu lấy từ GET /report, giống lệnh lgsp onestop report.'));
}

// ---------- admin ----------
// A certificate file as the official's CA hands it over (.cer/.crt: DER, or PEM text) → base64 DER.
async function certificateBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const text = new TextDecoder('latin1').decode(bytes.subarray(0, 64 * 1024));
  const pem = text.match(/-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/);
  return pem ? pem[1].replace(/\s+/g, '') : toBase64(bytes);
}

const CALENDAR_KINDS = [['holidays', 'Ngày lễ, Tết'], ['days_off', 'Nghỉ bù'], ['make_up_days', 'Làm bù']];

function calendarSection(cal) {
  const years = Object.keys(cal.years || {}).sort();
  const hours = (cal.office_hours || []).map(([from, to]) => `${from}–${to}`).join(', ');
  return h('section', { class: 'card', 'aria-labelledby': 'lv' }, h('h2', { id: 'lv' }, 'Lịch làm việc'),
    dl([['Giờ làm việc', hours || '—'], ['Nhận sau giờ này tính từ ngày làm việc sau', cal.cut_off || '—']]),
    years.length ? years.map((y) => {
      const rows = [];
      for (const [key, kind] of CALENDAR_KINDS) for (const d of cal.years[y][key] || []) rows.push([d.date, kind, d.name || '']);
      rows.sort((x, z) => x[0].localeCompare(z[0]));
      return [h('h3', {}, `Năm ${y}`), table(`Lịch năm ${y}`, ['Ngày', 'Loại', 'Tên'], rows.map(([d, kind, name]) => [fmtDate(d), kind, name]))];
    }) : h('p', {}, 'Chưa khai báo ngày lễ nào: chỉ nghỉ thứ Bảy, Chủ nhật.'),
    h('p', { class: 'muted' }, 'Lịch đặt trong tệp [calendar] file của cấu hình; sửa tệp rồi khởi động lại để áp dụng.'));
}

export async function admin(main) {
  if (needOfficial(main, ['admin'])) return;
  const out = h('div', { 'aria-live': 'polite' });
  const notice = (text) => out.replaceChildren(h('div', { class: 'notice', role: 'status' }, text));

  // Officials and their roles; the signing identity (certificate or CCCD number) results are signed with.
  const usersBox = h('div', {});
  const bindUser = h('select', { name: 'username', id: 'f-bind-username', required: true });
  const drawUsers = async () => {
    const users = (await api('GET', '/users')).users || [];
    usersBox.replaceChildren(table('Danh sách cán bộ', ['Tên đăng nhập', 'Họ và tên', 'Chức danh', 'Vai trò', 'Đơn vị', 'Chứng thư số', 'Số CCCD'],
      users.map((u) => [u.username, u.name, u.title, ROLE_VI[u.role] || u.role, u.unit,
        u.certificate_sha256 ? h('code', { title: u.certificate_sha256 }, `${u.certificate_sha256.slice(0, 16)}…`) : '—', u.cccd || '—'])));
    const keep = bindUser.value;
    bindUser.replaceChildren(...users.filter((u) => u.role !== 'admin').map((u) => h('option', { value: u.username, selected: u.username === keep }, `${u.name} (${u.username})`)));
  };
  const userForm = form({ 'aria-labelledby': 'nd-them' }, [h('h3', { id: 'nd-them' }, 'Thêm cán bộ'), h('div', { class: 'grid two' },
    field('Tên đăng nhập', h('input', { name: 'username', required: true, autocomplete: 'off' })),
    field('Vai trò', h('select', { name: 'role' }, ['receiving', 'processing', 'leader', 'admin'].map((r) => h('option', { value: r }, ROLE_VI[r])))),
    field('Họ và tên', h('input', { name: 'name', required: true })), field('Chức danh', h('input', { name: 'title', required: true }))),
  h('button', { type: 'submit' }, 'Thêm cán bộ')], async (fd) => {
    const answer = await api('POST', '/users', Object.fromEntries(fd.entries()));
    await drawUsers();
    notice(`Đã thêm ${answer.username || fd.get('username')}. Gắn chứng thư số hoặc số CCCD của cán bộ ở mục dưới để cán bộ đăng nhập và ký bằng USB token.`);
  });
  const bindForm = form({ 'aria-labelledby': 'nd-gan' }, [h('h3', { id: 'nd-gan' }, 'Gắn chứng thư số'), h('div', { class: 'grid two' },
    field('Cán bộ', bindUser),
    field('Số CCCD (12 số, để trống nếu không đổi)', h('input', { name: 'cccd', id: 'f-bind-cccd', inputmode: 'numeric', maxlength: 12, pattern: '[0-9]{12}' })),
    field('Tệp chứng thư số (.cer, .crt, .pem)', h('input', { type: 'file', name: 'certificate', id: 'f-bind-certificate', accept: '.cer,.crt,.pem,.der,application/pkix-cert,application/x-x509-ca-cert' }),
      'Chứng thư số của cán bộ do tổ chức cung cấp dịch vụ chứng thực cấp.')),
  h('button', { type: 'submit' }, 'Gắn chứng thư số')], async (fd) => {
    const body = {};
    if (fd.get('cccd')) body.cccd = fd.get('cccd');
    const file = fd.get('certificate');
    if (file && file.size) body.certificate = await certificateBase64(file);
    if (!Object.keys(body).length) throw new ApiError(0, { title_vi: 'Hãy nhập số CCCD hoặc chọn tệp chứng thư số.' });
    const answer = await api('POST', `/users/${encodeURIComponent(fd.get('username'))}/bind`, body);
    await drawUsers();
    notice(`Đã gắn cho ${answer.name} (${answer.username}): ${answer.certificate_sha256 ? 'chứng thư số' : ''}${answer.certificate_sha256 && answer.cccd ? ', ' : ''}${answer.cccd ? `CCCD ${answer.cccd}` : ''}.`);
  });

  // The catalogue: import a new version; each procedure's versions.
  const versionsBox = h('div', { 'aria-live': 'polite' });
  const procSelect = h('select', { name: 'code', id: 'f-version-code' });
  const drawProcedures = async () => {
    const list = (await api('GET', '/procedures')).procedures || [];
    procSelect.replaceChildren(...list.map((p) => h('option', { value: p.code }, `${p.code} — ${p.name}`)));
  };
  const procForm = form({ 'aria-labelledby': 'tt-nhap' }, [h('h3', { id: 'tt-nhap' }, 'Nhập danh mục'), field('Tệp danh mục thủ tục (JSON)', h('input', { type: 'file', name: 'file', accept: '.json,application/json', required: true })),
    h('button', { type: 'submit' }, 'Nhập danh mục')], async (fd) => {
    const text = await fd.get('file').text();
    let catalogue;
    try { catalogue = JSON.parse(text); } catch { throw new ApiError(0, { title_vi: 'Tệp không phải JSON hợp lệ.' }); }
    const answer = await api('POST', '/procedures', catalogue);
    await drawProcedures();
    notice(`Đã nhập ${answer.imported} phiên bản, ${answer.unchanged} không đổi.`);
  });
  const versionForm = form({ 'aria-labelledby': 'tt-pb' }, [h('h3', { id: 'tt-pb' }, 'Các phiên bản của thủ tục'), field('Thủ tục', procSelect),
    h('button', { type: 'submit' }, 'Xem các phiên bản')], async (fd) => {
    const v = await api('GET', `/procedures/${encodeURIComponent(fd.get('code'))}/versions`);
    versionsBox.replaceChildren(table(`Phiên bản thủ tục ${v.code}`, ['Phiên bản', 'Áp dụng từ', 'Tên', 'Thời hạn', 'Số bước', 'Ngày nhập'],
      v.versions.map((x) => [String(x.version), fmtDate(x.effective_from), x.name, `${String(x.processing_days).replace('.', ',')} ngày`, String(x.steps), fmtDateTime(x.imported_at)]), { numeric: [0, 4] }));
  });

  const [outbox, busOutbox, cal] = await Promise.all([
    api('GET', '/outbox?limit=20').catch(() => ({ records: [] })),
    api('GET', '/bus-outbox?pending=1&limit=20').catch(() => ({ messages: [] })),
    api('GET', '/calendar'),
    drawUsers(), drawProcedures()]);
  const recs = outbox.records || outbox.items || [];
  const msgs = busOutbox.messages || busOutbox.items || [];
  main.append(h('h1', {}, 'Quản trị'), whoBar(), out,
    h('section', { class: 'card', 'aria-labelledby': 'nd' }, h('h2', { id: 'nd' }, 'Cán bộ và vai trò'), usersBox, userForm, bindForm),
    h('section', { class: 'card', 'aria-labelledby': 'tt' }, h('h2', { id: 'tt' }, 'Danh mục thủ tục'),
      h('p', {}, 'Mỗi lần nhập là một phiên bản mới; phiên bản đã nhập không sửa được, hồ sơ đã nhận giữ phiên bản của nó.'), procForm, versionForm, versionsBox),
    calendarSection(cal),
    h('section', { class: 'card' }, h('h2', {}, 'Hàng đợi gửi Cổng DVC quốc gia'), table('Bản ghi gửi Cổng', ['ID', 'Thời gian', 'Hồ sơ', 'Dịch vụ', 'Đã gửi'], recs.map((r) => [String(r.id), fmtDateTime(r.at), r.dossier_code, r.service, r.synced_at ? fmtDateTime(r.synced_at) : 'Chưa']))),
    h('section', { class: 'card' }, h('h2', {}, 'Tin chờ gửi qua trục liên thông'), table('Tin chờ gửi', ['ID', 'Dịch vụ', 'Số lần thử', 'Lỗi gần nhất'], msgs.map((m) => [String(m.id), m.service, String(m.attempts), m.last_error || '']))));
}
