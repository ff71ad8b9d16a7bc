// Citizens' pages: procedures, lookup and result download (no account), account, filing online, my dossiers.
import {
  h, api, session, adoptSession, form, field, dl, table, fmtDate, fmtDateTime, fmtMoney, fmtDays, fmtSize,
  fold, statusTag, actionName, problemText, saveBlob, drafts, upload, checkDocument, DOC_ACCEPT, ApiError, TIMELINESS,
} from './lib.js';
import { navigate } from './app.js';

const LEVELS = { full: 'Toàn trình', partial: 'Một phần', none: 'Chỉ nộp trực tiếp' };
const CHANNELS = { 1: 'Trực tiếp tại Bộ phận một cửa', 2: 'Trực tuyến', 3: 'Qua bưu chính công ích' };
const ADMIN_LEVEL = { commune: 'Cấp xã', district: 'Cấp huyện', province: 'Cấp tỉnh' };

let procedureCache = null;
async function allProcedures() {
  if (!procedureCache) procedureCache = (await api('GET', '/procedures')).procedures || [];
  return procedureCache;
}

// ---------- procedures ----------
export async function home(main) {
  const params = new URLSearchParams(location.search);
  const q = params.get('q') || ''; const fieldCode = params.get('linh-vuc') || ''; const level = params.get('muc-do') || '';
  const all = await allProcedures();
  const fields = [...new Map(all.map((p) => [p.field_code, p.field_name])).entries()];
  let found;
  if (q || fieldCode || level) {
    const query = new URLSearchParams();
    if (q) query.set('q', q);
    if (fieldCode) query.set('field', fieldCode);
    if (level) query.set('level', level);
    found = (await api('GET', `/procedures?${query}`)).procedures || [];
    // The same rule on this side, so the list is right even where the server ignores a filter.
    const words = fold(q).split(' ').filter(Boolean);
    found = found.filter((p) => words.every((w) => fold(`${p.name} ${p.code} ${p.field_name}`).includes(w))
      && (!fieldCode || p.field_code === fieldCode) && (!level || p.online_level === level));
  } else found = all;

  const search = h('form', { role: 'search', 'aria-label': 'Tìm thủ tục', action: '/thu-tuc', method: 'get' },
    h('div', { class: 'grid three' },
      field('Tên thủ tục hoặc lĩnh vực', h('input', { name: 'q', type: 'search', value: q, autocomplete: 'off' }),
        'Có dấu hoặc không dấu, ví dụ: khai sinh'),
      field('Lĩnh vực', h('select', { name: 'linh-vuc' }, h('option', { value: '' }, 'Tất cả lĩnh vực'),
        fields.map(([c, n]) => h('option', { value: c, selected: c === fieldCode }, n)))),
      field('Mức độ trực tuyến', h('select', { name: 'muc-do' }, h('option', { value: '' }, 'Tất cả'),
        Object.entries(LEVELS).map(([c, n]) => h('option', { value: c, selected: c === level }, n))))),
    h('button', { type: 'submit' }, 'Tìm kiếm'));
  search.addEventListener('submit', (e) => {
    e.preventDefault();
    const fd = new FormData(search);
    const qs = new URLSearchParams([...fd.entries()].filter(([, v]) => v));
    navigate(`/thu-tuc${qs.toString() ? `?${qs}` : ''}`);
  });
  main.append(h('h1', {}, 'Thủ tục hành chính'),
    h('p', {}, 'Tìm thủ tục, xem giấy tờ cần nộp, lệ phí, thời hạn giải quyết, và nộp hồ sơ trực tuyến.'),
    search,
    h('h2', { id: 'ket-qua' }, q || fieldCode || level ? `Tìm thấy ${found.length} thủ tục` : `${found.length} thủ tục`),
    found.length ? h('ul', { class: 'list', 'aria-labelledby': 'ket-qua' }, found.map((p) => h('li', {},
      h('a', { class: 'title', href: `/thu-tuc/${encodeURIComponent(p.code)}` }, p.name),
      h('div', { class: 'muted' }, `${p.field_name} · Mã ${p.code} · ${LEVELS[p.online_level] || ''} · ${fmtDays(p.processing_days)}`))))
      : h('p', {}, 'Không có thủ tục phù hợp. Hãy thử từ khóa ngắn hơn.'),
    h('div', { class: 'card' }, h('h2', {}, 'Đã nộp hồ sơ?'),
      h('p', {}, 'Tra cứu tình trạng và tải kết quả bằng mã hồ sơ trên giấy biên nhận.'),
      h('a', { class: 'button', href: '/tra-cuu' }, 'Tra cứu hồ sơ')));
}

