// The pages' router: one HTML shell (index.html), a view per route, drawn into <main>. Links inside the site
// are followed without reloading; the server answers index.html for every route listed here (web_assets.cpp).
import { h, session, hooks, loadSession, api, drafts } from './lib.js';
import * as citizen from './citizen.js';
// Officials' pages are loaded only when an official page is opened: a citizen's first load stays small.
const lazy = (name) => async (...args) => (await import('./official.js'))[name](...args);
const official = Object.fromEntries(['queues', 'signin', 'dossier', 'intake', 'signResults', 'dashboard', 'admin'].map((n) => [n, lazy(n)]));

const routes = [
  [/^\/$/, citizen.home],
  [/^\/thu-tuc$/, citizen.home],
  [/^\/thu-tuc\/([^/]+)$/, citizen.procedure],
  [/^\/tra-cuu$/, citizen.lookup],
  [/^\/tra-cuu\/([^/]+)$/, citizen.lookup],
  [/^\/tai-khoan$/, citizen.account],
  [/^\/tai-khoan\/dang-ky$/, citizen.signup],
  [/^\/tai-khoan\/dang-nhap$/, citizen.signin],
  [/^\/nop-ho-so\/([^/]+)$/, citizen.fileOnline],
  [/^\/bien-nhan\/([^/]+)$/, citizen.receipt],
  [/^\/ho-so-cua-toi$/, citizen.myDossiers],
  [/^\/ho-so-cua-toi\/([^/]+)$/, citizen.myDossier],
  [/^\/can-bo$/, official.queues],
  [/^\/can-bo\/dang-nhap$/, official.signin],
  [/^\/can-bo\/ho-so\/([^/]+)$/, official.dossier],
  [/^\/can-bo\/tiep-nhan$/, official.intake],
  [/^\/can-bo\/ky-so$/, official.signResults],
  [/^\/can-bo\/bao-cao$/, official.dashboard],
  [/^\/can-bo\/quan-tri$/, official.admin],
];

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  render();
}

function notFound(main) {
  document.title = 'Không tìm thấy trang — Một cửa điện tử';
  main.append(h('h1', {}, 'Không tìm thấy trang'),
    h('p', {}, 'Địa chỉ bạn mở không có trên trang Một cửa điện tử.'),
    h('p', {}, h('a', { href: '/' }, 'Về trang chủ')));
}

function drawNav() {
  const nav = document.getElementById('nav');
  const u = session.user;
  const items = [];
  const path = location.pathname;
  if (path.startsWith('/can-bo')) {
    if (u && u.role !== 'citizen') {
      items.push(['/can-bo', 'Hàng đợi']);
      if (u.role === 'receiving') items.push(['/can-bo/tiep-nhan', 'Tiếp nhận']);
      if (u.role === 'leader') items.push(['/can-bo/ky-so', 'Ký kết quả']);
      if (u.role === 'leader' || u.role === 'admin' || u.scope === 'province') items.push(['/can-bo/bao-cao', 'Báo cáo']);
      if (u.role === 'admin') items.push(['/can-bo/quan-tri', 'Quản trị']);
    } else items.push(['/can-bo/dang-nhap', 'Đăng nhập cán bộ']);
  } else {
    items.push(['/thu-tuc', 'Thủ tục'], ['/tra-cuu', 'Tra cứu hồ sơ']);
    if (u && u.role === 'citizen') items.push(['/ho-so-cua-toi', 'Hồ sơ của tôi'], ['/tai-khoan', 'Tài khoản']);
    else items.push(['/tai-khoan/dang-nhap', 'Đăng nhập']);
  }
  nav.replaceChildren(...items.map(([href, text]) => h('li', {}, h('a', {
    href, 'aria-current': (path === href || (href !== '/can-bo' && path.startsWith(`${href}/`))) ? 'page' : null }, text))));
}

let drawing = 0;
export async function render() {
  const mine = ++drawing;
  delete document.documentElement.dataset.ready;
  if (!session.checked) await loadSession();
  const main = document.getElementById('main');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const fresh = h('main', { id: 'main', class: 'wrap', tabindex: '-1' });
  let view = null; let args = [];
  for (const [re, fn] of routes) {
    const m = path.match(re);
    if (m) { view = fn; args = m.slice(1).map(decodeURIComponent); break; }
  }
  drawNav();
  try {
    if (view) await view(fresh, ...args); else notFound(fresh);
  } catch (e) {
    fresh.replaceChildren(h('h1', {}, 'Không hiển thị được trang'),
      h('div', { class: 'alert', role: 'alert' }, e.problem ? (e.problem.title_vi || e.message) : String(e.message || e)));
  }
  if (mine !== drawing) return;
  main.replaceWith(fresh);
  drawNav();
  const h1 = fresh.querySelector('h1');
  if (h1 && !document.title.startsWith(h1.textContent)) document.title = `${h1.textContent} — Một cửa điện tử`;
  if (window.lgspFocusMain) fresh.focus();
  window.lgspFocusMain = true;
  document.documentElement.dataset.ready = path;
}

// An expired session: keep what was typed (the forms save drafts), go to sign-in, come back afterwards.
hooks.onSessionExpired = () => {
  const back = location.pathname + location.search;
  drafts.save('return', back);
  const where = back.startsWith('/can-bo') ? '/can-bo/dang-nhap' : '/tai-khoan/dang-nhap';
  navigate(`${where}?het-han=1`);
};

document.addEventListener('click', (e) => {
  const a = e.target.closest('a');
  if (!a || a.target || a.hasAttribute('download') || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/onestop/') || url.pathname.startsWith('/assets/')) return;
  // A link within the page (the skip link's #main) is the browser's: it moves focus there and keeps what was typed.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  e.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', () => render());
window.lgspNavigate = navigate;
export { api };
render();
