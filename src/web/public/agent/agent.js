// Llavero agent console: support agents see who waits for a person and take conversations over from the bot.
// Plain browser JavaScript, no build step, no dependencies. Everything from the server is untrusted and is
// rendered with textContent (never HTML); every text a person reads comes from locales/<lng>/agent.json.
(() => {
  'use strict';

  const SUPPORTED = ['es', 'en'];
  const MAX_REPLY = 2000;
  const THROTTLE_MS = 300;
  const POLL_MS = 30_000;
  const NOTICE_MS = { info: 6_000, error: 15_000 };
  const TAGS = ['solved', 'workaround', 'escalated', 'no-response', 'out-of-scope'];
  const AUTHORS = ['customer', 'bot', 'agent'];
  const CHECK_RANK = { fail: 0, warn: 1, pass: 2, skip: 3 };
  const NARROW = window.matchMedia('(max-width: 799px)');

  // ---- strings ---------------------------------------------------------------------------------
  /** @type {Record<string, Record<string, unknown>>} */
  const strings = {};
  let lng = initialLanguage();

  function initialLanguage() {
    const asked = new URLSearchParams(location.search).get('lng');
    if (asked && SUPPORTED.includes(asked)) return asked;
    return String(navigator.language || '').toLowerCase().startsWith('en') ? 'en' : 'es';
  }

  const own = (o, k) => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);

  function lookup(key) {
    let o = strings[lng];
    for (const k of key.split('.')) {
      if (!own(o, k)) return undefined;
      o = o[k];
    }
    return typeof o === 'string' ? o : undefined;
  }

  function t(key, params) {
    const v = lookup(key);
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
      const res = await fetch(`/api/agent/strings/${l}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
      if (!res.ok) return false;
      const data = await res.json();
      if (!data || typeof data !== 'object' || Array.isArray(data)) return false;
      strings[l] = data;
      return true;
    } catch {
      return false;
    }
  }

  // ---- small helpers ---------------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const str = (v) => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
  const obj = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {});
  const idOf = (v) => (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) ? String(v) : '');
  const cssSafe = (v) => str(v).replace(/[^a-zA-Z0-9_-]/g, '');
  const cls = (...names) => names.filter(Boolean).join(' ');
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

  /** A label and its control. */
  const field = (id, text, control) => el('div', { class: 'field' }, el('label', { for: id, text }), control);

  function toDate(v) {
    if (v === undefined || v === null || v === '') return null;
    const d = new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
    return Number.isNaN(d.getTime()) ? null : d;
  }

  function fmtTime(v) {
    const d = toDate(v);
    if (!d) return '';
    const today = d.toDateString() === new Date().toDateString();
    const opts = today ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
    try {
      return d.toLocaleString(lng, opts);
    } catch {
      return d.toISOString();
    }
  }

  function fmtDate(v) {
    const d = toDate(v);
    if (!d) return str(v);
    try {
      return d.toLocaleDateString(lng, { year: 'numeric', month: 'short', day: 'numeric' });
    } catch {
      return d.toISOString().slice(0, 10);
    }
  }

  /** mm:ss under an hour, then hours and minutes. */
  function fmtAge(seconds) {
    const s = Math.max(0, Math.floor(Number.isFinite(seconds) ? seconds : 0));
    const pad = (n) => String(n).padStart(2, '0');
    if (s < 3600) return `${pad(Math.floor(s / 60))}:${pad(s % 60)}`;
    return t('age.hours', { h: Math.floor(s / 3600), m: pad(Math.floor((s % 3600) / 60)) });
  }

  /** At most one run per `ms`, never two at once, and a call made meanwhile is never dropped (it runs after). */
  function throttle(fn, ms) {
    let last = 0;
    let timer = 0;
    let running = false;
    let again = false;
    async function run() {
      timer = 0;
      if (running) {
        again = true;
        return;
      }
      running = true;
      last = Date.now();
      try {
        await fn();
      } catch {
        // a failed refresh is reported by fn itself; the next one tries again
      } finally {
        running = false;
        if (again) {
          again = false;
          schedule();
        }
      }
    }
    function schedule() {
      if (timer) return;
      timer = setTimeout(run, Math.max(0, last + ms - Date.now()));
    }
    schedule.cancel = () => {
      clearTimeout(timer);
      timer = 0;
      again = false;
    };
    return schedule;
  }

  // ---- state -----------------------------------------------------------------------------------
  const state = {
    /** 'loading' | 'login' | 'forbidden' | 'console' */
    view: 'loading',
    /** @type {{id: string, email: string, name: string, role: string} | null} */
    me: null,
    csrf: '',
    queue: [],
    /** Server clock minus ours (ms), from the queue's `at`. */
    skewMs: 0,
    flows: [],
    agents: [],
    openId: null,
    conv: null,
    /** Keys of requests in flight: `conv:<id>`, `login`, `logout`, `lang`. */
    busy: new Set(),
    /** Unsent replies by conversation id. */
    drafts: new Map(),
    loginError: '',
    queueFailed: false,
  };
  /** The open conversation's elements (see buildPane). */
  let pane = null;
  let queueAges = [];
  let convAges = [];
  let focusReplyFor = null;
  const timers = { tick: 0, poll: 0 };

  const sanitizeUser = (u) => {
    const o = obj(u);
    return { id: idOf(o.id), email: str(o.email), name: str(o.name), role: str(o.role) };
  };
  const isMe = (agent) => !!state.me && !!agent && idOf(obj(agent).id) !== '' && idOf(obj(agent).id) === state.me.id;
  const normVerdict = (v) => (v === 'warning' ? 'warn' : ['ok', 'warn', 'fail'].includes(v) ? v : '');
  const findFlow = (id) => state.flows.find((f) => f.id === id);
  const flowTitle = (id) => {
    const f = findFlow(str(id));
    return f ? f.title : str(id);
  };
  const stepLabel = (flowId, stepId) => {
    const f = findFlow(str(flowId));
    const s = f && f.steps.find((x) => x.id === str(stepId));
    return s ? s.label : str(stepId);
  };
  const checkName = (id) => label('checkNames', id);

  // ---- requests --------------------------------------------------------------------------------
  /**
   * JSON request to the same origin. Returns null on a network failure (after a notice unless `quiet`);
   * otherwise {ok, status, data, handled}, where `handled` means a 401/403 already changed the view.
   */
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
    } else if (res.status === 403 && data.error === 'auth.forbidden') {
      r.handled = true;
      showForbidden();
    } else if (res.status === 403 && data.error === 'auth.csrf') {
      r.handled = true;
      notify(t('errors.csrf'), 'error');
      void refreshSession();
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

  function errorText(r) {
    const d = obj(r && r.data);
    switch (d.error) {
      case 'handoff.taken': {
        const name = str(obj(d.agent).name);
        return name ? t('errors.taken', { name }) : t('errors.takenSomeone');
      }
      case 'conversation.ended':
        return t('errors.ended');
      case 'handoff.not-yours':
        return t('errors.notYours');
      case 'reply.empty':
        return t('errors.replyEmpty');
      case 'reply.too-long':
        return t('errors.replyTooLong', { max: MAX_REPLY });
      case 'agent.unknown':
        return t('errors.agentUnknown');
      default:
        break;
    }
    if (r && r.status === 429) return t('errors.rateLimited');
    if (r && r.status === 404) return t('errors.notFound');
    if (r && r.status === 409) return t('errors.conflict');
    return t('errors.generic');
  }

  // ---- notices ---------------------------------------------------------------------------------
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

  // ---- static strings, header, views -----------------------------------------------------------
  function applyStrings() {
    document.documentElement.lang = lng;
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const e of document.querySelectorAll('[data-i18n-label]')) e.setAttribute('aria-label', t(e.dataset.i18nLabel));
    const langBtn = $('lang');
    langBtn.textContent = t('header.otherLanguage');
    langBtn.setAttribute('lang', lng === 'es' ? 'en' : 'es');
    $('login-error').textContent = state.loginError ? t(state.loginError) : '';
    setLive(liveState);
    renderMe();
    updateTitle();
  }

  function renderMe() {
    const me = state.me;
    $('me-name').textContent = me ? me.name || me.email : '';
    $('me-role').textContent = me ? label('roles', me.role) : '';
    $('me').hidden = !me || (state.view !== 'console' && state.view !== 'forbidden');
  }

  function updateTitle() {
    const waiting = state.view === 'console' ? state.queue.filter((i) => i.status !== 'assigned').length : 0;
    document.title = waiting > 0 ? t('header.titleWaiting', { n: waiting }) : t('header.title');
  }

  function setView(name) {
    state.view = name;
    $('loading').hidden = true;
    $('topbar').hidden = false;
    $('view-login').hidden = name !== 'login';
    $('view-forbidden').hidden = name !== 'forbidden';
    $('view-console').hidden = name !== 'console';
    $('logout').hidden = name !== 'console' && name !== 'forbidden';
    $('live').hidden = name !== 'console';
    renderMe();
    updateTitle();
  }

  let liveState = 'off';
  function setLive(s) {
    liveState = s;
    $('live').dataset.state = s;
    $('live-text').textContent = s === 'off' ? '' : t(`live.${s}`);
  }

  // ---- sign-in and session ---------------------------------------------------------------------
  function setLoginError(key) {
    state.loginError = key || '';
    $('login-error').textContent = key ? t(key) : '';
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
        state.me = sanitizeUser(r.data.user);
        state.csrf = str(r.data.csrf);
        passwordInput.value = '';
        next = null;
        startConsole();
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

  function forgetData() {
    stopConsole();
    state.queue = [];
    state.conv = null;
    state.openId = null;
    state.agents = [];
    state.flows = [];
    state.drafts.clear();
    state.busy.clear();
    focusReplyFor = null;
    pane = null;
    queueAges = [];
    convAges = [];
    $('queue').replaceChildren();
    $('conversation').replaceChildren();
  }

  /** The session is gone (401 or signed out): back to the sign-in form. */
  function signedOut() {
    const was = state.view;
    forgetData();
    state.me = null;
    state.csrf = '';
    if (was !== 'login') {
      setView('login');
      $('login-password').value = '';
      $('login-email').focus();
    }
  }

  /** Signed in, but this role cannot use the console. */
  function showForbidden() {
    if (state.view === 'forbidden') return;
    forgetData();
    setView('forbidden');
  }

  async function checkSession() {
    const r = await request('GET', '/api/auth/me');
    if (!r) {
      setTimeout(checkSession, 5_000);
      return;
    }
    if (r.handled) return;
    if (r.ok && r.data.user) {
      state.me = sanitizeUser(r.data.user);
      state.csrf = str(r.data.csrf);
      startConsole();
      return;
    }
    notify(errorText(r), 'error');
    setTimeout(checkSession, 5_000);
  }

  // ---- console lifecycle -----------------------------------------------------------------------
  const queueRefresh = throttle(fetchQueue, THROTTLE_MS);
  const convRefresh = throttle(fetchConversation, THROTTLE_MS);

  function startConsole() {
    setLoginError('');
    setView('console');
    renderQueue();
    const wanted = hashId();
    if (wanted) openConversation(wanted);
    else renderEmptyConversation();
    connectEvents();
    clearInterval(timers.tick);
    clearInterval(timers.poll);
    timers.tick = setInterval(tick, 1_000);
    timers.poll = setInterval(() => {
      queueRefresh();
      if (state.openId !== null) convRefresh();
    }, POLL_MS);
    queueRefresh();
    void loadFlows();
    void loadAgents();
  }

  function stopConsole() {
    closeEvents();
    clearInterval(timers.tick);
    clearInterval(timers.poll);
    timers.tick = 0;
    timers.poll = 0;
    queueRefresh.cancel();
    convRefresh.cancel();
    setLive('off');
  }

  function tick() {
    for (const a of queueAges) a.el.textContent = fmtAge(a.seconds());
    for (const a of convAges) a.el.textContent = fmtAge(a.seconds());
  }

  // ---- live updates (Server-Sent Events) -------------------------------------------------------
  let events = null;
  let reconnectTimer = 0;
  let reconnectWait = 1_000;

  function closeEvents() {
    clearTimeout(reconnectTimer);
    if (events) events.close();
    events = null;
  }

  function connectEvents() {
    closeEvents();
    if (state.view !== 'console') return;
    setLive('connecting');
    let es;
    try {
      es = new EventSource('/api/agent/events');
    } catch {
      setLive('reconnecting');
      scheduleReconnect();
      return;
    }
    events = es;
    es.addEventListener('open', () => {
      if (events !== es) return;
      reconnectWait = 1_000;
      setLive('on');
      // Whatever happened while the stream was down (or before it first opened) is fetched now.
      queueRefresh();
      if (state.openId !== null) convRefresh();
    });
    es.addEventListener('error', () => {
      if (events !== es) return;
      setLive('reconnecting');
      // The browser retries by itself unless the server refused the stream (then it is CLOSED).
      if (es.readyState === EventSource.CLOSED) {
        es.close();
        events = null;
        scheduleReconnect();
      }
    });
    es.addEventListener('queue', () => {
      if (events === es) queueRefresh();
    });
    es.addEventListener('conversation', (ev) => {
      if (events !== es) return;
      let d = null;
      try {
        d = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (state.openId !== null && idOf(obj(d).id) === state.openId) convRefresh();
    });
  }

  function scheduleReconnect() {
    clearTimeout(reconnectTimer);
    const wait = reconnectWait;
    reconnectWait = Math.min(reconnectWait * 2, 30_000);
    reconnectTimer = setTimeout(async () => {
      if (state.view !== 'console') return;
      // A 401 here shows the sign-in form; otherwise try the stream again.
      const r = await refreshSession();
      if (state.view !== 'console') return;
      if (r && r.ok) connectEvents();
      else if (!r || !r.handled) scheduleReconnect();
    }, wait);
  }

  // ---- flows and agents ------------------------------------------------------------------------
  async function loadFlows() {
    const want = lng;
    const r = await request('GET', `/api/agent/flows?lng=${want}`, undefined, { quiet: true });
    if (!r || !r.ok || want !== lng || state.view !== 'console') return;
    const list = Array.isArray(r.data.flows) ? r.data.flows : [];
    state.flows = list
      .map(obj)
      .filter((f) => idOf(f.id))
      .map((f) => ({
        id: idOf(f.id),
        title: str(f.title) || idOf(f.id),
        steps: (Array.isArray(f.steps) ? f.steps : [])
          .map(obj)
          .filter((s) => idOf(s.id))
          .map((s) => ({ id: idOf(s.id), label: str(s.label) || idOf(s.id) })),
      }));
    renderQueue();
    if (pane) {
      fillReturnFlows(pane.returnFlow.value, pane.returnStep.value);
      if (state.conv && state.conv.id === pane.id) renderConversation(state.conv);
      else updateActions();
    }
  }

  async function loadAgents() {
    const r = await request('GET', '/api/agent/agents', undefined, { quiet: true });
    if (!r || !r.ok || state.view !== 'console') return;
    const list = Array.isArray(r.data.agents) ? r.data.agents : [];
    state.agents = list
      .map(obj)
      .filter((a) => idOf(a.id))
      .map((a) => ({ id: idOf(a.id), name: str(a.name), email: str(a.email), role: str(a.role) }));
    if (pane) {
      fillTransfer(pane.transferTo.value);
      updateActions();
    }
  }

  const agentName = (id) => {
    const a = state.agents.find((x) => x.id === id);
    return a ? a.name || a.email : '';
  };

  // ---- queue -----------------------------------------------------------------------------------
  let queueSeq = 0;
  let queueApplied = 0;

  async function fetchQueue() {
    if (state.view !== 'console') return;
    const n = ++queueSeq;
    const r = await request('GET', `/api/agent/queue?lng=${lng}`);
    if (!r || r.handled || state.view !== 'console' || n < queueApplied) return;
    if (!r.ok) {
      notify(errorText(r), 'error');
      return;
    }
    queueApplied = n;
    const received = Date.now();
    if (typeof r.data.at === 'number' && Number.isFinite(r.data.at)) state.skewMs = r.data.at - received;
    const list = Array.isArray(r.data.queue) ? r.data.queue : [];
    state.queue = list
      .map(obj)
      .filter((i) => idOf(i.id))
      .map((i) => {
        const since = typeof i.since === 'number' ? i.since : NaN;
        const base = typeof i.waitingSeconds === 'number' && Number.isFinite(i.waitingSeconds)
          ? i.waitingSeconds
          : Number.isFinite(since) ? (received + state.skewMs - since) / 1000 : 0;
        return { ...i, id: idOf(i.id), status: i.status === 'assigned' ? 'assigned' : 'queued', _base: base, _received: received };
      });
    renderQueue();
  }

  function renderQueue() {
    const box = $('queue');
    if (state.view !== 'console') return;
    // Keep the keyboard where it was across a re-render.
    const active = document.activeElement;
    const activeItem = active && box.contains(active) ? active.closest('[data-id]') : null;
    const focusId = activeItem ? activeItem.dataset.id : null;
    const focusClaim = !!(active && active.dataset && active.dataset.action === 'claim');

    queueAges = [];
    const waiting = state.queue.filter((i) => i.status !== 'assigned');
    const progress = state.queue.filter((i) => i.status === 'assigned');
    box.replaceChildren(
      queueGroup('waiting', t('queue.waiting'), waiting, t('queue.noneWaiting')),
      queueGroup('progress', t('queue.inProgress'), progress, t('queue.noneInProgress')),
    );
    tick();
    updateTitle();

    if (focusId !== null) {
      const li = [...box.querySelectorAll('[data-id]')].find((x) => x.dataset.id === focusId);
      const target = li && (focusClaim ? li.querySelector('[data-action="claim"]') : li.querySelector('.q-open'));
      if (target && !target.disabled) target.focus();
      else if (li) li.querySelector('.q-open').focus();
    }
  }

  function queueGroup(name, title, items, emptyText) {
    const headingId = `queue-${name}-title`;
    const section = el(
      'section',
      { class: `q-group q-${name}`, 'aria-labelledby': headingId },
      el('h3', { id: headingId, class: 'q-heading' }, el('span', { text: title }), el('span', { class: 'count', text: String(items.length) })),
    );
    if (items.length === 0) section.append(el('p', { class: 'muted q-empty', text: emptyText }));
    else section.append(el('ul', { class: 'q-list' }, items.map(queueItem)));
    return section;
  }

  function queueItem(item) {
    const id = item.id;
    const mine = item.status === 'assigned' && isMe(item.agent);
    const open = id === state.openId;
    const title = str(item.flowTitle) || flowTitle(item.flow) || t('conversation.untitled');

    const age = el('span', { class: 'q-age' });
    queueAges.push({ el: age, seconds: () => item._base + (Date.now() - item._received) / 1000 });

    const meta = el(
      'span',
      { class: 'q-meta' },
      el('span', { text: label('channels', item.channel) }),
      el('span', { text: label('languages', item.locale) }),
      str(item.country) ? el('span', { text: label('countries', item.country) }) : null,
    );

    const badges = el('span', { class: 'q-badges' });
    if (mine) badges.append(el('span', { class: 'badge badge-mine', text: t('queue.mine') }));
    else if (item.status === 'assigned') {
      const who = str(obj(item.agent).name);
      badges.append(el('span', { class: 'badge', text: who ? t('queue.assignedTo', { name: who }) : t('queue.assigned') }));
    }
    const check = obj(item.lastCheck);
    const verdict = normVerdict(check.verdict);
    if (verdict) {
      const failed = (Array.isArray(check.failed) ? check.failed : []).map((f) => checkName(f)).filter(Boolean);
      const badge = el('span', { class: `badge verdict-${verdict}`, text: t('queue.check', { verdict: t(`verdict.${verdict}`) }) });
      if (failed.length) badge.setAttribute('title', failed.join(', '));
      badges.append(badge);
      if (failed.length) badges.append(el('span', { class: 'sr-only', text: failed.join(', ') }));
    }

    const openBtn = el(
      'button',
      { type: 'button', class: 'q-open', 'aria-current': open ? 'true' : null, on: { click: () => openConversation(id) } },
      el('span', { class: 'q-top' }, el('span', { class: 'q-title', text: title }), el('span', { class: 'sr-only', text: t('queue.waitingFor') }), age),
      el('span', { class: 'q-step', text: stepLabel(item.flow, item.step) }),
      meta,
      el('span', { class: 'q-reason', text: label('reasons', item.reason) }),
      str(item.email) ? el('span', { class: 'q-email' }, el('span', { class: 'q-label', text: t('queue.email') }), ' ', str(item.email)) : null,
      badges.childElementCount ? badges : null,
    );

    const li = el('li', { class: cls('q-item', mine && 'is-mine', open && 'is-open', item.status === 'assigned' ? 'is-assigned' : 'is-waiting'), 'data-id': id }, openBtn);
    li.addEventListener('click', (ev) => {
      if (ev.target instanceof Element && ev.target.closest('button')) return;
      openConversation(id);
    });
    if (item.status !== 'assigned') {
      li.append(
        el('button', {
          type: 'button',
          class: 'btn btn-primary btn-small q-claim',
          'data-action': 'claim',
          'aria-label': t('queue.takeLabel', { title }),
          text: t('claim.button'),
          disabled: state.busy.has(`conv:${id}`),
          on: { click: () => claim(id) },
        }),
      );
    }
    return li;
  }

  function markOpen() {
    for (const li of $('queue').querySelectorAll('[data-id]')) {
      const open = li.dataset.id === state.openId;
      li.classList.toggle('is-open', open);
      const b = li.querySelector('.q-open');
      if (b) {
        if (open) b.setAttribute('aria-current', 'true');
        else b.removeAttribute('aria-current');
      }
    }
  }

  // ---- the open conversation -------------------------------------------------------------------
  function hashId() {
    const m = /^#c=(.+)$/.exec(location.hash);
    if (!m) return null;
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }

  function setHash(id) {
    const base = location.pathname + location.search;
    history.replaceState(null, '', id === null ? base : `${base}#c=${encodeURIComponent(id)}`);
  }

  function renderEmptyConversation() {
    pane = null;
    convAges = [];
    const root = $('conversation');
    root.removeAttribute('aria-labelledby');
    root.setAttribute('aria-label', t('conversation.region'));
    root.replaceChildren(el('div', { class: 'conv-empty' }, el('p', { text: t('conversation.none') })));
  }

  function openConversation(id) {
    const cid = String(id);
    if (state.view !== 'console') return;
    if (state.openId !== cid || !pane) {
      saveDraft();
      state.openId = cid;
      state.conv = null;
      setHash(cid);
      buildPane(cid);
      markOpen();
      if (NARROW.matches) $('conversation').scrollIntoView({ block: 'start' });
    }
    convRefresh();
  }

  function clearConversation() {
    saveDraft();
    state.openId = null;
    state.conv = null;
    setHash(null);
    renderEmptyConversation();
    markOpen();
  }

  function saveDraft() {
    if (!pane) return;
    const v = pane.replyText.value;
    if (v) state.drafts.set(pane.id, v);
    else state.drafts.delete(pane.id);
  }

  let convSeq = 0;
  let convApplied = 0;

  async function fetchConversation() {
    const id = state.openId;
    if (state.view !== 'console' || id === null) return;
    const n = ++convSeq;
    const r = await request('GET', `/api/agent/conversations/${encodeURIComponent(id)}?lng=${lng}`);
    if (!r || r.handled || state.view !== 'console' || state.openId !== id || n < convApplied) return;
    convApplied = n;
    if (r.status === 404) {
      notify(t('errors.notFound'), 'error');
      clearConversation();
      return;
    }
    if (!r.ok) {
      notify(errorText(r), 'error');
      return;
    }
    renderConversation({ ...r.data, id });
  }

  /** Builds the conversation pane once per opened conversation (and on a language switch); updates fill it in. */
  function buildPane(id, keep = {}) {
    const root = $('conversation');
    const p = { id, seqs: [], root };

    p.title = el('h2', { id: 'conv-title', class: 'conv-title', text: t('conversation.loading') });
    p.status = el('span', { class: 'status-badge', hidden: true });
    p.claim = el('button', { id: 'claim', type: 'button', class: 'btn btn-primary', hidden: true, text: t('claim.button'), on: { click: () => claim(id) } });
    p.context = el('dl', { class: 'context', 'aria-label': t('context.label') });

    p.transcript = el('div', {
      id: 'transcript',
      class: 'transcript',
      role: 'log',
      'aria-live': 'polite',
      'aria-relevant': 'additions',
      'aria-label': t('transcript.label'),
      tabindex: '0',
    });
    p.transcriptEmpty = el('p', { class: 'muted transcript-empty', hidden: true, text: t('transcript.empty') });

    p.hint = el('p', { id: 'action-hint', class: 'action-hint' });
    p.replyText = el('textarea', {
      id: 'reply-text',
      rows: '3',
      maxlength: String(MAX_REPLY),
      'aria-describedby': 'reply-keys reply-count',
      on: {
        input: () => {
          updateCounter();
          saveDraft();
        },
        keydown: (ev) => {
          if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing && ev.keyCode !== 229) {
            ev.preventDefault();
            sendReply();
          }
        },
      },
    });
    p.replyCount = el('span', { id: 'reply-count', class: 'counter' });
    p.replySend = el('button', { id: 'reply-send', type: 'submit', class: 'btn btn-primary', text: t('reply.send') });
    const replyForm = el(
      'form',
      { class: 'composer', on: { submit: (ev) => { ev.preventDefault(); sendReply(); } } },
      el('label', { for: 'reply-text', class: 'field-label', text: t('reply.label') }),
      p.replyText,
      el('div', { class: 'composer-row' }, el('span', { id: 'reply-keys', class: 'muted small', text: t('reply.keys') }), p.replyCount, p.replySend),
    );

    p.report = el('section', { id: 'report', class: 'side-block report', 'aria-labelledby': 'report-title' });

    p.returnFlow = el('select', { id: 'return-flow', on: { change: () => { fillReturnSteps(''); updateActions(); } } });
    p.returnStep = el('select', { id: 'return-step' });
    p.returnSubmit = el('button', { id: 'return-submit', type: 'submit', class: 'btn', text: t('return.submit') });
    const returnForm = el(
      'form',
      { class: 'side-block action-form', 'aria-labelledby': 'return-title', on: { submit: (ev) => { ev.preventDefault(); sendBack(); } } },
      el('h3', { id: 'return-title', class: 'side-title', text: t('return.title') }),
      field('return-flow', t('return.flow'), p.returnFlow),
      field('return-step', t('return.step'), p.returnStep),
      p.returnSubmit,
    );

    p.transferTo = el('select', { id: 'transfer-to' });
    p.transferSubmit = el('button', { id: 'transfer-submit', type: 'submit', class: 'btn', text: t('transfer.submit') });
    const transferForm = el(
      'form',
      { class: 'side-block action-form', 'aria-labelledby': 'transfer-title', on: { submit: (ev) => { ev.preventDefault(); transfer(); } } },
      el('h3', { id: 'transfer-title', class: 'side-title', text: t('transfer.title') }),
      field('transfer-to', t('transfer.to'), p.transferTo),
      p.transferSubmit,
    );

    p.closeTag = el('select', { id: 'close-tag' });
    p.closeSubmit = el('button', { id: 'close-submit', type: 'submit', class: 'btn btn-danger', text: t('close.submit') });
    const closeForm = el(
      'form',
      { class: 'side-block action-form', 'aria-labelledby': 'close-title', on: { submit: (ev) => { ev.preventDefault(); closeWithTag(); } } },
      el('h3', { id: 'close-title', class: 'side-title', text: t('close.title') }),
      field('close-tag', t('close.tag'), p.closeTag),
      p.closeSubmit,
    );

    root.removeAttribute('aria-label');
    root.setAttribute('aria-labelledby', 'conv-title');
    root.replaceChildren(
      el('header', { class: 'conv-head' }, p.title, p.status, p.claim),
      p.context,
      el(
        'div',
        { class: 'conv-grid' },
        el('div', { class: 'conv-main' }, el('h3', { class: 'sr-only', text: t('transcript.label') }), p.transcript, p.transcriptEmpty, p.hint, replyForm),
        el('div', { class: 'conv-side' }, p.report, el('div', { class: 'conv-actions', role: 'group', 'aria-label': t('conversation.actions') }, returnForm, transferForm, closeForm)),
      ),
    );

    pane = p;
    convAges = [];
    p.replyText.value = state.drafts.get(id) || '';
    fillReturnFlows(keep.returnFlow || '', keep.returnStep || '');
    fillTransfer(keep.transferTo || '');
    fillTags(keep.closeTag || TAGS[0]);
    updateCounter();
    p.report.replaceChildren(el('h3', { id: 'report-title', class: 'side-title', text: t('report.title') }));
    if (state.conv && state.conv.id === id) renderConversation(state.conv);
    else updateActions();
  }

  /** After a language switch: the same conversation, drafts and choices, in the new language. */
  function rebuildPane() {
    if (state.view !== 'console') return;
    if (!pane) {
      renderEmptyConversation();
      return;
    }
    saveDraft();
    const active = document.activeElement;
    const focusId = active && pane.root.contains(active) && active.id ? active.id : '';
    const keep = { returnFlow: pane.returnFlow.value, returnStep: pane.returnStep.value, transferTo: pane.transferTo.value, closeTag: pane.closeTag.value };
    buildPane(pane.id, keep);
    if (focusId) {
      const target = $(focusId);
      if (target && !target.disabled) target.focus();
    }
  }

  function fillReturnFlows(keepFlow, keepStep) {
    if (!pane) return;
    const sel = pane.returnFlow;
    sel.replaceChildren(el('option', { value: '', text: t('return.whereTheyWere') }), ...state.flows.map((f) => el('option', { value: f.id, text: f.title })));
    sel.value = state.flows.some((f) => f.id === keepFlow) ? keepFlow : '';
    fillReturnSteps(keepStep);
  }

  function fillReturnSteps(keepStep) {
    if (!pane) return;
    const sel = pane.returnStep;
    const flow = findFlow(pane.returnFlow.value);
    if (!flow || flow.steps.length === 0) {
      sel.replaceChildren(el('option', { value: '', text: flow ? t('return.firstStep') : t('return.whereTheyWere') }));
      sel.value = '';
      return;
    }
    sel.replaceChildren(...flow.steps.map((s) => el('option', { value: s.id, text: s.label })));
    sel.value = flow.steps.some((s) => s.id === keepStep) ? keepStep : flow.steps[0].id;
  }

  function fillTransfer(keep) {
    if (!pane) return;
    const sel = pane.transferTo;
    const others = state.agents.filter((a) => !state.me || a.id !== state.me.id);
    sel.replaceChildren(
      el('option', { value: '', text: t('transfer.queue') }),
      ...others.map((a) =>
        el('option', { value: a.id, text: a.name && a.email ? t('transfer.agentOption', { name: a.name, email: a.email }) : a.name || a.email || a.id }),
      ),
    );
    sel.value = others.some((a) => a.id === keep) ? keep : '';
  }

  function fillTags(keep) {
    if (!pane) return;
    const sel = pane.closeTag;
    sel.replaceChildren(...TAGS.map((tag) => el('option', { value: tag, text: t(`tags.${tag}`) })));
    sel.value = TAGS.includes(keep) ? keep : TAGS[0];
  }

  function updateCounter() {
    if (!pane) return;
    const n = pane.replyText.value.length;
    pane.replyCount.textContent = t('reply.counter', { n, max: MAX_REPLY });
    pane.replyCount.classList.toggle('is-near', n > MAX_REPLY * 0.9);
  }

  function renderConversation(conv) {
    if (!pane || pane.id !== conv.id) return;
    state.conv = conv;
    const status = str(conv.status);
    pane.title.textContent = str(conv.flowTitle) || flowTitle(conv.flow) || t('conversation.untitled');
    pane.status.hidden = !status;
    pane.status.textContent = label('status', status);
    pane.status.className = cls('status-badge', status && `status-${cssSafe(status)}`);
    // Follow new lines only if the agent was already reading the end (or nothing was shown yet).
    const box = pane.transcript;
    const stick = pane.seqs.length === 0 || box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    renderContext(conv);
    renderReport(conv.report);
    const rebuilt = renderTranscript(conv.transcript);
    updateActions();
    if (stick || rebuilt) box.scrollTop = box.scrollHeight;
  }

  function renderContext(conv) {
    const h = obj(conv.handoff);
    const status = str(conv.status);
    const active = status === 'queued' || status === 'assigned';
    convAges = [];
    const rows = [];
    const add = (key, value, extra) => {
      if (value === '' || value === null || value === undefined) return;
      rows.push(el('div', { class: cls('ctx', extra) }, el('dt', { text: t(key) }), el('dd', {}, value)));
    };
    add('context.procedure', str(conv.flowTitle) || flowTitle(conv.flow));
    add('context.step', stepLabel(conv.flow, conv.step));
    add('context.channel', label('channels', conv.channel));
    add('context.language', label('languages', conv.locale));
    add('context.country', label('countries', conv.country));
    add('context.reason', label('reasons', h.reason));
    const since = toDate(h.since);
    if (since) {
      add('context.since', el('time', { datetime: since.toISOString(), text: fmtTime(since) }));
      if (active) {
        const age = el('span', { class: 'age' });
        const seconds = () => (Date.now() + state.skewMs - since.getTime()) / 1000;
        age.textContent = fmtAge(seconds());
        convAges.push({ el: age, seconds });
        add('context.waiting', age);
      }
    }
    if (Object.keys(h).length > 0) {
      const agent = obj(h.agent);
      const name = str(agent.name);
      add('context.agent', isMe(agent) ? t('context.you', { name: name || (state.me && state.me.name) || '' }) : name || t('context.nobody'), isMe(agent) ? 'is-mine' : null);
    }
    add('context.email', str(h.email));
    pane.context.replaceChildren(...rows);
  }

  function renderReport(report) {
    if (!pane) return;
    const box = pane.report;
    const title = el('h3', { id: 'report-title', class: 'side-title', text: t('report.title') });
    if (!report || typeof report !== 'object' || Array.isArray(report)) {
      box.dataset.verdict = '';
      box.replaceChildren(title, el('p', { class: 'muted', text: t('report.none') }));
      return;
    }
    const r = report;
    const verdict = normVerdict(r.verdict);
    box.dataset.verdict = verdict;
    const parts = [title];

    const head = el('div', { class: cls('verdict', verdict && `verdict-${verdict}`) });
    if (verdict) head.append(el('span', { class: `badge verdict-${verdict}`, text: t(`verdict.${verdict}`) }));
    if (str(r.text)) head.append(el('span', { class: 'verdict-text', text: str(r.text) }));
    if (head.childElementCount) parts.push(head);
    const at = toDate(r.at);
    if (at) parts.push(el('p', { class: 'muted small', text: t('report.at', { time: fmtTime(at) }) }));

    const holder = obj(r.holder);
    const cert = obj(r.certificate);
    const facts = el('dl', { class: 'facts' });
    const fact = (key, value) => {
      if (value === '' || value === null || value === undefined) return;
      facts.append(el('dt', { text: t(key) }), el('dd', {}, value));
    };
    fact('report.holder', str(holder.name));
    const hid = str(holder.id);
    if (hid) fact('report.holderId', str(holder.idType) ? t('report.idWithType', { id: hid, type: label('idTypes', holder.idType) }) : hid);
    fact('report.validFrom', fmtDate(cert.notBefore));
    const until = toDate(cert.notAfter);
    const untilText = fmtDate(cert.notAfter);
    if (untilText) {
      const expired = !!until && until.getTime() < Date.now() + state.skewMs;
      fact('report.validUntil', expired ? el('span', {}, untilText, ' ', el('span', { class: 'badge verdict-fail', text: t('report.expired') })) : untilText);
    }
    fact('report.issuer', str(cert.issuer));
    fact('report.serial', str(cert.serial));
    fact('report.environment', label('environments', r.environment));
    if (facts.childElementCount) parts.push(facts);

    const checks = (Array.isArray(r.checks) ? r.checks : []).map(obj).filter((c) => str(c.message) || str(c.id));
    if (checks.length) {
      const rank = (s) => (own(CHECK_RANK, s) ? CHECK_RANK[s] : 4);
      const sorted = checks.map((c, i) => ({ c, i })).sort((a, b) => rank(a.c.status) - rank(b.c.status) || a.i - b.i).map((x) => x.c);
      parts.push(el('h4', { id: 'report-checks-title', class: 'checks-title', text: t('report.checks') }));
      parts.push(
        el(
          'ul',
          { class: 'checks', 'aria-labelledby': 'report-checks-title' },
          sorted.map((c) => {
            const s = own(CHECK_RANK, c.status) ? c.status : 'unknown';
            return el(
              'li',
              { class: `check check-${s}` },
              el('span', { class: 'check-icon', 'aria-hidden': 'true' }),
              el('span', { class: 'sr-only', text: s === 'unknown' ? '' : `${t(`checkStatus.${s}`)}: ` }),
              el('span', { class: 'check-msg', text: str(c.message) || checkName(c.id) }),
            );
          }),
        ),
      );
    }
    box.replaceChildren(...parts);
  }

  function lineKey(line) {
    return `${str(line.seq)}|${str(line.at)}|${str(line.text).length}`;
  }

  /** Appends the lines not shown yet; redraws everything when the known lines changed. True when redrawn. */
  function renderTranscript(transcript) {
    const box = pane.transcript;
    const lines = (Array.isArray(transcript) ? transcript : []).map(obj);
    const keys = lines.map(lineKey);
    const prefix = pane.seqs.length <= keys.length && pane.seqs.every((k, i) => k === keys[i]);
    if (!prefix) {
      box.replaceChildren();
      pane.seqs = [];
    }
    const fresh = lines.slice(pane.seqs.length);
    for (const line of fresh) box.append(lineElement(line));
    pane.seqs = keys;
    pane.transcriptEmpty.hidden = lines.length > 0;
    return !prefix;
  }

  function lineElement(line) {
    const author = AUTHORS.includes(line.author) ? line.author : line.direction === 'in' ? 'customer' : 'bot';
    const who = author === 'agent' ? str(line.agentName) || t('transcript.agent') : t(`transcript.${author}`);
    const at = toDate(line.at);
    const item = el(
      'div',
      { class: `line ${author}` },
      el('div', { class: 'line-head' }, el('span', { class: 'line-who', text: who }), at ? el('time', { class: 'line-time', datetime: at.toISOString(), text: fmtTime(at) }) : null),
      el('div', { class: 'line-text', text: str(line.text) }),
    );
    const options = (Array.isArray(line.options) ? line.options : []).map(str).filter(Boolean);
    if (options.length) item.append(el('ul', { class: 'chips', 'aria-label': t('transcript.options') }, options.map((o) => el('li', { class: 'chip', text: o }))));
    return item;
  }

  /** Enables what the open conversation's status and ownership allow; busy while a request is in flight. */
  function updateActions() {
    if (!pane) return;
    const c = state.conv && state.conv.id === pane.id ? state.conv : null;
    const busy = state.busy.has(`conv:${pane.id}`);
    const status = c ? str(c.status) : '';
    const agent = c ? obj(obj(c.handoff).agent) : {};
    const mine = status === 'assigned' && isMe(agent);

    pane.claim.hidden = status !== 'queued';
    pane.claim.disabled = busy || status !== 'queued';

    pane.replyText.disabled = !mine;
    pane.replySend.disabled = !mine || busy;
    pane.returnFlow.disabled = !mine || busy;
    const flow = findFlow(pane.returnFlow.value);
    pane.returnStep.disabled = !mine || busy || !flow || flow.steps.length === 0;
    pane.returnSubmit.disabled = !mine || busy;
    pane.transferTo.disabled = !mine || busy;
    pane.transferSubmit.disabled = !mine || busy;
    pane.closeTag.disabled = !mine || busy;
    pane.closeSubmit.disabled = !mine || busy;
    pane.root.classList.toggle('is-mine', mine);

    let hint = '';
    if (c) {
      if (status === 'ended') hint = t('actions.ended');
      else if (status === 'bot') hint = t('actions.withBot');
      else if (status === 'queued') hint = t('actions.takeFirst');
      else if (status === 'assigned' && !mine) {
        const name = str(agent.name);
        hint = name ? t('actions.assignedTo', { name }) : t('actions.assignedOther');
      }
    }
    pane.hint.textContent = hint;
    pane.hint.hidden = !hint;

    if (mine && focusReplyFor === pane.id && !busy) {
      focusReplyFor = null;
      pane.replyText.focus();
    }
  }

  function syncBusy() {
    for (const b of $('queue').querySelectorAll('[data-action="claim"]')) {
      const li = b.closest('[data-id]');
      b.disabled = !!li && state.busy.has(`conv:${li.dataset.id}`);
    }
    updateActions();
  }

  // ---- actions ---------------------------------------------------------------------------------
  /** One POST for a conversation; nothing else for it starts until it answers. */
  async function act(id, action, body, onOk, onFail) {
    const key = `conv:${id}`;
    if (state.busy.has(key)) return;
    const focused = document.activeElement;
    state.busy.add(key);
    syncBusy();
    let ok = false;
    try {
      const r = await request('POST', `/api/agent/conversations/${encodeURIComponent(id)}/${action}`, body);
      if (r && !r.handled) {
        if (r.ok) {
          ok = true;
          onOk(r.data);
        } else {
          notify(errorText(r), 'error');
          if (r.status === 409 || r.status === 404) {
            queueRefresh();
            if (state.openId === id) convRefresh();
          }
        }
      }
    } finally {
      state.busy.delete(key);
      syncBusy();
      if (!ok && onFail) onFail();
      const now = document.activeElement;
      if (focused instanceof HTMLElement && focused.isConnected && !focused.disabled && (!now || now === document.body)) focused.focus();
    }
  }

  function claim(id) {
    focusReplyFor = id;
    void act(
      id,
      'claim',
      {},
      () => {
        notify(t('claim.done'), 'info');
        queueRefresh();
        if (state.openId === id) convRefresh();
        else openConversation(id);
      },
      () => {
        if (focusReplyFor === id) focusReplyFor = null;
      },
    );
  }

  function sendReply() {
    if (!pane) return;
    const p = pane;
    const id = p.id;
    if (p.replyText.disabled || p.replySend.disabled || state.busy.has(`conv:${id}`)) return;
    const text = p.replyText.value;
    if (text.trim() === '') {
      notify(t('errors.replyEmpty'), 'error');
      return;
    }
    if (text.length > MAX_REPLY) {
      notify(t('errors.replyTooLong', { max: MAX_REPLY }), 'error');
      return;
    }
    p.replyText.readOnly = true;
    void act(id, 'reply', { text }, () => {
      state.drafts.delete(id);
      if (pane && pane.id === id) {
        pane.replyText.value = '';
        updateCounter();
      }
      convRefresh();
    }).finally(() => {
      p.replyText.readOnly = false;
      if (pane && pane.id === id) pane.replyText.readOnly = false;
    });
  }

  function sendBack() {
    if (!pane) return;
    const id = pane.id;
    const flow = pane.returnFlow.value;
    const step = pane.returnStep.value;
    const body = flow ? (step ? { flow, step } : { flow }) : {};
    void act(id, 'return', body, () => {
      notify(t('return.done'), 'info');
      queueRefresh();
      convRefresh();
    });
  }

  function transfer() {
    if (!pane) return;
    const id = pane.id;
    const to = pane.transferTo.value || null;
    const name = to ? agentName(to) : '';
    void act(id, 'transfer', { to }, () => {
      notify(to ? t('transfer.done', { name: name || to }) : t('transfer.queued'), 'info');
      queueRefresh();
      convRefresh();
    });
  }

  function closeWithTag() {
    if (!pane) return;
    const id = pane.id;
    const tag = pane.closeTag.value;
    if (!TAGS.includes(tag)) return;
    void act(id, 'close', { tag }, () => {
      notify(t('close.done', { tag: t(`tags.${tag}`) }), 'info');
      queueRefresh();
      convRefresh();
    });
  }

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
      if (state.view === 'console') {
        renderQueue();
        rebuildPane();
        void loadFlows();
        queueRefresh();
        if (state.openId !== null) convRefresh();
      }
    } finally {
      state.busy.delete('lang');
    }
  }

  // ---- start -----------------------------------------------------------------------------------
  function wireStatic() {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', () => void logout());
    $('lang').addEventListener('click', () => void switchLanguage());
    $('notice-dismiss').addEventListener('click', clearNotice);
    window.addEventListener('hashchange', () => {
      const id = hashId();
      if (state.view === 'console' && id && id !== state.openId) openConversation(id);
    });
  }

  async function boot() {
    wireStatic();
    let wait = 1_000;
    while (!(await loadStrings(lng))) {
      await sleep(wait);
      wait = Math.min(wait * 2, 15_000);
    }
    applyStrings();
    await checkSession();
  }

  void boot();
})();