export async function procedure(main, code) {
  let p;
  try { p = await api('GET', `/procedures/${encodeURIComponent(code)}`); } catch (e) {
    if (e.status === 404) { main.append(h('h1', {}, 'Không tìm thấy thủ tục'), h('p', {}, `Không có thủ tục mã ${code}.`), h('a', { href: '/thu-tuc' }, 'Về danh sách thủ tục')); return; }
    throw e;
  }
  const online = (p.channels || []).includes(2) && p.online_level !== 'none';
  main.append(h('p', {}, h('a', { href: '/thu-tuc' }, '← Danh sách thủ tục')),
    h('h1', {}, p.name),
    dl([['Mã thủ tục', p.code], ['Lĩnh vực', p.field_name], ['Cấp thực hiện', ADMIN_LEVEL[p.level] || p.level],
      ['Mức độ trực tuyến', LEVELS[p.online_level] || p.online_level],
      ['Thời hạn giải quyết', fmtDays(p.processing_days)],
      ['Cách thức nộp', (p.channels || []).map((c) => CHANNELS[c]).join('; ')],
      p.processing_note ? ['Ghi chú', p.processing_note] : null]),
    online ? h('p', {}, h('a', { class: 'button', href: `/nop-ho-so/${encodeURIComponent(p.code)}` }, 'Nộp hồ sơ trực tuyến'))
      : h('p', { class: 'notice' }, 'Thủ tục này nộp trực tiếp tại Bộ phận một cửa.'),
    h('h2', {}, 'Thành phần hồ sơ'),
    table('Thành phần hồ sơ', ['Giấy tờ', 'Bắt buộc', 'Bản chính', 'Bản sao'], (p.documents || []).map((d) =>
      [h('span', {}, d.name, d.form ? h('span', { class: 'hint' }, `Mẫu: ${d.form}`) : null), d.mandatory ? 'Có' : 'Không',
        String(d.originals ?? ''), String(d.copies ?? '')]), { numeric: [2, 3] }),
    h('h2', {}, 'Phí, lệ phí'),
    (p.fees || []).length ? table('Phí, lệ phí', ['Khoản', 'Mức thu', 'Ghi chú'], p.fees.map((f) => [f.name, fmtMoney(f.amount), f.note || '']), { numeric: [1] })
      : h('p', {}, 'Không thu phí, lệ phí.'),
    h('h2', {}, 'Trình tự thực hiện'),
    h('ol', {}, (p.steps || []).map((s) => h('li', {}, s.name, s.unit_name ? h('span', { class: 'muted' }, ` — ${s.unit_name}`) : null))));
}

// ---------- lookup and result download ----------
export async function lookup(main, code) {
  // The links in notifications say /tra-cuu?ma=CODE.
  if (!code && new URLSearchParams(location.search).get('ma')) code = new URLSearchParams(location.search).get('ma').trim();
  main.append(h('h1', {}, code ? `Hồ sơ ${code}` : 'Tra cứu hồ sơ'));
  const codeForm = h('form', { role: 'search', 'aria-label': 'Tra cứu theo mã hồ sơ' },
    field('Mã hồ sơ', h('input', { name: 'code', value: code || '', required: true, autocomplete: 'off', spellcheck: 'false' }),
      'In trên giấy tiếp nhận và hẹn trả kết quả'),
    h('button', { type: 'submit' }, 'Tra cứu'));
  codeForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const c = String(new FormData(codeForm).get('code') || '').trim();
    if (c) navigate(`/tra-cuu/${encodeURIComponent(c)}`);
  });
  main.append(codeForm);
  if (!code) return;
  let v;
  try { v = await api('GET', `/lookup/${encodeURIComponent(code)}`); } catch (e) {
    if (e.status === 404) { main.append(h('div', { class: 'alert', role: 'alert' }, `Không tìm thấy hồ sơ mã ${code}. Hãy kiểm tra lại mã trên giấy biên nhận.`)); return; }
    if (e.status === 429) { main.append(tooMany(e)); return; }
    throw e;
  }
  main.append(h('section', { class: 'card', 'aria-labelledby': 'tt' }, h('h2', { id: 'tt' }, 'Tình trạng'),
    dl([['Thủ tục', v.procedure_name], ['Trạng thái', statusTag(v.status)], ['Ngày tiếp nhận', fmtDateTime(v.received_at)],
      ['Hẹn trả kết quả', fmtDateTime(v.due_at)], ['Đang xử lý tại', v.current_unit_name || v.current_unit],
      v.finished_at ? ['Hoàn thành lúc', fmtDateTime(v.finished_at)] : ['Quá hạn', v.overdue ? 'Có' : 'Không']]),
    Array.isArray(v.steps) && v.steps.length ? [h('h3', {}, 'Quá trình xử lý'),
      h('ol', { class: 'timeline' }, v.steps.map((s) => h('li', {},
        h('strong', {}, s.name.split(';')[0]), ` — ${s.unit_name}. `,
        s.finished_at ? `Xong lúc ${fmtDateTime(s.finished_at)}` : s.started_at ? `Đang thực hiện từ ${fmtDateTime(s.started_at)}` : 'Chưa đến bước này',
        `; hạn ${fmtDateTime(s.due_at)}`,
        s.result ? h('span', { class: `tag ${s.result === 'late' ? 'bad' : 'ok'}` }, ` ${TIMELINESS[s.result] || s.result}`) : null,
        s.overdue ? h('span', { class: 'tag bad' }, ' Quá hạn') : null)))] : null));
  if (v.status.code === 9 || v.status.code === 10) main.append(resultDownload(code));
  else main.append(h('p', { class: 'muted' }, 'Khi hồ sơ có kết quả, bạn tải kết quả tại đây bằng số CCCD hoặc số điện thoại đã khai.'));
}

