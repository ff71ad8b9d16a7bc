// Shared helpers of the pages: building elements, calling /onestop/v1 with the session cookie and CSRF token,
// showing problem+json answers next to their field, Vietnamese formats (dd/mm/yyyy, Vietnam time, đồng).
export const API = '/onestop/v1';

// The session lives in an HttpOnly cookie; the page keeps only the user and the CSRF token, in memory.
export const session = { user: null, csrf: null, checked: false };

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super((problem && (problem.title_vi || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.retryAfter = retryAfter;
  }
  get code() { return this.problem.code || ''; }
}

async function readAnswer(r) {
  if (r.status === 204) return null;
  const type = r.headers.get('content-type') || '';
  if (type.includes('json')) return r.json();
  return r.blob();
}

// Called when an answer says the session is gone: the page keeps the draft and goes to sign-in.
export const hooks = { onSessionExpired: null };

export async function api(method, path, body, { raw = false, headers: extra = {} } = {}) {
  const headers = { ...extra };
  let payload;
  if (body instanceof Blob) { payload = body; headers['Content-Type'] = body.type || 'application/octet-stream'; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  let r;
  try {
    r = await fetch(API + path, { method, headers, body: payload, credentials: 'same-origin', cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { title_vi: 'Không kết nối được máy chủ. Vui lòng kiểm tra mạng và thử lại.' });
  }
  if (raw && r.ok) return r;
  const data = await readAnswer(r);
  if (!r.ok) {
    const problem = data && !(data instanceof Blob) ? data : null;
    const err = new ApiError(r.status, problem, r.headers.get('Retry-After'));
    if (r.status === 401 && session.user && hooks.onSessionExpired && !path.startsWith('/session/')) {
      session.user = null; session.csrf = null;
      hooks.onSessionExpired(err);
    }
    throw err;
  }
  return data;
}

// Opens a session answer {user, csrf, expires_at}.
export function adoptSession(answer) {
  session.user = answer ? answer.user : null;
  session.csrf = answer ? answer.csrf : null;
  session.checked = true;
}

export async function loadSession() {
  try { adoptSession(await api('GET', '/session')); } catch { adoptSession(null); }
  return session.user;
}

// Uploads one file with progress (XMLHttpRequest reports upload progress; fetch does not).
export function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('POST', API + '/files');
    x.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    if (session.csrf) x.setRequestHeader('X-CSRF-Token', session.csrf);
    x.upload.onprogress = (e) => { if (e.lengthComputable && onProgress) onProgress(e.loaded / e.total); };
    x.onload = () => {
      let body = null;
      try { body = JSON.parse(x.responseText); } catch { /* not JSON */ }
      if (x.status >= 200 && x.status < 300) resolve(body);
      else {
        if (x.status === 401 && session.user && hooks.onSessionExpired) { session.user = null; session.csrf = null; hooks.onSessionExpired(); }
        reject(new ApiError(x.status, body, x.getResponseHeader('Retry-After')));
      }
    };
    x.onerror = () => reject(new ApiError(0, { title_vi: 'Mất kết nối khi tải tệp lên. Vui lòng thử lại.' }));
    x.send(file);
  });
}

