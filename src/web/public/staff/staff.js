// Llavero staff pages: what the agent console (/agent/) and the managers' dashboard (/dashboard/) share. Plain browser
// JavaScript, no build step, loaded (defer) before each page's own script. Everything from the server is untrusted and
// is rendered with textContent (never HTML). It defines one global, `window.LlaveroStaff`:
//
//   Helpers, without state:
//     $(id)                          document.getElementById
//     el(tag, attrs, ...children)    an element; attrs: class, text (textContent), on: {type: fn}, true → empty
//                                    attribute, false/null/undefined → left out, anything else → setAttribute
//     str(v)                         a string, or a finite number as text; '' for anything else
//     idOf(v)                        the same as str(v), for ids (a string or a finite number)
//     obj(v)                         a plain object (not an array); {} for anything else
//     arr(v)                         an array; [] for anything else
//     num(v)                         a finite number, or null for anything else
//     own(o, k)                      o has its own property k
//     toDate(v)                      a Date from a timestamp (number or digits) or a date string, or null
//
//   create(options) → page: one staff page's strings, requests, sign-in, header and notices. The page's HTML has
//     #loading, a header #topbar (this module adds its right end: #me, #lang, #logout), an empty `.toast` (it adds
//     #notice and #notice-dismiss), an empty sign-in view (it adds the form #login-form) and the other views.
//     options.state            the page's state object; this module keeps `view`, `me`, `csrf`, `loginError` and
//                              `busy` (a Set; it uses the keys 'login', 'logout' and 'lang') on it
//     options.strings(lng)     the URL of the page's strings in a language ('es' or 'en')
//     options.main             the name of the signed-in view ('console', 'dashboard')
//     options.views            {login, forbidden, [main]}: the id of each view's element
//     options.title()          the document's title now
//     options.errorText(r)     the notice for a failed request's answer
//     options.forbiddenPrefix  optional: any 403 from a path starting with it means this role may not use the page
//     options.onSignedIn()     signed in (or the session was already there): start the page
//     options.onForget()       forget everything shown (signed out, or not allowed)
//     options.onStrings()      optional: the page's own words, after the static ones (language loaded or switched)
//     options.onView(name)     optional: the page's own parts of a view change, before the header is redrawn
//     options.onForbidden()    optional: after the "not allowed" view is shown
//     options.onLanguage()     optional: the language changed while the signed-in view is shown
//
//   page.lng                           the language in use
//   page.t(key, params)                the string at a dotted key with {{name}} filled in, or the key itself
//   page.label(group, value)           the string at `group.value`, or the value itself
//   page.request(method, path, body, {quiet})
//                                      JSON to and from the same origin with the CSRF token; null on a network
//                                      failure (after a notice unless quiet), else {ok, status, data, handled}, where
//                                      `handled` means a 401 or 403 already changed the view
//   page.refreshSession()              /api/auth/me again (a new CSRF token); the request's answer
//   page.notify(text, kind)            a notice, 'info' or 'error'; page.clearNotice() takes it away
//   page.setView(name)                 shows one view (login, forbidden, main) and the header that goes with it
//   page.showForbidden()               forgets what is shown and says this role may not use the page
//   page.updateTitle()                 document.title = options.title()
//   page.transcriptLine(line, time)    one transcript line (customer, bot or agent); time(date) formats its time
//   page.start()                       adds and wires the header's controls, the notice and the sign-in form, loads
//                                      the strings (retrying), checks the session; call it once the page is wired
(() => {
  'use strict';

  const SUPPORTED = ['es', 'en'];
  const NOTICE_MS = { info: 6_000, error: 15_000 };
  const AUTHORS = ['customer', 'bot', 'agent'];

  // ---- helpers -----------------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const str = (v) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
  const obj = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
  const arr = (v) => (Array.isArray(v) ? v : []);
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const idOf = str;
  const own = (o, k) => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = String(v);
      else if (k === 'on') for (const [type, fn] of Object.entries(v)) e.addEventListener(type, fn);
      else if (v === true) e.setAttribute(k, '');
      else e.setAttribute(k, String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false && c !== '') e.append(c);
    return e;
  }

  function toDate(v) {
    if (v === undefined || v === null || v === '') return null;
    const d = new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  const sanitizeUser = (u) => {
    const o = obj(u);
    return { id: idOf(o.id), email: str(o.email), name: str(o.name), role: str(o.role) };
  };

  function initialLanguage() {
    const asked = new URLSearchParams(location.search).get('lng');
    if (asked && SUPPORTED.includes(asked)) return asked;
    return String(navigator.language || '').toLowerCase().startsWith('en') ? 'en' : 'es';
  }

  // ---- one page ----------------------------------------------------------------------------------
  function create(options) {
    const o = options;
    const state = o.state;
    const hook = (name, ...args) => (typeof o[name] === 'function' ? o[name](...args) : undefined);

    // ---- strings ----
    /** @type {Record<string, Record<string, unknown>>} */
    const strings = {};
    let lng = initialLanguage();

    function lookup(key) {
      let v = strings[lng];
      for (const k of key.split('.')) {
        if (!own(v, k)) return undefined;
        v = v[k];
      }
      return typeof v === 'string' ? v : undefined;
    }

    function t(key, params) {
      // i18next's plural keys (`key_one`, `key_other`) when a count is given.
      const count = params && typeof params.count === 'number' ? params.count : undefined;
      const v =
        (count !== undefined ? (lookup(`${key}_${new Intl.PluralRules(lng).select(count)}`) ?? lookup(`${key}_other`)) : undefined) ?? lookup(key);
      if (v === undefined) return key;
      return v.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, k) => (params && own(params, k) ? String(params[k]) : whole));
    }

    /** The translated label of an enumerated value (`group.value`), or the value itself when there is none. */
    function label(group, value) {
      const v = str(value);
      return v && lookup(`${group}.${v}`) !== undefined ? t(`${group}.${v}`) : v;
    }

    async function loadStrings(l) {
      if (strings[l]) return true;
      try {
        const res = await fetch(o.strings(l), { credentials: 'same-origin', headers: { accept: 'application/json' } });
        if (!res.ok) return false;
        const data = await res.json();
        if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
        strings[l] = data;
        return true;
      } catch {
        return false;
      }
    }

    // ---- requests ----
    async function request(method, path, body, { quiet = false } = {}) {
      const headers = { accept: 'application/json' };
      const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
      if (method !== 'GET') {
        headers['content-type'] = 'application/json';
        headers['x-csrf-token'] = state.csrf || '';
        init.body = JSON.stringify(body || {});
      }
      let res;
      try {
        res = await fetch(path, init);
      } catch {
        if (!quiet) notify(t('errors.network'), 'error');
        return null;
      }
      let data = {};
      try {
        const parsed = await res.json();
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed;
      } catch {
        // empty or not JSON
      }
      const r = { ok: res.ok, status: res.status, data, handled: false };
      if (res.status === 401 && path !== '/api/auth/login') {
        r.handled = true;
        signedOut();
      } else if (res.status === 403 && data.error === 'auth.csrf') {
        r.handled = true;
        notify(t('errors.csrf'), 'error');
        void refreshSession();
      } else if (res.status === 403 && (data.error === 'auth.forbidden' || (o.forbiddenPrefix && path.startsWith(o.forbiddenPrefix)))) {
        r.handled = true;
        showForbidden();
      }
      return r;
    }

    async function refreshSession() {
      const r = await request('GET', '/api/auth/me', undefined, { quiet: true });
      if (r && r.ok && r.data.user) {
        state.me = sanitizeUser(r.data.user);
        state.csrf = str(r.data.csrf);
        renderMe();
      }
      return r;
    }

    // ---- notices ----
    let noticeTimer = 0;

    function notify(text, kind = 'info') {
      const n = $('notice');
      n.textContent = text;
      n.parentElement.dataset.kind = kind;
      $('notice-dismiss').hidden = false;
      clearTimeout(noticeTimer);
      noticeTimer = setTimeout(clearNotice, NOTICE_MS[kind] || NOTICE_MS.info);
    }

    function clearNotice() {
      clearTimeout(noticeTimer);
      $('notice').textContent = '';
      $('notice-dismiss').hidden = true;
    }

    // ---- static strings, header, views ----
    function applyStrings() {
      document.documentElement.lang = lng;
      for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
      for (const e of document.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
      const langBtn = $('lang');
      langBtn.textContent = t('header.otherLanguage');
      langBtn.setAttribute('lang', lng === 'es' ? 'en' : 'es');
      $('login-error').textContent = state.loginError ? t(state.loginError) : '';
      hook('onStrings');
      renderMe();
      updateTitle();
    }

    function renderMe() {
      const me = state.me;
      $('me-name').textContent = me ? me.name || me.email : '';
      $('me-role').textContent = me ? label('roles', me.role) : '';
      $('me').hidden = !me || (state.view !== o.main && state.view !== 'forbidden');
    }

    function updateTitle() {
      document.title = o.title();
    }

    function setView(name) {
      state.view = name;
      $('loading').hidden = true;
      $('topbar').hidden = false;
      for (const [view, id] of Object.entries(o.views)) $(id).hidden = name !== view;
      $('logout').hidden = name !== o.main && name !== 'forbidden';
      hook('onView', name);
      renderMe();
      updateTitle();
    }

    // ---- sign-in and session ----
    function setLoginError(key) {
      state.loginError = key || '';
      $('login-error').textContent = key ? t(key) : '';
    }

    function signedIn(user, csrf) {
      state.me = sanitizeUser(user);
      state.csrf = str(csrf);
      setLoginError('');
      o.onSignedIn();
    }

    async function login(ev) {
      ev.preventDefault();
      if (state.busy.has('login')) return;
      const emailInput = $('login-email');
      const passwordInput = $('login-password');
      const email = emailInput.value.trim();
      const password = passwordInput.value;
      if (!email || !password) {
        setLoginError('login.missing');
        (email ? passwordInput : emailInput).focus();
        return;
      }
      state.busy.add('login');
      $('login-submit').disabled = true;
      setLoginError('');
      let next = passwordInput;
      try {
        const r = await request('POST', '/api/auth/login', { email, password }, { quiet: true });
        if (!r) {
          setLoginError('errors.network');
          return;
        }
        if (r.handled) return;
        if (r.ok && r.data.user) {
          passwordInput.value = '';
          next = null;
          signedIn(r.data.user, r.data.csrf);
          return;
        }
        if (r.status === 401) setLoginError('login.invalid');
        else if (r.status === 429) setLoginError('login.rateLimited');
        else if (r.status === 400) setLoginError('login.fields');
        else setLoginError('errors.generic');
      } finally {
        state.busy.delete('login');
        $('login-submit').disabled = false;
        if (next && state.view === 'login') {
          next.focus();
          next.select();
        }
      }
    }

    async function logout() {
      if (state.busy.has('logout')) return;
      state.busy.add('logout');
      try {
        const r = await request('POST', '/api/auth/logout', {});
        if (r && !r.handled) {
          signedOut();
          notify(t('header.signedOut'), 'info');
        }
      } finally {
        state.busy.delete('logout');
      }
    }

    /** The session is gone (401 or signed out): back to the sign-in form. */
    function signedOut() {
      const was = state.view;
      o.onForget();
      state.me = null;
      state.csrf = '';
      if (was !== 'login') {
        setView('login');
        $('login-password').value = '';
        $('login-email').focus();
      }
    }

    /** Signed in, but this role cannot use the page. */
    function showForbidden() {
      if (state.view === 'forbidden') return;
      o.onForget();
      setView('forbidden');
      hook('onForbidden');
    }

    async function checkSession() {
      const r = await request('GET', '/api/auth/me');
      if (!r) {
        setTimeout(checkSession, 5_000);
        return;
      }
      if (r.handled) return;
      if (r.ok && r.data.user) {
        signedIn(r.data.user, r.data.csrf);
        return;
      }
      notify(o.errorText(r), 'error');
      setTimeout(checkSession, 5_000);
    }

    // ---- language ----
    async function switchLanguage() {
      if (state.busy.has('lang')) return;
      const next = lng === 'es' ? 'en' : 'es';
      state.busy.add('lang');
      try {
        if (!(await loadStrings(next))) {
          notify(t('errors.network'), 'error');
          return;
        }
        lng = next;
        const u = new URL(location.href);
        u.searchParams.set('lng', lng);
        history.replaceState(null, '', u.toString());
        clearNotice();
        applyStrings();
        if (state.view === o.main) hook('onLanguage');
      } finally {
        state.busy.delete('lang');
      }
    }

    // ---- transcript ----
    function transcriptLine(line, time) {
      const author = AUTHORS.includes(line.author) ? line.author : line.direction === 'in' ? 'customer' : 'bot';
      const who = author === 'agent' ? str(line.agentName) || t('transcript.agent') : t(`transcript.${author}`);
      const at = toDate(line.at);
      const options = arr(line.options).map(str).filter(Boolean);
      return el(
        'div',
        { class: `line ${author}` },
        el('div', { class: 'line-head' }, el('span', { class: 'line-who', text: who }), at ? el('time', { class: 'line-time', datetime: at.toISOString(), text: time(at) }) : null),
        el('div', { class: 'line-text', text: str(line.text) }),
        options.length ? el('ul', { class: 'chips', 'aria-label': t('transcript.options') }, options.map((x) => el('li', { class: 'chip', text: x }))) : null,
      );
    }

    // ---- start ----
    /** What every staff page shows the same: the header's right end, the notice, the sign-in form. */
    function mount() {
      $('topbar').append(
        el('span', { class: 'spacer' }),
        el('span', { id: 'me', class: 'me', hidden: true }, el('span', { id: 'me-name', class: 'me-name' }), el('span', { id: 'me-role', class: 'role-badge' })),
        el('button', { id: 'lang', type: 'button', class: 'btn btn-quiet' }),
        el('button', { id: 'logout', type: 'button', class: 'btn btn-quiet', 'data-i18n': 'header.logout', hidden: true }),
      );
      document.querySelector('.toast').append(
        el('p', { id: 'notice', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' }),
        el('button', { id: 'notice-dismiss', type: 'button', class: 'toast-close', 'data-i18n-label': 'notice.dismiss', hidden: true }),
      );
      const input = (name, type, autocomplete, extra) =>
        el('div', { class: 'field' }, el('label', { for: `login-${name}`, 'data-i18n': `login.${name}` }), el('input', { id: `login-${name}`, name, type, autocomplete, ...extra, required: true }));
      $(o.views.login).append(
        el(
          'form',
          { id: 'login-form', class: 'card login-card', novalidate: true },
          el('h2', { class: 'card-title', 'data-i18n': 'login.title' }),
          el('p', { class: 'muted', 'data-i18n': 'login.intro' }),
          input('email', 'email', 'username', { spellcheck: 'false' }),
          input('password', 'password', 'current-password'),
          el('p', { id: 'login-error', class: 'form-error', role: 'alert' }),
          el('button', { id: 'login-submit', type: 'submit', class: 'btn btn-primary btn-wide', 'data-i18n': 'login.submit' }),
        ),
      );
    }

    async function start() {
      mount();
      $('login-form').addEventListener('submit', login);
      $('logout').addEventListener('click', () => void logout());
      $('lang').addEventListener('click', () => void switchLanguage());
      $('notice-dismiss').addEventListener('click', clearNotice);
      let wait = 1_000;
      while (!(await loadStrings(lng))) {
        await sleep(wait);
        wait = Math.min(wait * 2, 15_000);
      }
      applyStrings();
      await checkSession();
    }

    return Object.freeze({
      get lng() {
        return lng;
      },
      t,
      label,
      request,
      refreshSession,
      notify,
      clearNotice,
      setView,
      showForbidden,
      updateTitle,
      transcriptLine,
      start,
    });
  }

  window.LlaveroStaff = Object.freeze({ $, el, str, obj, arr, num, idOf, own, toDate, create });
})();