function tooMany(err) {
  const wait = Number(err.retryAfter) || 0;
  return h('div', { class: 'alert', role: 'alert' }, h('h2', {}, 'Quá nhiều lần thử'),
    h('p', {}, 'Bạn đã nhập sai nhiều lần. Để bảo vệ hồ sơ của người dân, việc tra cứu từ địa chỉ này tạm dừng.'),
    wait ? h('p', {}, `Vui lòng thử lại sau khoảng ${Math.ceil(wait / 60)} phút.`) : null,
    h('p', {}, 'Nếu cần gấp, hãy mang giấy biên nhận đến Bộ phận một cửa.'));
}

function resultDownload(code) {
  const out = h('div', { 'aria-live': 'polite' });
  const f = form({ 'aria-labelledby': 'kq' }, [
    field('Số CCCD (12 số) hoặc số điện thoại đã khai', h('input', { name: 'second_factor', required: true,
      inputmode: 'numeric', autocomplete: 'off' })),
    h('button', { type: 'submit' }, 'Xem kết quả')], async (fd) => {
    const second = String(fd.get('second_factor') || '').trim();
    let list;
    try { list = await api('POST', `/results/${encodeURIComponent(code)}`, { second_factor: second }); } catch (e) {
      if (e.status === 429) { out.replaceChildren(tooMany(e)); return; }
      throw e;
    }
    out.replaceChildren(h('h3', {}, 'Kết quả giải quyết'), h('ul', {}, (list.results || []).map((r) => h('li', {},
      h('button', { type: 'button', class: 'secondary', 'data-sha256': r.sha256, onclick: async (e) => {
        const b = e.currentTarget; b.disabled = true;
        try {
          const resp = await api('POST', `/results/${encodeURIComponent(code)}/${r.sha256}`, { second_factor: second }, { raw: true });
          saveBlob(await resp.blob(), `${code}-${r.name || r.code || 'ket-qua'}.pdf`);
        } catch (err) { out.append(h('p', { class: 'error', role: 'alert' }, problemText(err))); } finally { b.disabled = false; }
      } }, `Tải về: ${r.name || r.code}`), r.signature_format ? h('span', { class: 'muted' }, ` (có chữ ký số)`) : null))));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'kq' }, h('h2', { id: 'kq' }, 'Tải kết quả'),
    h('p', {}, 'Nhập số căn cước công dân hoặc số điện thoại của người nộp hồ sơ.'), f, out);
}

// ---------- account ----------
function afterSignIn(fallback) {
  const back = drafts.load('return');
  drafts.clear('return');
  navigate(back && !back.startsWith('/tai-khoan') ? back : fallback, { replace: true });
}

export async function signup(main) {
  const d = drafts.load('signup') || {};
  const f = form({ 'aria-labelledby': 'dk' }, [
    field('Số điện thoại di động', h('input', { name: 'phone', type: 'tel', autocomplete: 'tel', required: true, value: d.phone || '' }), 'Ví dụ: 0912345678'),
    field('Mật khẩu', h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 8 }), 'Ít nhất 8 ký tự'),
    field('Họ và tên', h('input', { name: 'full_name', autocomplete: 'name', required: true, value: d.full_name || '' }), 'Như trên căn cước công dân'),
    field('Số căn cước công dân', h('input', { name: 'id_number', inputmode: 'numeric', required: true, value: d.id_number || '' }), '12 chữ số'),
    field('Ngày sinh', h('input', { name: 'date_of_birth', type: 'date', required: true, value: d.date_of_birth || '' })),
    field('Thư điện tử (không bắt buộc)', h('input', { name: 'email', type: 'email', autocomplete: 'email', value: d.email || '' }), 'Để nhận thông báo về hồ sơ'),
    h('button', { type: 'submit' }, 'Đăng ký')], async (fd) => {
    const body = Object.fromEntries(fd.entries());
    if (!body.email) delete body.email;
    const { password, ...rest } = body;
    drafts.save('signup', rest);
    adoptSession(await api('POST', '/session/signup', body));
    drafts.clear('signup');
    afterSignIn('/ho-so-cua-toi');
  });
  main.append(h('h1', { id: 'dk' }, 'Đăng ký tài khoản'),
    h('p', {}, 'Tài khoản gắn với hồ sơ điện tử của bạn: các biểu mẫu được điền sẵn và giấy tờ đã nộp được dùng lại.'), f,
    h('p', {}, 'Đã có tài khoản? ', h('a', { href: '/tai-khoan/dang-nhap' }, 'Đăng nhập')));
}