// ---- formats (Vietnam time, UTC+7, whatever the browser's zone) ----
const VN = 'Asia/Ho_Chi_Minh';
export function fmtDate(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('vi-VN', { timeZone: VN, day: '2-digit', month: '2-digit', year: 'numeric' }).format(d);
}
export function fmtDateTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: VN, day: '2-digit', month: '2-digit',
    year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.hour}:${p.minute} ${p.day}/${p.month}/${p.year}`;
}
export function fmtMoney(n) {
  return `${Math.round(Number(n) || 0).toString().replace(/\B(?=(\d{3})+(?!\d))/g, '.')} đ`;
}
export function fmtSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} MB`;
}
export function fmtDays(d) { return `${String(d).replace('.', ',')} ngày làm việc`; }
export function todayVN() {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: VN, day: '2-digit', month: '2-digit',
    year: 'numeric' }).formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}`;
}

// "Đăng ký" and "dang ky" compare equal: lower case, no diacritics, đ → d.
export function fold(s) {
  return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'd')
    .toLowerCase().replace(/\s+/g, ' ').trim();
}

export const STATUS_TAG = { 1: 'warn', 2: 'ok', 3: 'bad', 4: 'ok', 5: 'warn', 6: 'warn', 7: 'warn', 8: 'bad', 9: 'ok', 10: 'ok' };
export function statusTag(status) {
  return h('span', { class: `tag ${STATUS_TAG[status.code] || ''}` }, status.name_vi || status.name || String(status.code));
}
export const TIMELINESS = { early: 'Trước hạn', on_time: 'Đúng hạn', late: 'Trễ hạn' };

// ---- forms: the server's reason next to its field, or at the top ----
export function clearErrors(form) {
  form.querySelectorAll('.error[data-for]').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => {
    e.removeAttribute('aria-invalid');
    const ids = (e.getAttribute('aria-describedby') || '').split(' ').filter((x) => !x.startsWith('err-'));
    if (ids.length) e.setAttribute('aria-describedby', ids.join(' ')); else e.removeAttribute('aria-describedby');
  });
  const top = form.querySelector('.form-alert');
  if (top) { top.textContent = ''; top.hidden = true; }
}

export function problemText(err) {
  const p = err.problem || {};
  let text = p.title_vi || p.title || err.message || 'Đã có lỗi.';
  if (p.detail && p.detail !== text) text += ` (${p.detail})`;
  if (err.status === 429 && err.retryAfter) text += ` Vui lòng thử lại sau ${err.retryAfter} giây.`;
  return text;
}

function markField(form, name, message) {
  const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
  if (!input) return false;
  const id = `err-${name}`;
  const msg = h('p', { class: 'error', id, 'data-for': name }, message);
  input.setAttribute('aria-invalid', 'true');
  const ids = (input.getAttribute('aria-describedby') || '').split(' ').filter(Boolean);
  input.setAttribute('aria-describedby', [...ids, id].join(' '));
  (input.closest('.field') || input.parentElement).append(msg);
  return true;
}

export function showProblem(form, err) {
  clearErrors(form);
  const p = err.problem || {};
  // One message per field: the errors[] entries (path "/field"), else the problem's own `field`.
  const byField = new Map();
  if (Array.isArray(p.errors)) {
    for (const e of p.errors) {
      const name = String(e.path || e.field || '').replace(/^\//, '').split('/')[0];
      if (!name) continue;
      const why = e.message || e.detail || '';
      byField.set(name, [...(byField.get(name) || []), why].filter(Boolean));
    }
  }
  if (p.field && !byField.has(p.field)) byField.set(p.field, [p.detail || ''].filter(Boolean));
  let placed = false;
  for (const [name, whys] of byField) {
    const title = p.title_vi || p.title || 'Không hợp lệ';
    if (markField(form, name, whys.length ? `${title}: ${whys.join('; ')}` : title)) placed = true;
  }
  let top = form.querySelector('.form-alert');
  if (!top) { top = h('div', { class: 'alert form-alert', role: 'alert' }); form.prepend(top); }
  top.hidden = false;
  top.textContent = placed ? 'Vui lòng sửa các mục được đánh dấu bên dưới.' : problemText(err);
  const first = form.querySelector('[aria-invalid="true"]');
  (first || top).focus?.();
  if (!first) { top.tabIndex = -1; top.focus(); }
}

export function field(label, input, hint) {
  const id = input.id || `f-${input.name}`;
  input.id = id;
  let hintEl = null;
  if (hint) {
    hintEl = h('span', { class: 'hint', id: `${id}-hint` }, hint);
    input.setAttribute('aria-describedby', `${id}-hint`);
  }
  return h('div', { class: 'field' }, h('label', { for: id }, label), hintEl, input);
}

// A form whose submit button is disabled while its handler runs, so a double click sends once.
export function form(attrs, children, onSubmit) {
  const f = h('form', { novalidate: true, ...attrs }, h('div', { class: 'alert form-alert', role: 'alert', hidden: true }), children);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (f.dataset.busy) return;
    f.dataset.busy = '1';
    const buttons = [...f.querySelectorAll('button[type="submit"], button:not([type])')];
    buttons.forEach((b) => { b.disabled = true; });
    clearErrors(f);
    try { await onSubmit(new FormData(f), f, e.submitter); } catch (err) {
      if (err instanceof ApiError) showProblem(f, err); else { showProblem(f, new ApiError(0, { title_vi: String(err.message || err) })); }
    } finally {
      delete f.dataset.busy;
      buttons.forEach((b) => { b.disabled = false; });
    }
  });
  return f;
}

export function dl(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export function table(caption, heads, rows, { numeric = [] } = {}) {
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {},
      h('caption', { class: 'sr-only' }, caption),
      h('thead', {}, h('tr', {}, heads.map((x, i) => h('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => h('td', { class: numeric.includes(i) ? 'num' : null }, c)))))));
}

export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, class: 'sr-only' }, name);
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}

// Drafts survive an expired session in sessionStorage (never a token there).
export const drafts = {
  save(key, value) { try { sessionStorage.setItem(`draft:${key}`, JSON.stringify(value)); } catch { /* full */ } },
  load(key) { try { return JSON.parse(sessionStorage.getItem(`draft:${key}`) || 'null'); } catch { return null; } },
  clear(key) { sessionStorage.removeItem(`draft:${key}`); },
};

// Accepted documents: what the server detects from content (PDF, Word, TIFF, JPEG).
export const DOC_ACCEPT = '.pdf,.doc,.docx,.tif,.tiff,.jpg,.jpeg,application/pdf,image/jpeg,image/tiff,application/msword,application/vnd.openxmlformats-officedocument.wordprocessingml.document';
export const MAX_UPLOAD = 32 * 1024 * 1024;
export function checkDocument(file) {
  if (!/\.(pdf|docx?|tiff?|jpe?g)$/i.test(file.name))
    return `Tệp "${file.name}" không đúng loại. Chỉ nhận PDF, Word (.doc, .docx), TIFF hoặc JPEG.`;
  if (file.size > MAX_UPLOAD) return `Tệp "${file.name}" quá lớn (${fmtSize(file.size)}); tối đa ${fmtSize(MAX_UPLOAD)}.`;
  if (file.size === 0) return `Tệp "${file.name}" rỗng.`;
  return null;
}

export const ACTION_VI = {
  file: 'Nộp hồ sơ', accept: 'Tiếp nhận', refuse: 'Từ chối tiếp nhận', start_processing: 'Bắt đầu xử lý',
  request_supplement: 'Yêu cầu bổ sung', supplement: 'Công dân bổ sung giấy tờ', supplement_submitted: 'Công dân nộp giấy tờ bổ sung', supplement_received: 'Nhận bổ sung',
  request_payment: 'Yêu cầu nộp phí', payment_received: 'Đã nhận phí', request_withdrawal: 'Xin rút hồ sơ',
  approve_withdrawal: 'Đồng ý rút hồ sơ', reject_withdrawal: 'Không đồng ý rút hồ sơ', stop: 'Dừng xử lý',
  finish: 'Hoàn thành', deliver_result: 'Trả kết quả', handover: 'Chuyển bước', extend: 'Gia hạn (thư xin lỗi)',
  result: 'Ký kết quả', sign_result: 'Ký kết quả',
};
export function actionName(a) { return ACTION_VI[a] || a; }
