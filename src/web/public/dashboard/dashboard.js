// Llavero manager dashboard: where customers get stuck in the guided procedures, with charts, tables and CSV exports.
// Plain browser JavaScript, no build step; /staff/staff.js (window.LlaveroStaff: strings, requests, sign-in, header,
// notices, transcript lines) and Chart.js 4 (UMD, global `Chart`) are loaded before this file. Everything from the
// server is untrusted and is rendered with textContent (never HTML); every text a person reads comes from
// locales/<lng>/dashboard.json. The filters and what is open live in the URL hash, so a reload or a shared link restores them.
(() => {
  'use strict';

  const TIMEZONES = ['America/Santiago', 'America/Costa_Rica', 'UTC'];
  const DEFAULT_TZ = 'America/Santiago';
  const CHANNELS = ['webchat', 'slack', 'teams', 'cli'];
  const LOCALES = ['es', 'en'];
  const COUNTRIES = ['CL', 'CR'];
  /** The procedures the dashboard knows even before the server has answered (titles in `flows.*`). */
  const KNOWN_FLOWS = ['sii.centralize-certificate', 'sii.enable-certificate-login', 'atv.revoke-key', 'atv.generate-key'];
  const TAGS = ['solved', 'workaround', 'escalated', 'no-response', 'out-of-scope'];
  const VERDICTS = ['ok', 'warning', 'fail'];
  const OUTCOMES = ['abandoned', 'handoff', 'open'];
  const DEFAULT_DAYS = 30;
  /** The longest period the API reads at once (days between `from` and `to`). */
  const MAX_RANGE_DAYS = 400;
  const DROPOFF_LIMIT = 50;
  const PRINT_CHART_WIDTH = 640;
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
  const COLORS = {
    ink: '#1b1f24',
    muted: '#5b6570',
    grid: '#e3e7ec',
    conversations: '#0b5cad',
    conversationsFill: 'rgba(11, 92, 173, 0.18)',
    completed: '#0b7a3e',
    handoffs: '#a35f00',
    abandoned: '#b3261e',
    funnel: '#0b5cad',
    funnelSelected: '#f5a623',
    fail: '#b3261e',
    csat: '#0b5cad',
  };

  // ---- small helpers ---------------------------------------------------------------------------
  const { $, el, str, obj, arr, num, idOf, toDate } = window.LlaveroStaff;
  const count = (v) => {
    const n = num(v);
    return n === null ? 0 : Math.max(0, n);
  };
  const pick = (v, allowed, fallback = '') => (typeof v === 'string' && allowed.includes(v) ? v : fallback);

  /** How many characters an axis label of a horizontal bar chart can have in `box` (Chart.js gives the axis about a third). */
  function axisChars(box) {
    const w = box.clientWidth || box.closest('.card')?.clientWidth || 600;
    return Math.max(14, Math.min(48, Math.floor(w / 3 / 6.5)));
  }

  /** Room at the end of horizontal bars for the texts `barText` draws there. */
  const roomFor = (texts) => Math.min(240, 16 + 7 * Math.max(0, ...texts.map((x) => str(x).length)));

  function truncate(text, max) {
    const s = str(text);
    return s.length > max ? `${s.slice(0, max - 1).trimEnd()}…` : s;
  }

  // ---- days (YYYY-MM-DD, calendar days without a time) -----------------------------------------
  const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

  function validDay(v) {
    const m = typeof v === 'string' ? DAY_RE.exec(v) : null;
    if (!m) return false;
    const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  }

  const dayToDate = (day) => new Date(`${day}T00:00:00Z`);
  const dateToDay = (d) => d.toISOString().slice(0, 10);
  const addDays = (day, n) => dateToDay(new Date(dayToDate(day).getTime() + n * 86_400_000));

  /** Today's date in a time zone. */
  function todayIn(tz) {
    try {
      const parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date());
      const get = (type) => (parts.find((p) => p.type === type) || {}).value || '';
      const day = `${get('year')}-${get('month')}-${get('day')}`;
      if (validDay(day)) return day;
    } catch {
      // an unknown time zone: fall back to UTC
    }
    return dateToDay(new Date());
  }

  // ---- formatting (Intl, in the chosen language) -----------------------------------------------
  function intl(kind, opts) {
    try {
      return kind === 'number' ? new Intl.NumberFormat(staff.lng, opts) : new Intl.DateTimeFormat(staff.lng, opts);
    } catch {
      return kind === 'number' ? new Intl.NumberFormat('en', opts) : new Intl.DateTimeFormat('en', { ...opts, timeZone: 'UTC' });
    }
  }

  /** Each formatter returns a string, or null when there is no value (shown as "—" with a spoken "no data"). */
  function fmtInt(v) {
    const n = num(v);
    return n === null ? null : intl('number', { maximumFractionDigits: 0 }).format(n);
  }

  function fmtPct(v) {
    const n = num(v);
    return n === null ? null : intl('number', { style: 'percent', maximumFractionDigits: 1 }).format(n);
  }

  function fmtDecimal(v) {
    const n = num(v);
    return n === null ? null : intl('number', { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(n);
  }

  /** "45 s", "4 min 10 s", "2 h 5 min", "3 d 4 h". */
  function fmtDuration(ms) {
    const n = num(ms);
    if (n === null || n < 0) return null;
    if (n < 1000) return t('duration.underSecond');
    const s = Math.round(n / 1000);
    if (s < 60) return t('duration.seconds', { s });
    if (s < 3600) {
      const m = Math.floor(s / 60);
      const r = s % 60;
      return r ? t('duration.minutesSeconds', { m, s: r }) : t('duration.minutes', { m });
    }
    const totalMin = Math.round(s / 60);
    if (totalMin < 24 * 60) {
      const h = Math.floor(totalMin / 60);
      const m = totalMin % 60;
      return m ? t('duration.hoursMinutes', { h, m }) : t('duration.hours', { h });
    }
    const totalH = Math.round(s / 3600);
    const d = Math.floor(totalH / 24);
    const h = totalH % 24;
    return h ? t('duration.daysHours', { d, h }) : t('duration.days', { d });
  }

  /** A calendar day, e.g. "3 ene" / "Jan 3" (short) or with the year (long). */
  function fmtDay(day, long = false) {
    if (!validDay(day)) return str(day);
    const opts = long ? { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' } : { month: 'short', day: 'numeric', timeZone: 'UTC' };
    return intl('date', opts).format(dayToDate(day));
  }

  function fmtDayRange(from, to) {
    const f = intl('date', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
    if (from === to) return f.format(dayToDate(from));
    try {
      if (typeof f.formatRange === 'function') return f.formatRange(dayToDate(from), dayToDate(to));
    } catch {
      // fall through
    }
    return t('summary.range', { from: f.format(dayToDate(from)), to: f.format(dayToDate(to)) });
  }

  /** A moment, in the time zone of the filters. */
  function fmtMoment(v, withDate = true) {
    const d = toDate(v);
    if (!d) return null;
    const opts = withDate ? { dateStyle: 'medium', timeStyle: 'short' } : { timeStyle: 'short' };
    try {
      return new Intl.DateTimeFormat(staff.lng, { ...opts, timeZone: state.filters.tz }).format(d);
    } catch {
      return intl('date', opts).format(d);
    }
  }

  /** The value as text, or a dash that screen readers announce as "no data". */
  function val(text) {
    if (text !== null && text !== undefined && text !== '') return document.createTextNode(String(text));
    return el('span', { class: 'none' }, el('span', { 'aria-hidden': 'true', text: t('format.none') }), el('span', { class: 'sr-only', text: t('format.noneSpoken') }));
  }
  const plain = (text) => (text === null || text === undefined || text === '' ? t('format.none') : String(text));

  // ---- state -----------------------------------------------------------------------------------
  const state = {
    /** 'loading' | 'login' | 'forbidden' | 'dashboard' */
    view: 'loading',
    /** @type {{id: string, email: string, name: string, role: string} | null} */
    me: null,
    csrf: '',
    loginError: '',
    busy: new Set(),
    /** The route the page shows (from the hash). */
    filters: defaultFilters(DEFAULT_TZ),
    flow: '',
    step: '',
    conv: '',
    /** Data as received (sanitized when rendered). */
    overview: null,
    procedure: null,
    dropoffs: null,
    transcript: null,
    /** Flow id → title, from the server's answers. */
    titles: new Map(),
  };
  /** What each part was last requested for; a part is fetched again when its key changes. */
  const loaded = { overview: '', procedure: '', dropoffs: '', transcript: '' };
  const seq = { overview: 0, procedure: 0, dropoffs: 0, transcript: 0 };
  /** Chart.js instances by name. */
  const charts = { series: null, checks: null, csat: null, funnel: null };
  /** The element to focus once the part it belongs to is shown (after a person's click, not a reload). */
  let pendingFocus = '';

  // ---- shared with the agent console (/staff/staff.js) ------------------------------------------
  const staff = window.LlaveroStaff.create({
    state,
    strings: (l) => `/api/analytics/strings/${l}`,
    main: 'dashboard',
    views: { login: 'view-login', forbidden: 'forbidden', dashboard: 'view-dashboard' },
    title: () => (state.view === 'dashboard' && state.flow ? t('header.titleProcedure', { title: titleOf(state.flow) }) : t('header.title')),
    errorText,
    // Every analytics call answers a signed-in agent 403: this page is not for them.
    forbiddenPrefix: '/api/analytics/',
    onSignedIn: signedIn,
    onForget: forgetData,
    onStrings: () => {
      fillFilterSelects();
      fillProcedureSelect();
      renderSummary();
    },
    onForbidden: () => $('forbidden-title').focus(),
    onLanguage: () => {
      // What is on screen now in the new words, then the server's titles and labels in the new language.
      if (state.overview) renderOverview();
      if (state.procedure) renderProcedure();
      if (state.dropoffs) renderDropoffs();
      if (state.transcript) renderTranscript();
      route();
    },
  });
  const { t, label, request, notify, clearNotice, updateTitle } = staff;

  function defaultFilters(tz) {
    const to = todayIn(tz);
    return { from: addDays(to, -(DEFAULT_DAYS - 1)), to, tz, channel: '', locale: '', country: '' };
  }

  // ---- the hash: filters and what is open --------------------------------------------------------
  const printable = (v) => [...v].every((c) => c.charCodeAt(0) >= 0x20);
  const safeId = (v, max = 200) => (typeof v === 'string' && v.length > 0 && v.length <= max && printable(v) ? v : '');

  function readHash() {
    const p = new URLSearchParams(location.hash.replace(/^#/, ''));
    const tz = pick(p.get('tz'), TIMEZONES, DEFAULT_TZ);
    const d = defaultFilters(tz);
    let from = validDay(p.get('from')) ? p.get('from') : d.from;
    let to = validDay(p.get('to')) ? p.get('to') : d.to;
    if (from > to) [from, to] = [to, from];
    const flow = safeId(p.get('flow'), 100);
    const step = flow ? safeId(p.get('step')) : '';
    const conv = step ? safeId(p.get('conv')) : '';
    return {
      filters: { from, to, tz, channel: pick(p.get('channel'), CHANNELS), locale: pick(p.get('locale'), LOCALES), country: pick(p.get('country'), COUNTRIES) },
      flow,
      step,
      conv,
    };
  }

  /** The filters as parameters: the period and time zone always, the others when set. */
  function filterParams(f) {
    const p = new URLSearchParams();
    p.set('from', f.from);
    p.set('to', f.to);
    p.set('tz', f.tz);
    for (const k of ['channel', 'locale', 'country']) if (f[k]) p.set(k, f[k]);
    return p;
  }

  function hashOf(r) {
    const p = filterParams(r.filters);
    if (r.flow) p.set('flow', r.flow);
    if (r.flow && r.step) p.set('step', r.step);
    if (r.flow && r.step && r.conv) p.set('conv', r.conv);
    return p.toString();
  }

  const currentRoute = () => ({ filters: { ...state.filters }, flow: state.flow, step: state.step, conv: state.conv });

  /** Goes somewhere (a new history entry, so Back works); `force` fetches again even when nothing changed. */
  function go(next, { replace = false, force = false, focus = '' } = {}) {
    if (force) for (const k of Object.keys(loaded)) loaded[k] = '';
    pendingFocus = focus;
    const hash = hashOf(next);
    const now = new URLSearchParams(location.hash.replace(/^#/, '')).toString();
    if (hash === now) {
      route();
      return;
    }
    if (replace) {
      history.replaceState(null, '', `${location.pathname}${location.search}#${hash}`);
      route();
    } else {
      location.hash = hash; // hashchange → route()
    }
  }

  /** The query string every analytics call carries. */
  function filterQuery(f = state.filters) {
    const p = filterParams(f);
    p.set('lng', staff.lng);
    return p.toString();
  }

  // ---- errors ----------------------------------------------------------------------------------
  /** The notice for a failed request's answer. */
  function errorText(r) {
    const d = obj(r && r.data);
    const code = str(d.error);
    if (code.startsWith('filters.') || code === 'filter.invalid') return t('errors.filters');
    if (r && r.status === 400) return t('errors.filters');
    if (r && r.status === 429) return t('errors.rateLimited');
    if (r && r.status === 404) return t('errors.notFound');
    return t('errors.generic');
  }

  // ---- announcements -----------------------------------------------------------------------------
  /** A quiet announcement for screen readers (loading finished and the like). */
  function announce(text) {
    const s = $('status');
    s.textContent = '';
    // A fresh text node, a moment later, is announced even when the words are the same as last time.
    setTimeout(() => {
      s.textContent = text;
    }, 50);
  }

  // ---- session ---------------------------------------------------------------------------------
  /** Forgets every figure and conversation shown (signed out, or not allowed). */
  function forgetData() {
    for (const k of Object.keys(loaded)) {
      loaded[k] = '';
      seq[k] += 1;
    }
    state.overview = null;
    state.procedure = null;
    state.dropoffs = null;
    state.transcript = null;
    state.titles.clear();
    destroyCharts();
    for (const id of ['kpis', 'procedure-kpis', 'verdicts', 'handoff-figures', 'transcript']) $(id).replaceChildren();
    for (const id of ['procedures', 'steps', 'dropoffs', 'series-table', 'failing-checks', 'csat-table', 'handoff-tags']) $(id).tBodies[0].replaceChildren();
    $('csat-average').textContent = '';
  }

  /** Signed in (or already were): the dashboard, or "not allowed" for an agent. */
  function signedIn() {
    clearNotice();
    // Agents have the console; the analytics API answers them 403 too, this only saves a round trip.
    if (state.me && state.me.role === 'agent') {
      staff.showForbidden();
      return;
    }
    startDashboard();
  }

  function startDashboard() {
    staff.setView('dashboard');
    setupCharts();
    route();
  }

  // ---- filters ---------------------------------------------------------------------------------
  function fillSelect(sel, options, keep) {
    sel.replaceChildren(...options.map(([value, text]) => el('option', { value, text })));
    sel.value = options.some(([v]) => v === keep) ? keep : options.length ? options[0][0] : '';
  }

  function fillFilterSelects() {
    const f = state.filters;
    // Keep what the person chose but has not applied yet.
    const keep = (id, fallback) => ($(id).options.length ? $(id).value : fallback);
    fillSelect($('filter-tz'), TIMEZONES.map((z) => [z, label('timezones', z)]), keep('filter-tz', f.tz));
    fillSelect($('filter-channel'), [['', t('filters.allChannels')], ...CHANNELS.map((c) => [c, label('channels', c)])], keep('filter-channel', f.channel));
    fillSelect($('filter-locale'), [['', t('filters.allLanguages')], ...LOCALES.map((c) => [c, label('languages', c)])], keep('filter-locale', f.locale));
    fillSelect($('filter-country'), [['', t('filters.allCountries')], ...COUNTRIES.map((c) => [c, label('countries', c)])], keep('filter-country', f.country));
  }

  /** Shows the route's filters in the form (what the figures are for). */
  function showFilters() {
    const f = state.filters;
    $('filter-from').value = f.from;
    $('filter-to').value = f.to;
    $('filter-tz').value = f.tz;
    $('filter-channel').value = f.channel;
    $('filter-locale').value = f.locale;
    $('filter-country').value = f.country;
    setFilterError('');
  }

  function setFilterError(key, focusId, params) {
    $('filter-error').textContent = key ? t(key, params) : '';
    for (const id of ['filter-from', 'filter-to']) {
      if (key && (id === focusId || !focusId)) $(id).setAttribute('aria-invalid', 'true');
      else $(id).removeAttribute('aria-invalid');
    }
    if (key && focusId) $(focusId).focus();
  }

  function applyFilters(ev) {
    ev.preventDefault();
    const from = $('filter-from').value;
    const to = $('filter-to').value;
    if (!validDay(from)) return setFilterError('filters.invalidFrom', 'filter-from');
    if (!validDay(to)) return setFilterError('filters.invalidTo', 'filter-to');
    if (from > to) return setFilterError('filters.fromAfterTo', 'filter-from');
    if ((dayToDate(to).getTime() - dayToDate(from).getTime()) / 86_400_000 > MAX_RANGE_DAYS) return setFilterError('filters.tooLong', 'filter-from', { n: MAX_RANGE_DAYS });
    setFilterError('');
    const filters = {
      from,
      to,
      tz: pick($('filter-tz').value, TIMEZONES, DEFAULT_TZ),
      channel: pick($('filter-channel').value, CHANNELS),
      locale: pick($('filter-locale').value, LOCALES),
      country: pick($('filter-country').value, COUNTRIES),
    };
    go({ ...currentRoute(), filters }, { force: true });
  }

  function resetFilters() {
    const filters = defaultFilters(DEFAULT_TZ);
    state.filters = filters;
    showFilters();
    go({ ...currentRoute(), filters }, { force: true });
  }

  function renderSummary() {
    const f = state.filters;
    const parts = [
      t('summary.period', { range: fmtDayRange(f.from, f.to), tz: label('timezones', f.tz) }),
      t('summary.channel', { value: f.channel ? label('channels', f.channel) : t('filters.allChannels') }),
      t('summary.language', { value: f.locale ? label('languages', f.locale) : t('filters.allLanguages') }),
      t('summary.country', { value: f.country ? label('countries', f.country) : t('filters.allCountries') }),
    ];
    if (state.flow) parts.push(t('summary.procedure', { title: titleOf(state.flow) }));
    $('summary-text').replaceChildren(...parts.map((p) => el('span', { text: p })));
  }

  function updatePrintedAt() {
    const d = new Date();
    let when;
    try {
      when = new Intl.DateTimeFormat(staff.lng, { dateStyle: 'long', timeStyle: 'short' }).format(d);
    } catch {
      when = d.toISOString();
    }
    $('summary-printed').textContent = t('summary.printed', { when, name: state.me ? state.me.name || state.me.email : '' });
  }

  function csvHref(file, extra) {
    const q = filterQuery();
    return `/api/analytics/export/${file}?${extra ? `${extra}&` : ''}${q}`;
  }

  function updateCsvLinks() {
    for (const head of document.querySelectorAll('[data-csv]')) {
      const name = head.dataset.csv;
      $(`csv-${name}`).href = name === 'steps' && state.flow ? csvHref('steps.csv', `flow=${encodeURIComponent(state.flow)}`) : csvHref(`${name}.csv`);
    }
  }

  // ---- procedures: titles and the select ---------------------------------------------------------
  function titleOf(flow) {
    return state.titles.get(flow) || label('flows', flow) || flow;
  }

  function flowList() {
    const list = [];
    const add = (f) => {
      if (f && !list.includes(f)) list.push(f);
    };
    for (const p of arr(obj(state.overview).procedures)) add(idOf(obj(p).flow));
    for (const f of KNOWN_FLOWS) add(f);
    add(state.flow);
    return list;
  }

  function fillProcedureSelect() {
    const sel = $('procedure-select');
    fillSelect(sel, [['', t('nav.overview')], ...flowList().map((f) => [f, titleOf(f)])], state.flow);
  }

  // ---- routing -----------------------------------------------------------------------------------
  function route() {
    if (state.view !== 'dashboard') return;
    const r = readHash();
    const flowChanged = r.flow !== state.flow;
    state.filters = r.filters;
    state.flow = r.flow;
    state.step = r.step;
    state.conv = r.conv;
    // Keep the address complete (defaults written out), so it can be shared as is.
    const canonical = hashOf(r);
    if (new URLSearchParams(location.hash.replace(/^#/, '')).toString() !== canonical) {
      history.replaceState(null, '', `${location.pathname}${location.search}#${canonical}`);
    }
    showFilters();
    renderSummary();
    updateCsvLinks();
    fillProcedureSelect();
    updateTitle();

    const fkey = filterQuery();
    if (loaded.overview !== fkey) void loadOverview(fkey);

    const inProcedure = !!state.flow;
    $('overview').hidden = inProcedure;
    $('procedure-view').hidden = !inProcedure;
    $('back-overview').hidden = !inProcedure;

    if (flowChanged) clearProcedure();
    if (!inProcedure) {
      resizeCharts(['series', 'checks', 'csat']);
      focusPending('overview-title');
      return;
    }

    $('procedure-title').textContent = titleOf(state.flow);
    resizeCharts(['funnel']);
    const pkey = `${state.flow}|${fkey}`;
    if (loaded.procedure !== pkey) void loadProcedure(pkey);
    else markSelectedStep();

    if (state.step) {
      const dkey = `${state.step}|${pkey}`;
      $('dropoffs-card').hidden = false;
      if (loaded.dropoffs !== dkey) void loadDropoffs(dkey);
      else {
        markSelectedConversation();
        focusPending('dropoffs-title');
      }
    } else {
      loaded.dropoffs = '';
      state.dropoffs = null;
      $('dropoffs-card').hidden = true;
    }

    if (state.conv) {
      const tkey = `${state.conv}|${staff.lng}|${state.filters.tz}`;
      $('transcript-card').hidden = false;
      if (loaded.transcript !== tkey) void loadTranscript(tkey);
      else focusPending('transcript-title');
    } else {
      loaded.transcript = '';
      state.transcript = null;
      $('transcript-card').hidden = true;
      $('transcript').replaceChildren();
    }
    focusPending('procedure-title');
  }

  function focusPending(id) {
    if (pendingFocus !== id) return;
    pendingFocus = '';
    const target = $(id);
    if (!target || target.closest('[hidden]')) return;
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'start', behavior: 'auto' });
  }

  function clearProcedure() {
    loaded.procedure = '';
    loaded.dropoffs = '';
    loaded.transcript = '';
    state.procedure = null;
    state.dropoffs = null;
    state.transcript = null;
    destroyChart('funnel');
    $('procedure-kpis').replaceChildren();
    $('steps').tBodies[0].replaceChildren();
    $('dropoffs').tBodies[0].replaceChildren();
    $('transcript').replaceChildren();
    $('funnel-empty').hidden = true;
  }

  /** `moveFocus` false for the select: arrowing through its options must not take the keyboard away. */
  function openProcedure(flow, moveFocus = true) {
    go({ ...currentRoute(), flow, step: '', conv: '' }, { focus: moveFocus ? (flow ? 'procedure-title' : 'overview-title') : '' });
  }

  function openStep(step) {
    go({ ...currentRoute(), step, conv: '' }, { focus: 'dropoffs-title' });
  }

  function openConversation(id) {
    go({ ...currentRoute(), conv: id }, { focus: 'transcript-title' });
  }

  function setBusy(id, busy) {
    const e = $(id);
    if (busy) e.setAttribute('aria-busy', 'true');
    else e.removeAttribute('aria-busy');
  }

  // ---- loading -----------------------------------------------------------------------------------
  /**
   * GETs one part of the page (`loaded`/`seq` key) for `key`, its element `busyId` marked busy meanwhile. An answer that
   * comes too late (a newer request for the part, another view, or `still()` no longer true) is dropped. Then
   * `ok(data)`, or `notFound()` for a 404 when given; otherwise the part is asked for again next time, with a notice
   * (the network failure's was already shown) and `failed(r)`, r null after a network failure.
   */
  async function loadPart(part, key, busyId, path, { still = () => true, ok, notFound, failed }) {
    loaded[part] = key;
    const n = ++seq[part];
    setBusy(busyId, true);
    const r = await request('GET', path);
    if (n !== seq[part] || state.view !== 'dashboard' || !still()) return;
    setBusy(busyId, false);
    if (r && r.handled) return;
    if (r && r.status === 404 && notFound) {
      notFound();
      return;
    }
    if (!r || !r.ok) {
      loaded[part] = '';
      if (r) notify(errorText(r), 'error');
      if (failed) failed(r);
      return;
    }
    ok(r.data);
  }

  function loadOverview(key) {
    return loadPart('overview', key, 'overview', `/api/analytics/overview?${key}`, {
      ok: (data) => {
        state.overview = data;
        for (const p of arr(data.procedures).map(obj)) {
          const flow = idOf(p.flow);
          if (flow && str(p.title)) state.titles.set(flow, str(p.title));
        }
        renderOverview();
        fillProcedureSelect();
        renderSummary();
        updateTitle();
        if (!state.flow) {
          announce(t('status.overviewReady', { range: fmtDayRange(state.filters.from, state.filters.to) }));
          focusPending('overview-title');
        }
      },
    });
  }

  function loadProcedure(key) {
    const flow = state.flow;
    return loadPart('procedure', key, 'procedure-view', `/api/analytics/procedures/${encodeURIComponent(flow)}?${filterQuery()}`, {
      still: () => state.flow === flow,
      notFound: () => {
        notify(t('errors.unknownProcedure'), 'error');
        go({ ...currentRoute(), flow: '', step: '', conv: '' }, { replace: true, focus: 'overview-title' });
      },
      ok: (data) => {
        state.procedure = data;
        if (str(data.title)) state.titles.set(flow, str(data.title));
        renderProcedure();
        fillProcedureSelect();
        renderSummary();
        updateTitle();
        announce(t('status.procedureReady', { title: titleOf(flow) }));
        focusPending('procedure-title');
      },
    });
  }

  function loadDropoffs(key) {
    const { flow, step } = state;
    $('dropoffs-title').textContent = t('dropoffs.title', { step: stepLabel(step) });
    $('dropoffs-limit').hidden = true;
    fillRows('dropoffs', [], t('status.loading'));
    const path = `/api/analytics/procedures/${encodeURIComponent(flow)}/steps/${encodeURIComponent(step)}/conversations?limit=${DROPOFF_LIMIT}&${filterQuery()}`;
    return loadPart('dropoffs', key, 'dropoffs-card', path, {
      still: () => state.flow === flow && state.step === step,
      notFound: () => {
        notify(t('errors.unknownStep'), 'error');
        go({ ...currentRoute(), step: '', conv: '' }, { replace: true });
      },
      ok: (data) => {
        state.dropoffs = data;
        renderDropoffs();
        announce(t('status.dropoffsReady', { n: arr(data.conversations).length, step: stepLabel(step) }));
        focusPending('dropoffs-title');
      },
    });
  }

  function loadTranscript(key) {
    const id = state.conv;
    const note = $('transcript-note');
    $('transcript-meta').replaceChildren();
    note.textContent = t('transcript.loading');
    note.hidden = false;
    $('transcript').replaceChildren();
    const shown = (transcript, said) => {
      state.transcript = transcript;
      renderTranscript();
      announce(said);
      focusPending('transcript-title');
    };
    return loadPart('transcript', key, 'transcript-card', `/api/analytics/conversations/${encodeURIComponent(id)}?${filterQuery()}`, {
      still: () => state.conv === id,
      notFound: () => shown({ id, missing: true }, t('transcript.gone')),
      failed: (r) => {
        note.textContent = r ? errorText(r) : t('errors.network');
      },
      ok: (data) => shown({ ...data, id }, t('status.transcriptReady')),
    });
  }

  // ---- charts ------------------------------------------------------------------------------------
  /** Draws each bar's own text at its end (the counts and the drop-off, so they print without hovering). */
  const barText = {
    id: 'llvBarText',
    afterDatasetsDraw(chart, _args, opts) {
      const texts = opts && Array.isArray(opts.texts) ? opts.texts : null;
      if (!texts) return;
      const meta = chart.getDatasetMeta(0);
      const horizontal = chart.options.indexAxis === 'y';
      const { ctx } = chart;
      ctx.save();
      ctx.fillStyle = COLORS.ink;
      ctx.font = `600 12px ${FONT}`;
      meta.data.forEach((bar, i) => {
        const text = texts[i];
        if (!text) return;
        if (horizontal) {
          ctx.textAlign = 'left';
          ctx.textBaseline = 'middle';
          ctx.fillText(text, bar.x + 6, bar.y);
        } else {
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          ctx.fillText(text, bar.x, bar.y - 4);
        }
      });
      ctx.restore();
    },
  };

  function chartLib() {
    const C = window.Chart;
    return typeof C === 'function' ? C : null;
  }

  function setupCharts() {
    const C = chartLib();
    if (!C) return;
    C.defaults.animation = false;
    C.defaults.responsive = true;
    C.defaults.maintainAspectRatio = false;
    C.defaults.font.family = FONT;
    C.defaults.font.size = 12;
    C.defaults.color = COLORS.ink;
    C.defaults.borderColor = COLORS.grid;
    C.defaults.plugins.legend.position = 'bottom';
    C.defaults.plugins.legend.labels.usePointStyle = true;
  }

  function destroyChart(name) {
    if (charts[name]) {
      try {
        charts[name].destroy();
      } catch {
        // already gone
      }
      charts[name] = null;
    }
  }

  function destroyCharts() {
    for (const name of Object.keys(charts)) destroyChart(name);
  }

  function resizeCharts(names) {
    for (const name of names) if (charts[name]) charts[name].resize();
  }

  /**
   * (Re)draws one chart. `config` null: nothing to draw, the empty text shows instead. Without Chart.js the
   * tables next to each chart still carry the same figures and a note says so.
   */
  function drawChart(name, canvasId, config, ariaLabel, emptyId) {
    destroyChart(name);
    const canvas = $(canvasId);
    const box = canvas.parentElement;
    const empty = emptyId ? $(emptyId) : null;
    canvas.setAttribute('aria-label', ariaLabel);
    canvas.textContent = ariaLabel;
    if (!config) {
      box.hidden = true;
      if (empty) empty.hidden = false;
      return;
    }
    if (empty) empty.hidden = true;
    const C = chartLib();
    if (!C) {
      box.hidden = true;
      $('charts-unavailable').hidden = false;
      return;
    }
    box.hidden = false;
    config.options = {
      locale: staff.lng,
      devicePixelRatio: Math.max(window.devicePixelRatio || 1, 2),
      ...config.options,
    };
    try {
      charts[name] = new C(canvas, config);
    } catch {
      box.hidden = true;
      $('charts-unavailable').hidden = false;
    }
  }

  const tickNumber = (v) => (Number.isInteger(v) ? plain(fmtInt(v)) : '');

  /**
   * A bar chart of one dataset without a legend, each bar's text (`texts`) drawn at its end: horizontal bars (labels
   * on the left, room on the right for the texts) or vertical ones (room above). `options` adds to Chart.js's options.
   */
  function barChart({ horizontal = false, labels, dataset, texts, tooltip, options = {} }) {
    const [value, index] = horizontal ? ['x', 'y'] : ['y', 'x'];
    return {
      type: 'bar',
      plugins: [barText],
      data: { labels, datasets: [dataset] },
      options: {
        ...(horizontal ? { indexAxis: 'y' } : {}),
        layout: { padding: horizontal ? { right: roomFor(texts) } : { top: 20 } },
        scales: { [value]: { beginAtZero: true, ticks: { precision: 0, callback: tickNumber } }, [index]: { grid: { display: false } } },
        ...options,
        plugins: { legend: { display: false }, llvBarText: { texts }, tooltip: { callbacks: tooltip } },
      },
    };
  }

  // ---- overview --------------------------------------------------------------------------------
  function kpi(key, value, sub) {
    return el(
      'li',
      { class: 'kpi' },
      el('span', { class: 'kpi-label', text: t(key) }),
      el('span', { class: 'kpi-value' }, val(value)),
      sub ? el('span', { class: 'kpi-sub', text: sub }) : null,
    );
  }

  function renderOverview() {
    const d = obj(state.overview);
    const totals = obj(d.totals);
    const csat = obj(d.csat);
    const conversations = count(totals.conversations);
    const entered = count(totals.entered);
    $('overview-empty').hidden = !(conversations === 0 && entered === 0);

    $('kpis').replaceChildren(
      kpi('kpi.conversations', fmtInt(totals.conversations)),
      kpi('kpi.entered', fmtInt(totals.entered)),
      kpi('kpi.completionRate', fmtPct(totals.completionRate), t('kpi.completed', { n: plain(fmtInt(totals.completed)) })),
      kpi('kpi.handoffRate', fmtPct(totals.handoffRate), t('kpi.handoffs', { n: plain(fmtInt(totals.handoffs)) })),
      kpi('kpi.abandonmentRate', fmtPct(totals.abandonmentRate), t('kpi.abandoned', { n: plain(fmtInt(totals.abandoned)) })),
      kpi('kpi.csat', fmtDecimal(csat.average), t('kpi.ratings', { n: plain(fmtInt(count(csat.count))) })),
    );

    renderSeries(arr(d.series));
    renderProcedures(arr(d.procedures));
    renderChecks(obj(d.checks));
    renderCsat(csat);
    renderHandoff(obj(d.handoff));
  }

  function renderSeries(series) {
    // The server sends every day of the period, those without activity as zeros.
    const rows = series.map(obj).filter((r) => validDay(r.day));
    const keys = ['conversations', 'completed', 'handoffs', 'abandoned'];
    const any = rows.some((r) => keys.some((k) => count(r[k]) > 0));
    const range = fmtDayRange(state.filters.from, state.filters.to);

    fillRows('series-table', any ? rows.map((r) => el('tr', {}, el('th', { scope: 'row', text: fmtDay(r.day, true) }), ...keys.map((k) => numCell(fmtInt(count(r[k])))))) : [], t('empty.filters'));

    const labels = rows.map((r) => fmtDay(r.day));
    const data = (k) => rows.map((r) => count(r[k]));
    const line = (k, color, dash, pointStyle) => ({
      type: 'line',
      label: t(`series.${k}`),
      data: data(k),
      borderColor: color,
      backgroundColor: color,
      borderWidth: 2,
      borderDash: dash,
      pointStyle,
      pointRadius: rows.length > 45 ? 0 : 3,
      tension: 0,
      order: 1,
    });
    const config = any
      ? {
          type: 'bar',
          data: {
            labels,
            datasets: [
              { type: 'bar', label: t('series.conversations'), data: data('conversations'), backgroundColor: COLORS.conversationsFill, borderColor: COLORS.conversations, borderWidth: 1, pointStyle: 'rect', order: 2 },
              line('completed', COLORS.completed, [], 'circle'),
              line('handoffs', COLORS.handoffs, [6, 4], 'triangle'),
              line('abandoned', COLORS.abandoned, [2, 3], 'rectRot'),
            ],
          },
          options: {
            interaction: { mode: 'index', intersect: false },
            scales: {
              x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0, maxTicksLimit: 12 } },
              y: { beginAtZero: true, ticks: { precision: 0, callback: tickNumber } },
            },
            plugins: {
              tooltip: {
                callbacks: {
                  title: (items) => (items.length ? fmtDay(rows[items[0].dataIndex].day, true) : ''),
                  label: (item) => `${item.dataset.label}: ${plain(fmtInt(item.parsed.y))}`,
                },
              },
            },
          },
        }
      : null;
    const totals = obj(obj(state.overview).totals);
    drawChart(
      'series',
      'chart-series',
      config,
      t('series.chartLabel', {
        range,
        conversations: plain(fmtInt(count(totals.conversations))),
        completed: plain(fmtInt(count(totals.completed))),
        handoffs: plain(fmtInt(count(totals.handoffs))),
        abandoned: plain(fmtInt(count(totals.abandoned))),
      }),
      'series-empty',
    );
  }

  /**
   * Each `table[data-columns]` of the page gets its caption, header row and an empty body: the words are at
   * `<data-i18n-table>.caption` and `<data-i18n-table>.<column>`; a column written `name:num` holds figures (right-aligned).
   */
  function buildTables() {
    for (const table of document.querySelectorAll('table[data-columns]')) {
      const group = table.dataset.i18nTable;
      const columns = table.dataset.columns.trim().split(/\s+/).map((c) => c.split(':'));
      table.replaceChildren(
        el('caption', { 'data-i18n': `${group}.caption` }),
        el('thead', {}, el('tr', {}, columns.map(([key, kind]) => el('th', { scope: 'col', class: kind, 'data-i18n': `${group}.${key}` })))),
        el('tbody'),
      );
    }
  }

  /** Each `[data-csv]` card head gets its download link, `#csv-<name>` (the address is set by updateCsvLinks). */
  function buildCsvLinks() {
    for (const head of document.querySelectorAll('[data-csv]')) {
      const name = head.dataset.csv;
      head.append(el('a', { id: `csv-${name}`, class: 'csv no-print', download: true, 'data-i18n': 'csv.download', 'data-i18n-label': `csv.${name}` }));
    }
  }

  /** A table's rows, or one row saying why there are none (across all of the table's columns). */
  function fillRows(tableId, rows, emptyText) {
    const table = $(tableId);
    const cols = table.tHead ? table.tHead.rows[0].cells.length : 1;
    table.tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', { class: 'empty-row' }, el('td', { colspan: String(cols), text: emptyText }))]));
  }

  /** A right-aligned figure cell ("—" when there is none). */
  const numCell = (text) => el('td', { class: 'num' }, val(text));

  /** The row's heading cell: a button (for the keyboard) that opens what the row is about. */
  const openerCell = (content, open) => el('th', { scope: 'row' }, el('button', { type: 'button', class: 'row-link', on: { click: open } }, content));

  /** A row that opens something: one cell holds the button (see openerCell), the whole row answers a click. */
  function openerRow(attrs, open, ...cells) {
    const tr = el('tr', attrs, ...cells);
    tr.classList.add('is-clickable');
    tr.addEventListener('click', (ev) => {
      if (ev.target instanceof Element && ev.target.closest('a, button')) return;
      if (window.getSelection && String(window.getSelection()).length > 0) return; // selecting text to copy
      open();
    });
    return tr;
  }

  /** How long a procedure or a step took (median, 90th percentile), as cells. */
  const durationCells = (x) => [numCell(fmtDuration(x.medianMs)), numCell(fmtDuration(x.p90Ms))];

  function renderProcedures(list) {
    const rows = list
      .map(obj)
      .filter((p) => idOf(p.flow))
      .map((p) => {
        const flow = idOf(p.flow);
        const open = () => openProcedure(flow);
        const rates = [p.completionRate, p.handoffRate, p.abandonmentRate].map((rate) => numCell(fmtPct(rate)));
        return openerRow({ 'data-flow': flow }, open, openerCell(str(p.title) || titleOf(flow), open), numCell(fmtInt(p.entered)), numCell(fmtInt(p.completed)), ...rates, ...durationCells(p));
      });
    fillRows('procedures', rows, t('empty.filters'));
  }

  function renderChecks(checks) {
    const verdicts = new Map(arr(checks.verdicts).map(obj).map((v) => [str(v.verdict), count(v.count)]));
    $('verdicts').replaceChildren(
      el('li', { class: 'verdict-item verdict-total' }, el('span', { class: 'verdict-label', text: t('checks.total') }), el('span', { class: 'verdict-count' }, val(fmtInt(count(checks.total))))),
      ...VERDICTS.map((v) =>
        el(
          'li',
          { class: `verdict-item verdict-${v}` },
          el('span', { class: `badge verdict-${v}`, text: t(`verdicts.${v}`) }),
          el('span', { class: 'verdict-count' }, val(fmtInt(verdicts.get(v) || 0))),
        ),
      ),
    );

    const failing = arr(checks.failing)
      .map(obj)
      .map((f) => ({ check: str(f.check), label: str(f.label) || label('checks', f.check), count: count(f.count) }))
      .filter((f) => f.label)
      .sort((a, b) => b.count - a.count);
    fillRows('failing-checks', failing.map((f) => el('tr', { 'data-check': f.check }, el('th', { scope: 'row', text: f.label }), numCell(fmtInt(f.count)))), t('checks.noneFailing'));

    const box = $('chart-checks').parentElement;
    if (failing.length) box.style.height = `${Math.max(120, failing.length * 34 + 50)}px`;
    const chars = axisChars(box);
    drawChart(
      'checks',
      'chart-checks',
      failing.length
        ? barChart({
            horizontal: true,
            labels: failing.map((f) => truncate(f.label, chars)),
            dataset: { label: t('checks.failingCount'), data: failing.map((f) => f.count), backgroundColor: COLORS.fail, maxBarThickness: 26 },
            texts: failing.map((f) => plain(fmtInt(f.count))),
            tooltip: { title: (items) => (items.length ? failing[items[0].dataIndex].label : ''), label: (item) => `${t('checks.failingCount')}: ${plain(fmtInt(item.parsed.x))}` },
          })
        : null,
      t('checks.chartLabel', { list: failing.map((f) => `${f.label}: ${plain(fmtInt(f.count))}`).join('; ') || t('checks.noneFailing') }),
      'checks-empty',
    );
  }

  function renderCsat(csat) {
    const n = count(csat.count);
    const avg = fmtDecimal(csat.average);
    $('csat-average').replaceChildren(
      el('span', { class: 'big-figure' }, val(avg)),
      el('span', { class: 'muted', text: t('kpi.ratings', { n: plain(fmtInt(n)) }) }),
    );
    const byRating = new Map();
    for (const d of arr(csat.distribution).map(obj)) {
      const r = num(d.rating);
      if (r !== null) byRating.set(r, count(d.count));
    }
    const known = [...byRating.keys()];
    const allInts = known.every((r) => Number.isInteger(r) && r >= 1 && r <= 10);
    const max = Math.max(5, ...known);
    const ratings = allInts ? Array.from({ length: max }, (_, i) => i + 1) : known.sort((a, b) => a - b);
    const rows = ratings.map((r) => ({ rating: r, count: byRating.get(r) || 0 }));
    const any = n > 0 || rows.some((r) => r.count > 0);
    const share = (c) => {
      const total = rows.reduce((s, r) => s + r.count, 0);
      return total > 0 ? fmtPct(c / total) : null;
    };
    fillRows('csat-table', any ? rows.map((r) => el('tr', {}, el('th', { scope: 'row', text: t('csat.rating', { n: fmtInt(r.rating) }) }), numCell(fmtInt(r.count)), numCell(share(r.count)))) : [], t('csat.none'));
    drawChart(
      'csat',
      'chart-csat',
      any
        ? barChart({
            labels: rows.map((r) => t('csat.rating', { n: fmtInt(r.rating) })),
            dataset: { label: t('csat.countLabel'), data: rows.map((r) => r.count), backgroundColor: COLORS.csat, maxBarThickness: 48 },
            texts: rows.map((r) => plain(fmtInt(r.count))),
            tooltip: { label: (item) => `${t('csat.countLabel')}: ${plain(fmtInt(item.parsed.y))}` },
          })
        : null,
      t('csat.chartLabel', { average: plain(avg), list: rows.map((r) => `${t('csat.rating', { n: fmtInt(r.rating) })}: ${plain(fmtInt(r.count))}`).join('; ') }),
      'csat-empty',
    );
  }

  function renderHandoff(h) {
    const requested = num(h.requested);
    const claimed = num(h.claimed);
    const fig = (key, value) => el('div', { class: 'figure' }, el('dt', { text: t(key) }), el('dd', {}, val(value)));
    $('handoff-figures').replaceChildren(
      fig('handoff.requested', fmtInt(requested)),
      fig('handoff.claimed', fmtInt(claimed)),
      fig('handoff.claimedShare', requested && claimed !== null ? fmtPct(claimed / requested) : null),
      fig('handoff.medianWait', fmtDuration(h.medianWaitMs)),
      fig('handoff.p90Wait', fmtDuration(h.p90WaitMs)),
    );
    const closed = new Map();
    for (const c of arr(h.closed).map(obj)) {
      const tag = str(c.tag);
      if (tag) closed.set(tag, (closed.get(tag) || 0) + count(c.count));
    }
    const tags = [...TAGS, ...[...closed.keys()].filter((k) => !TAGS.includes(k))];
    const total = [...closed.values()].reduce((s, c) => s + c, 0);
    const tagRow = (tag) => el('tr', { 'data-tag': tag }, el('th', { scope: 'row', text: label('tags', tag) }), numCell(fmtInt(closed.get(tag) || 0)), numCell(fmtPct((closed.get(tag) || 0) / total)));
    fillRows('handoff-tags', total > 0 ? tags.map(tagRow) : [], t('handoff.noneClosed'));
  }

  // ---- one procedure -----------------------------------------------------------------------------
  function procedureSteps() {
    return arr(obj(state.procedure).steps)
      .map(obj)
      .filter((s) => idOf(s.step))
      .map((s) => ({ ...s, step: idOf(s.step), label: str(s.label) || idOf(s.step) }));
  }

  function stepLabel(step) {
    const s = procedureSteps().find((x) => x.step === step);
    return s ? s.label : step;
  }

  function renderProcedure() {
    const p = obj(state.procedure);
    const flow = state.flow;
    $('procedure-title').textContent = titleOf(flow);
    $('procedure-kpis').replaceChildren(
      kpi('kpi.entered', fmtInt(p.entered)),
      kpi('kpi.completedCount', fmtInt(p.completed)),
      kpi('kpi.completionRate', fmtPct(p.completionRate)),
      kpi('kpi.handoffRate', fmtPct(p.handoffRate)),
      kpi('kpi.abandonmentRate', fmtPct(p.abandonmentRate)),
      kpi('kpi.median', fmtDuration(p.medianMs)),
      kpi('kpi.p90', fmtDuration(p.p90Ms)),
    );
    const steps = procedureSteps();
    renderFunnel(steps);
    renderSteps(steps);
    if (state.step) $('dropoffs-title').textContent = t('dropoffs.title', { step: stepLabel(state.step) });
  }

  function renderFunnel(steps) {
    const any = steps.some((s) => count(s.reached) > 0);
    const box = $('chart-funnel').parentElement;
    if (any) box.style.height = `${Math.max(160, steps.length * 38 + 60)}px`;
    const chars = axisChars(box);
    const dropText = (s) => {
      const rate = fmtPct(s.dropOffRate);
      return rate === null ? plain(fmtInt(count(s.reached))) : t('funnel.barText', { reached: plain(fmtInt(count(s.reached))), rate });
    };
    drawChart(
      'funnel',
      'chart-funnel',
      any
        ? barChart({
            horizontal: true,
            labels: steps.map((s, i) => truncate(t('funnel.axisLabel', { n: i + 1, label: s.label }), chars)),
            dataset: {
              label: t('funnel.reached'),
              data: steps.map((s) => count(s.reached)),
              backgroundColor: funnelColors(steps),
              maxBarThickness: 28,
            },
            texts: steps.map(dropText),
            tooltip: {
              title: (items) => (items.length ? t('funnel.axisLabel', { n: items[0].dataIndex + 1, label: steps[items[0].dataIndex].label }) : ''),
              label: (item) => {
                const s = steps[item.dataIndex];
                return [
                  `${t('funnel.reached')}: ${plain(fmtInt(count(s.reached)))}`,
                  `${t('steps.stopped')}: ${plain(fmtInt(count(s.stopped)))}`,
                  `${t('steps.dropOff')}: ${plain(fmtPct(s.dropOffRate))}`,
                ];
              },
            },
            options: {
              onClick: (_ev, elements) => {
                if (elements && elements.length) {
                  const s = steps[elements[0].index];
                  if (s) openStep(s.step);
                }
              },
              onHover: (ev, elements) => {
                const target = ev && ev.native && ev.native.target;
                if (target instanceof HTMLElement) target.style.cursor = elements && elements.length ? 'pointer' : 'default';
              },
            },
          })
        : null,
      t('funnel.chartLabel', {
        title: titleOf(state.flow),
        list: steps.map((s, i) => t('funnel.spoken', { n: i + 1, label: s.label, reached: plain(fmtInt(count(s.reached))), rate: plain(fmtPct(s.dropOffRate)) })).join('; ') || t('funnel.empty'),
      }),
      'funnel-empty',
    );
  }

  function renderSteps(steps) {
    const rows = steps.map((s, i) => {
      const open = () => openStep(s.step);
      const order = el('td', { class: 'num order', text: fmtInt(i + 1) });
      return openerRow({ 'data-step': s.step }, open, order, openerCell(s.label, open), numCell(fmtInt(s.reached)), numCell(fmtInt(s.stopped)), numCell(fmtPct(s.dropOffRate)), ...durationCells(s));
    });
    fillRows('steps', rows, t('steps.none'));
    markSelectedStep();
  }

  function markSelected(table, attr, value) {
    for (const tr of $(table).querySelectorAll(`tr[${attr}]`)) {
      const on = tr.getAttribute(attr) === value;
      tr.classList.toggle('is-selected', on);
      const b = tr.querySelector('.row-link');
      if (b) {
        if (on) b.setAttribute('aria-current', 'true');
        else b.removeAttribute('aria-current');
      }
    }
  }

  /** The funnel's bars, the open step's highlighted. */
  const funnelColors = (steps) => steps.map((s) => (s.step === state.step ? COLORS.funnelSelected : COLORS.funnel));

  function markSelectedStep() {
    markSelected('steps', 'data-step', state.step);
    const c = charts.funnel;
    if (c) {
      c.data.datasets[0].backgroundColor = funnelColors(procedureSteps());
      c.update('none');
    }
  }

  function markSelectedConversation() {
    markSelected('dropoffs', 'data-id', state.conv);
  }

  function renderDropoffs() {
    const list = arr(obj(state.dropoffs).conversations)
      .map(obj)
      .filter((c) => idOf(c.id));
    $('dropoffs-title').textContent = t('dropoffs.title', { step: stepLabel(state.step) });
    $('dropoffs-limit').hidden = list.length < DROPOFF_LIMIT;
    $('dropoffs-limit').textContent = t('dropoffs.limit', { n: DROPOFF_LIMIT });
    markSelectedStep();
    const rows = list.map((c) => {
      const id = idOf(c.id);
      const when = fmtMoment(c.lastAt);
      const outcome = str(c.outcome);
      const kept = c.transcript !== false;
      const d = toDate(c.lastAt);
      const open = () => openConversation(id);
      return openerRow(
        { 'data-id': id },
        open,
        openerCell(d ? el('time', { datetime: d.toISOString(), text: plain(when) }) : val(when), open),
        el('td', {}, val(label('channels', c.channel))),
        el('td', {}, val(label('languages', c.locale))),
        el('td', {}, val(label('countries', c.country))),
        el('td', {}, outcome ? el('span', { class: `badge outcome-${OUTCOMES.includes(outcome) ? outcome : 'other'}`, text: label('outcomes', outcome) }) : val(null)),
        el('td', { class: kept ? '' : 'muted', text: kept ? t('dropoffs.kept') : t('dropoffs.notKept') }),
      );
    });
    fillRows('dropoffs', rows, t('dropoffs.none'));
    markSelectedConversation();
  }

  function renderTranscript() {
    const d = obj(state.transcript);
    const box = $('transcript');
    const note = $('transcript-note');
    markSelectedConversation();
    if (d.missing) {
      $('transcript-meta').replaceChildren();
      note.textContent = t('transcript.gone');
      note.hidden = false;
      box.replaceChildren();
      box.hidden = true;
      return;
    }
    const meta = [];
    if (str(d.channel)) meta.push(el('span', { text: t('transcript.channel', { value: label('channels', d.channel) }) }));
    if (str(d.locale)) meta.push(el('span', { text: t('transcript.language', { value: label('languages', d.locale) }) }));
    $('transcript-meta').replaceChildren(...meta);
    const lines = arr(d.transcript).map(obj);
    note.textContent = lines.length ? '' : t('transcript.empty');
    note.hidden = lines.length > 0;
    box.hidden = lines.length === 0;
    box.replaceChildren(...lines.map((line) => staff.transcriptLine(line, (at) => plain(fmtMoment(at)))));
  }

  // ---- printing ----------------------------------------------------------------------------------
  function beforePrint() {
    updatePrintedAt();
    for (const c of Object.values(charts)) {
      if (!c || !c.canvas || c.canvas.closest('[hidden]')) continue;
      const h = c.canvas.parentElement ? c.canvas.parentElement.clientHeight : 0;
      c.resize(PRINT_CHART_WIDTH, h || 260);
    }
  }

  function afterPrint() {
    for (const c of Object.values(charts)) if (c) c.resize();
  }

  // ---- start -------------------------------------------------------------------------------------
  $('filters').addEventListener('submit', applyFilters);
  $('filter-reset').addEventListener('click', resetFilters);
  $('procedure-select').addEventListener('change', (ev) => openProcedure(ev.target.value, false));
  $('back-overview').addEventListener('click', () => openProcedure(''));
  $('print').addEventListener('click', () => window.print());
  $('transcript-close').addEventListener('click', () => go({ ...currentRoute(), conv: '' }, { focus: 'dropoffs-title' }));
  window.addEventListener('hashchange', () => route());
  window.addEventListener('beforeprint', beforePrint);
  window.addEventListener('afterprint', afterPrint);
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && $('notice').textContent) clearNotice();
  });
  buildTables();
  buildCsvLinks();
  void staff.start();
})();