export async function signin(main) {
  const expired = new URLSearchParams(location.search).has('het-han');
  const f = form({ 'aria-labelledby': 'dn' }, [
    field('Số điện thoại', h('input', { name: 'phone', type: 'tel', autocomplete: 'tel', required: true })),
    field('Mật khẩu', h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true })),
    h('button', { type: 'submit' }, 'Đăng nhập')], async (fd) => {
    adoptSession(await api('POST', '/session/signin', { phone: fd.get('phone'), password: fd.get('password') }));
    afterSignIn('/ho-so-cua-toi');
  });
  main.append(h('h1', { id: 'dn' }, 'Đăng nhập'),
    ...(expired ? [h('div', { class: 'notice', role: 'status' }, 'Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại; những gì bạn đã nhập vẫn được giữ.')] : []),
    f, h('p', {}, 'Chưa có tài khoản? ', h('a', { href: '/tai-khoan/dang-ky' }, 'Đăng ký')),
    h('p', {}, 'Cán bộ: ', h('a', { href: '/can-bo/dang-nhap' }, 'đăng nhập tại đây')));
}

function needCitizen(main) {
  if (session.user && session.user.role === 'citizen') return false;
  drafts.save('return', location.pathname + location.search);
  main.append(h('h1', {}, 'Cần đăng nhập'), h('p', {}, 'Vui lòng đăng nhập hoặc đăng ký tài khoản để tiếp tục.'),
    h('p', {}, h('a', { class: 'button', href: '/tai-khoan/dang-nhap' }, 'Đăng nhập'), ' ',
      h('a', { class: 'button secondary', href: '/tai-khoan/dang-ky' }, 'Đăng ký')));
  return true;
}

// The citizen's e-profile (GET /profiles/{customer_code}): what every form is pre-filled with, and the documents
// kept for reuse. null when the account has none or it cannot be read (the pages still work without it).
async function myProfile() {
  const cc = session.user && session.user.customer_code;
  if (!cc) return null;
  try { return await api('GET', `/profiles/${encodeURIComponent(cc)}`); } catch { return null; }
}
const GENDER_VI = { male: 'Nam', female: 'Nữ' };
// A catalogue's document names run to a paragraph ("…; hoặc …"): the first clause, at most 80 characters.
function shortName(name) {
  const first = String(name || '').split(';')[0].trim();
  return first.length > 80 ? `${first.slice(0, 79)}…` : first;
}
const SAVED_KINDS = [['GTTT', 'Căn cước / giấy tờ tùy thân'], ['GKS', 'Giấy khai sinh'], ['GCNKH', 'Giấy chứng nhận kết hôn'],
  ['XNCT', 'Giấy xác nhận thông tin cư trú'], ['KHAC', 'Giấy tờ khác']];

function identityFacts(p, u) {
  const id = (p && p.identity) || {};
  return dl([['Họ và tên', id.full_name || u.name], ['Số CCCD', id.id_number || '—'], ['Ngày sinh', id.date_of_birth ? fmtDate(id.date_of_birth) : '—'],
    id.gender && ['Giới tính', GENDER_VI[id.gender] || id.gender], id.permanent_address && ['Nơi thường trú', id.permanent_address],
    ['Điện thoại', id.phone || '—'], id.email && ['Thư điện tử', id.email], ['Mã hồ sơ điện tử', (p && p.customer_code) || u.customer_code || '—']]);
}

export async function account(main) {
  if (needCitizen(main)) return;
  const u = session.user;
  const out = h('div', { 'aria-live': 'polite' });
  let p = await myProfile();
  const docsBox = h('div', {});
  const drawDocs = () => docsBox.replaceChildren((p && p.documents && p.documents.length)
    ? table('Giấy tờ đã lưu', ['Giấy tờ', 'Dung lượng', 'Ngày lưu'], p.documents.map((d) => [h('span', { title: d.name }, shortName(d.name)), fmtSize(d.size), fmtDate(d.added_at)]))
    : h('p', {}, 'Chưa lưu giấy tờ nào.'));
  drawDocs();
  const bar = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': 'Tiến độ tải lên' });
  const saveForm = form({ 'aria-labelledby': 'luu-gt' }, [h('h3', { id: 'luu-gt' }, 'Lưu giấy tờ để dùng lại'), h('div', { class: 'grid two' },
    field('Loại giấy tờ', h('select', { name: 'code' }, SAVED_KINDS.map(([c, n]) => h('option', { value: c }, n)))),
    field('Tên giấy tờ', h('input', { name: 'name', required: true, maxlength: 200 }))),
  field('Tệp', h('input', { type: 'file', name: 'file', accept: DOC_ACCEPT, required: true }), 'PDF, Word, TIFF hoặc JPEG; tối đa 32 MB'), bar,
  h('button', { type: 'submit' }, 'Lưu giấy tờ')], async (fd) => {
    const file = fd.get('file');
    if (!fd.get('name')) throw new ApiError(400, { title_vi: 'Hãy nhập tên giấy tờ.', field: 'name' });
    if (!file || !file.size) throw new ApiError(400, { title_vi: 'Hãy chọn tệp.', field: 'file' });
    const bad = checkDocument(file);
    if (bad) throw new ApiError(400, { title_vi: bad, field: 'file' });
    bar.hidden = false;
    try {
      const f = await upload(file, (x) => { bar.value = Math.round(x * 100); });
      p = await api('POST', `/profiles/${encodeURIComponent(u.customer_code)}/documents`, { code: fd.get('code'), name: fd.get('name'), sha256: f.sha256 });
    } finally { bar.hidden = true; }
    drawDocs();
    out.replaceChildren(h('div', { class: 'notice', role: 'status' }, `Đã lưu "${fd.get('name')}" vào hồ sơ điện tử.`));
  });
  main.append(h('h1', {}, 'Tài khoản'), out,
    h('section', { class: 'card', 'aria-labelledby': 'hsdt' }, h('h2', { id: 'hsdt' }, 'Hồ sơ điện tử của tôi'), identityFacts(p, u),
      p && p.valid_until ? h('p', { class: 'muted' }, `Thông tin được dùng để điền sẵn mọi biểu mẫu; hiệu lực đến ${fmtDate(p.valid_until)}.`) : null),
    p ? h('section', { class: 'card', 'aria-labelledby': 'gtdl' }, h('h2', { id: 'gtdl' }, 'Giấy tờ dùng lại'),
      h('p', {}, 'Giấy tờ đã lưu có thể chọn khi nộp hồ sơ, không cần tải lên lại.'), docsBox, saveForm) : null,
    h('p', {}, h('button', { type: 'button', class: 'secondary', onclick: async () => {
      await api('POST', '/session/signout'); adoptSession(null); navigate('/');
    } }, 'Đăng xuất'), h('button', { type: 'button', class: 'secondary', onclick: async () => {
      try { await api('POST', '/session/signout-all'); adoptSession(null); navigate('/'); } catch (e) { out.replaceChildren(h('p', { class: 'error' }, problemText(e))); }
    } }, 'Đăng xuất trên mọi thiết bị')));
}

// ---------- filing online ----------
export async function fileOnline(main, code) {
  if (needCitizen(main)) return;
  const [p, prof] = await Promise.all([api('GET', `/procedures/${encodeURIComponent(code)}`), myProfile()]);
  const saved = (prof && prof.documents) || [];
  const key = `file:${code}`;
  const draft = drafts.load(key) || { note: '', docs: {} };
  const uploaded = draft.docs; // document code → {sha256, name, size}
  main.append(h('p', {}, h('a', { href: `/thu-tuc/${encodeURIComponent(code)}` }, '← Thông tin thủ tục')),
    h('h1', {}, 'Nộp hồ sơ trực tuyến'), h('p', { class: 'muted' }, p.name));

  const docFields = (p.documents || []).map((d) => {
    const input = h('input', { type: 'file', name: `doc-${d.code}`, accept: DOC_ACCEPT, 'data-code': d.code });
    const bar = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': `Tiến độ tải lên: ${d.name}` });
    const state = h('p', { class: 'hint', 'aria-live': 'polite' }, uploaded[d.code] ? `Đã tải lên: ${uploaded[d.code].name} (${fmtSize(uploaded[d.code].size)})` : '');
    input.addEventListener('change', async () => {
      const fileObj = input.files[0];
      const wrap = input.closest('.field');
      wrap.querySelectorAll('.error').forEach((x) => x.remove());
      input.removeAttribute('aria-invalid');
      if (!fileObj) return;
      const bad = checkDocument(fileObj);
      if (bad) { input.setAttribute('aria-invalid', 'true'); wrap.append(h('p', { class: 'error', role: 'alert' }, bad)); input.value = ''; return; }
      bar.hidden = false; bar.value = 0; state.textContent = `Đang tải lên ${fileObj.name}…`;
      try {
        const f = await upload(fileObj, (x) => { bar.value = Math.round(x * 100); });
        uploaded[d.code] = { sha256: f.sha256, name: fileObj.name, size: f.size };
        drafts.save(key, draft);
        state.textContent = `Đã tải lên: ${fileObj.name} (${fmtSize(f.size)})`;
        if (reuse) reuse.value = '';
      } catch (e) {
        delete uploaded[d.code];
        input.setAttribute('aria-invalid', 'true');
        const msg = e.status === 415 ? `Tệp "${fileObj.name}" không phải PDF, Word, TIFF hoặc JPEG (máy chủ kiểm tra nội dung tệp).`
          : e.status === 413 ? `Tệp "${fileObj.name}" quá lớn.` : problemText(e);
        wrap.append(h('p', { class: 'error', role: 'alert' }, msg));
        state.textContent = '';
      } finally { bar.hidden = true; }
    });
    // A document kept in the e-profile instead of an upload (the office checks it is the citizen's own).
    let reuse = null;
    if (saved.length) {
      reuse = h('select', { name: `saved-${d.code}`, id: `f-saved-${d.code}` }, h('option', { value: '' }, '— Không dùng —'),
        saved.map((x) => h('option', { value: x.sha256, selected: uploaded[d.code] && uploaded[d.code].sha256 === x.sha256 }, shortName(x.name))));
      reuse.addEventListener('change', () => {
        const x = saved.find((y) => y.sha256 === reuse.value);
        if (x) {
          uploaded[d.code] = { sha256: x.sha256, name: x.name, size: x.size, saved: true };
          input.value = '';
          state.textContent = `Dùng giấy tờ đã lưu: ${shortName(x.name)}`;
        } else if (uploaded[d.code] && uploaded[d.code].saved) { delete uploaded[d.code]; state.textContent = ''; }
        drafts.save(key, draft);
      });
      if (uploaded[d.code] && uploaded[d.code].saved) state.textContent = `Dùng giấy tờ đã lưu: ${shortName(uploaded[d.code].name)}`;
    }
    return [field(`${d.name}${d.mandatory ? ' (bắt buộc)' : ''}`, input, 'PDF, Word, TIFF hoặc JPEG; tối đa 32 MB'),
      reuse ? field(`Hoặc dùng giấy tờ đã lưu (${d.name.split(';')[0]})`, reuse) : null, bar, state];
  });
  const note = h('textarea', { name: 'note' }, draft.note || '');
  note.addEventListener('input', () => { draft.note = note.value; drafts.save(key, draft); });

  const review = h('section', { class: 'card', hidden: true, 'aria-labelledby': 'xl' });
  const f = form({ 'aria-label': 'Thông tin hồ sơ' }, [
    h('div', { class: 'card' }, h('h2', {}, 'Người nộp'), identityFacts(prof, session.user),
      h('p', { class: 'muted' }, 'Điền sẵn từ hồ sơ điện tử của bạn.')),
    h('h2', {}, 'Giấy tờ'), docFields.map((x) => h('div', {}, x)),
    field('Ghi chú cho cán bộ (không bắt buộc)', note),
    h('button', { type: 'submit' }, 'Xem lại hồ sơ')], async () => {
    const missing = (p.documents || []).filter((d) => d.mandatory && !uploaded[d.code]);
    if (missing.length) throw new ApiError(400, { title_vi: `Còn thiếu giấy tờ bắt buộc: ${missing.map((d) => d.name.split(';')[0]).join('; ')}` });
    review.hidden = false;
    review.replaceChildren(h('h2', { id: 'xl', tabindex: '-1' }, 'Xem lại trước khi nộp'),
      dl([['Thủ tục', p.name], ['Thời hạn giải quyết', fmtDays(p.processing_days)], ['Ghi chú', draft.note || '—']]),
      table('Giấy tờ sẽ nộp', ['Giấy tờ', 'Tệp'], (p.documents || []).filter((d) => uploaded[d.code]).map((d) => [d.name.split(';')[0], `${uploaded[d.code].name} (${fmtSize(uploaded[d.code].size)})`])),
      submitForm);
    review.querySelector('h2').focus();
  });
  // One dossier per click: the button is disabled while the request runs, and the page keeps the answer.
  const submitForm = form({ 'aria-label': 'Nộp hồ sơ' }, [h('button', { type: 'submit' }, 'Nộp hồ sơ')], async () => {
    if (draft.filed) { navigate(`/bien-nhan/${encodeURIComponent(draft.filed)}`); return; }
    const body = { procedure_code: p.code, customer_code: session.user.customer_code, channel: 2,
      documents: (p.documents || []).filter((d) => uploaded[d.code]).map((d) => ({ code: d.code, sha256: uploaded[d.code].sha256 })) };
    if (draft.note) body.note = draft.note;
    // The same key for every try of this draft: the office files one dossier for it (Idempotency-Key).
    if (!draft.key) { draft.key = crypto.randomUUID(); drafts.save(key, draft); }
    const d = await api('POST', '/dossiers', body, { headers: { 'Idempotency-Key': draft.key } });
    draft.filed = d.code; drafts.save(key, draft);
    drafts.clear(key);
    navigate(`/bien-nhan/${encodeURIComponent(d.code)}`);
  });
  main.append(f, review);
}

export async function receipt(main, code) {
  if (needCitizen(main)) return;
  const d = await api('GET', `/dossiers/${encodeURIComponent(code)}`);
  const url = `${location.origin}/tra-cuu/${encodeURIComponent(code)}`;
  const { default: qrcode } = await import('./vendor/qrcode.mjs');
  const qr = qrcode(0, 'M');
  qr.addData(url);
  qr.make();
  main.append(h('h1', {}, 'Đã nộp hồ sơ'),
    h('div', { class: 'notice', role: 'status' }, 'Hồ sơ của bạn đã được gửi. Bộ phận một cửa sẽ kiểm tra và tiếp nhận; bạn được báo qua thư điện tử hoặc tin nhắn.'),
    h('section', { class: 'card', 'aria-labelledby': 'bn' }, h('h2', { id: 'bn' }, 'Biên nhận'),
      h('p', {}, 'Mã hồ sơ: ', h('span', { class: 'code-big', id: 'dossier-code' }, d.code)),
      dl([['Thủ tục', d.procedure.name], ['Trạng thái', statusTag(d.status)], ['Ngày nộp', fmtDateTime(d.received_at)],
        ['Hẹn trả kết quả', fmtDateTime(d.due_at)]]),
      h('h3', {}, 'Mã QR tra cứu'),
      h('img', { class: 'qr', src: qr.createDataURL(4, 2), alt: `Mã QR dẫn đến trang tra cứu hồ sơ ${d.code}` }),
      h('p', {}, h('a', { href: `/tra-cuu/${encodeURIComponent(d.code)}` }, url)),
      h('p', {}, h('a', { class: 'button', href: `/onestop/v1/dossiers/${encodeURIComponent(d.code)}/forms/01`, download: `bien-nhan-${d.code}.pdf` }, 'Tải giấy biên nhận (mẫu 01, PDF)'),
        h('a', { class: 'button secondary', href: `/ho-so-cua-toi/${encodeURIComponent(d.code)}` }, 'Theo dõi hồ sơ'))));
}

// ---------- my dossiers ----------
export async function myDossiers(main) {
  if (needCitizen(main)) return;
  const list = await api('GET', '/dossiers');
  const items = list.dossiers || list.items || [];
  main.append(h('h1', {}, 'Hồ sơ của tôi'),
    items.length ? table('Hồ sơ của tôi', ['Mã hồ sơ', 'Thủ tục', 'Trạng thái', 'Ngày nộp', 'Hẹn trả'], items.map((d) => [
      h('a', { href: `/ho-so-cua-toi/${encodeURIComponent(d.code)}` }, d.code), d.procedure_name, statusTag(d.status),
      fmtDate(d.received_at), fmtDateTime(d.due_at)])) : h('p', {}, 'Bạn chưa nộp hồ sơ nào.'),
    h('p', {}, h('a', { class: 'button', href: '/thu-tuc' }, 'Nộp hồ sơ mới')));
}

export function timeline(d) {
  return [h('h2', {}, 'Quá trình xử lý'), h('ol', { class: 'timeline' }, (d.history || []).map((x) => h('li', {},
    h('strong', {}, fmtDateTime(x.at)), `: ${actionName(x.action)}`, x.unit ? h('span', { class: 'muted' }, ` — ${x.unit}`) : null,
    x.comment ? h('div', { class: 'muted' }, x.comment) : null)))];
}

export async function myDossier(main, code) {
  if (needCitizen(main)) return;
  const d = await api('GET', `/dossiers/${encodeURIComponent(code)}`);
  const out = h('div', { 'aria-live': 'polite' });
  main.append(h('p', {}, h('a', { href: '/ho-so-cua-toi' }, '← Hồ sơ của tôi')), h('h1', {}, `Hồ sơ ${d.code}`),
    dl([['Thủ tục', d.procedure.name], ['Trạng thái', statusTag(d.status)], ['Ngày nộp', fmtDateTime(d.received_at)],
      ['Hẹn trả kết quả', fmtDateTime(d.due_at)], d.timeliness ? ['Kết quả', TIMELINESS[d.timeliness] || d.timeliness] : null]),
    h('p', {}, h('a', { href: `/onestop/v1/dossiers/${encodeURIComponent(d.code)}/forms/01`, download: `bien-nhan-${d.code}.pdf` }, 'Giấy biên nhận (mẫu 01, PDF)')), out);
  if (d.status.code === 5) {
    const asked = [...(d.history || [])].reverse().find((x) => x.action === 'request_supplement');
    const sent = (d.documents || []).filter((x) => x.kind === 'supplement' && (!asked || Date.parse(x.added_at) >= Date.parse(asked.at)));
    if (sent.length) main.append(h('div', { class: 'notice', role: 'status' }, `Bạn đã gửi ${sent.length} giấy tờ bổ sung; Bộ phận một cửa sẽ xác nhận.`));
    main.append(supplementForm(d));
  }
  if ((d.allowed_actions || []).includes('request_withdrawal')) {
    main.append(h('section', { class: 'card', 'aria-labelledby': 'rut' }, h('h2', { id: 'rut' }, 'Rút hồ sơ'),
      form({}, [field('Lý do', h('textarea', { name: 'comment' })), h('button', { type: 'submit', class: 'secondary' }, 'Gửi yêu cầu rút hồ sơ')], async (fd) => {
        const comment = String(fd.get('comment') || '');
        await api('POST', `/dossiers/${encodeURIComponent(d.code)}/actions/request_withdrawal`, comment ? { comment } : {});
        navigate(location.pathname, { replace: true });
      })));
  }
  if (d.status.code === 9 || d.status.code === 10) main.append(h('p', {}, h('a', { class: 'button', href: `/tra-cuu/${encodeURIComponent(d.code)}` }, 'Tải kết quả')));
  main.append(...timeline(d));
}

function supplementForm(d) {
  const asked = [...(d.history || [])].reverse().find((x) => x.action === 'request_supplement');
  const files = [];
  const input = h('input', { type: 'file', name: 'files', multiple: true, accept: DOC_ACCEPT });
  const bar = h('progress', { max: '100', value: '0', hidden: true, 'aria-label': 'Tiến độ tải lên' });
  const state = h('ul', { 'aria-live': 'polite' });
  input.addEventListener('change', async () => {
    const wrap = input.closest('.field');
    wrap.querySelectorAll('.error').forEach((x) => x.remove());
    for (const f of input.files) {
      const bad = checkDocument(f);
      if (bad) { wrap.append(h('p', { class: 'error', role: 'alert' }, bad)); continue; }
      bar.hidden = false;
      try {
        const up = await upload(f, (x) => { bar.value = Math.round(x * 100); });
        files.push({ name: f.name, sha256: up.sha256 });
        state.append(h('li', {}, `Đã tải lên: ${f.name}`));
      } catch (e) { wrap.append(h('p', { class: 'error', role: 'alert' }, e.status === 415 ? `Tệp "${f.name}" không đúng loại.` : problemText(e))); }
      bar.hidden = true;
    }
    input.value = '';
  });
  return h('section', { class: 'card', 'aria-labelledby': 'bs' }, h('h2', { id: 'bs' }, 'Bổ sung hồ sơ'),
    h('p', {}, 'Cán bộ yêu cầu bổ sung:'),
    h('ul', {}, ((asked && asked.details && asked.details.items) || []).map((x) => h('li', {}, typeof x === 'string' ? x : x.name || JSON.stringify(x))),
      asked && asked.details && asked.details.reason ? h('li', {}, `Lý do: ${asked.details.reason}`) : null,
      asked && asked.comment ? h('li', {}, asked.comment) : null),
    form({}, [field('Giấy tờ bổ sung', input, 'PDF, Word, TIFF hoặc JPEG'), bar, state,
      field('Ghi chú', h('textarea', { name: 'note' })), h('button', { type: 'submit' }, 'Gửi bổ sung')], async (fd) => {
      if (!files.length) throw new ApiError(400, { field: 'files', title_vi: 'Hãy chọn ít nhất một tệp.' });
      const body = { documents: files };
      const note = String(fd.get('note') || ''); if (note) body.note = note;
      await api('POST', `/dossiers/${encodeURIComponent(d.code)}/supplement`, body);
      navigate(location.pathname, { replace: true });
    }));
}
