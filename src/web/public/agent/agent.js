// Llavero agent console: support agents see who waits for a person and take conversations over from the bot.
// Plain browser JavaScript, no build step; /staff/staff.js (window.LlaveroStaff: strings, requests, sign-in, header,
// notices, transcript lines) is loaded before this file. Everything from the server is untrusted and is rendered with
// textContent (never HTML); every text a person reads comes from locales/<lng>/agent.json.
(() => {
  'use strict';

  const MAX_REPLY = 2000;
  const THROTTLE_MS = 300;
  const POLL_MS = 30_000;
  const TAGS = ['solved', 'workaround', 'escalated', 'no-response', 'out-of-scope'];
  const CHECK_RANK = { fail: 0, warn: 1, pass: 2, skip: 3 };
  const NARROW = window.matchMedia('(max-width: 799px)');

  const { $, el, str, obj, arr, num, idOf, own, toDate } = window.LlaveroStaff;

  // ---- small helpers ---------------------------------------------------------------------------
  const cssSafe = (v) => str(v).replace(/[^a-zA-Z0-9_-]/g, '');
  const cls = (...names) => names.filter(Boolean).join(' ');

  /** A label and its control. */
  const field = (id, text, control) => el('div', { class: 'field' }, el('label', { for: id, text }), control);

  /** A form's listeners: submitting it runs `fn` instead of loading a page. */
  const onSubmit = (fn) => ({
    submit: (ev) => {
      ev.preventDefault();
      fn();
    },
  });

  function fmtTime(v) {
    const d = toDate(v);
    if (!d) return '';
    const today = d.toDateString() === new Date().toDateString();
    const opts = today ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' };
    try {
      return d.toLocaleString(staff.lng, opts);
    } catch {
      return d.toISOString();
    }
  }

  function fmtDate(v) {
    const d = toDate(v);
    if (!d) return str(v);
    try {
      return d.toLocaleDateString(staff.lng, { year: 'numeric', month: 'short', day: 'numeric' });
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
    /** Conversations with the bot right now (an agent may step in). */
    active: [],
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

  // ---- shared with the dashboard (/staff/staff.js) ----------------------------------------------
  const staff = window.LlaveroStaff.create({
    state,
    strings: (l) => `/api/agent/strings/${l}`,
    main: 'console',
    views: { login: 'view-login', forbidden: 'view-forbidden', console: 'view-console' },
    title: () => {
      const waiting = state.view === 'console' ? state.queue.filter((i) => i.status !== 'assigned').length : 0;
      return waiting > 0 ? t('header.titleWaiting', { n: waiting }) : t('header.title');
    },
    errorText,
    onSignedIn: startConsole,
    onForget: forgetData,
    onStrings: () => setLive(liveState),
    onView: (name) => {
      $('live').hidden = name !== 'console';
    },
    onLanguage: () => {
      renderQueue();
      rebuildPane();
      void loadFlows();
      queueRefresh();
      if (state.openId !== null) convRefresh();
    },
  });
  const { t, label, request, notify, updateTitle } = staff;

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

  // ---- errors ----------------------------------------------------------------------------------
  /** The notice for a failed request's answer. */
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

  // ---- live indicator --------------------------------------------------------------------------
  let liveState = 'off';
  function setLive(s) {
    liveState = s;
    $('live').dataset.state = s;
    $('live-text').textContent = s === 'off' ? '' : t(`live.${s}`);
  }

  // ---- session ---------------------------------------------------------------------------------
  /** Forgets the queue and the open conversation (signed out, or not allowed); sign-in itself is in staff.js. */
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

  // ---- console lifecycle -----------------------------------------------------------------------
  const queueRefresh = throttle(fetchQueue, THROTTLE_MS);
  const convRefresh = throttle(fetchConversation, THROTTLE_MS);

  function startConsole() {
    staff.setView('console');
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
      const r = await staff.refreshSession();
      if (state.view !== 'console') return;
      if (r && r.ok) connectEvents();
      else if (!r || !r.handled) scheduleReconnect();
    }, wait);
  }

  // ---- flows and agents ------------------------------------------------------------------------
  async function loadFlows() {
    const want = staff.lng;
    const r = await request('GET', `/api/agent/flows?lng=${want}`, undefined, { quiet: true });
    if (!r || !r.ok || want !== staff.lng || state.view !== 'console') return;
    state.flows = arr(r.data.flows)
      .map(obj)
      .filter((f) => idOf(f.id))
      .map((f) => ({
        id: idOf(f.id),
        title: str(f.title) || idOf(f.id),
        steps: arr(f.steps)
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
    state.agents = arr(r.data.agents)
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
    const r = await request('GET', `/api/agent/queue?lng=${staff.lng}`);
    if (!r || r.handled || state.view !== 'console' || n < queueApplied) return;
    if (!r.ok) {
      notify(errorText(r), 'error');
      return;
    }
    queueApplied = n;
    const received = Date.now();
    const at = num(r.data.at);
    if (at !== null) state.skewMs = at - received;
    state.queue = arr(r.data.queue)
      .map(obj)
      .filter((i) => idOf(i.id))
      .map((i) => {
        const since = num(i.since);
        const base = num(i.waitingSeconds) ?? (since !== null ? (received + state.skewMs - since) / 1000 : 0);
        return { ...i, id: idOf(i.id), status: i.status === 'assigned' ? 'assigned' : 'queued', _base: base, _received: received };
      });
    state.active = arr(r.data.active)
      .map(obj)
      .filter((i) => idOf(i.id))
      .map((i) => ({ ...i, id: idOf(i.id), _base: num(i.idleSeconds) ?? 0, _received: received }));
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
      queueGroup('bot', t('queue.withBot'), state.active, t('queue.noneWithBot'), botItem),
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

  function queueGroup(name, title, items, emptyText, render = queueItem) {
    const headingId = `queue-${name}-title`;
    const section = el(
      'section',
      { class: `q-group q-${name}`, 'aria-labelledby': headingId },
      el('h3', { id: headingId, class: 'q-heading' }, el('span', { text: title }), el('span', { class: 'count', text: String(items.length) })),
    );
    if (items.length === 0) section.append(el('p', { class: 'muted q-empty', text: emptyText }));
    else section.append(el('ul', { class: 'q-list' }, items.map(render)));
    return section;
  }

  /** A list item's ticking age (waiting, or since the last message). */
  function ageOf(item) {
    const age = el('span', { class: 'q-age' });
    queueAges.push({ el: age, seconds: () => item._base + (Date.now() - item._received) / 1000 });
    return age;
  }

  /** Channel, language and country of a list item. */
  function metaOf(item) {
    return el(
      'span',
      { class: 'q-meta' },
      el('span', { text: label('channels', item.channel) }),
      el('span', { text: label('languages', item.locale) }),
      str(item.country) ? el('span', { text: label('countries', item.country) }) : null,
    );
  }

  /**
   * One entry of the lists: a button that opens the conversation (its title, the ticking age after `ageWords` for
   * screen readers, the step, channel and language, then `details`), and a claim button when `claimAs` says how it
   * reads (`label`, `text`: keys; `primary`: the main action's look).
   */
  function listEntry(item, { classes, ageWords, details, claimAs }) {
    const id = item.id;
    const open = id === state.openId;
    const title = str(item.flowTitle) || flowTitle(item.flow) || t('conversation.untitled');
    const li = el(
      'li',
      { class: cls('q-item', ...classes, open && 'is-open'), 'data-id': id },
      el(
        'button',
        { type: 'button', class: 'q-open', 'aria-current': open ? 'true' : null, on: { click: () => openConversation(id) } },
        el('span', { class: 'q-top' }, el('span', { class: 'q-title', text: title }), el('span', { class: 'sr-only', text: t(ageWords) }), ageOf(item)),
        el('span', { class: 'q-step', text: stepLabel(item.flow, item.step) }),
        metaOf(item),
        details,
      ),
    );
    if (claimAs) {
      li.append(
        el('button', {
          type: 'button',
          class: cls('btn', claimAs.primary && 'btn-primary', 'btn-small q-claim'),
          'data-action': 'claim',
          'aria-label': t(claimAs.label, { title }),
          text: t(claimAs.text),
          disabled: state.busy.has(`conv:${id}`),
          on: { click: () => claim(id) },
        }),
      );
    }
    return li;
  }

  const badgeBox = (badges) => (badges.length ? el('span', { class: 'q-badges' }, badges) : null);

  function queueItem(item) {
    const id = item.id;
    const assigned = item.status === 'assigned';
    const mine = assigned && isMe(item.agent);

    const badges = [];
    if (mine) badges.push(el('span', { class: 'badge badge-mine', text: t('queue.mine') }));
    else if (assigned) {
      const who = str(obj(item.agent).name);
      badges.push(el('span', { class: 'badge', text: who ? t('queue.assignedTo', { name: who }) : t('queue.assigned') }));
    }
    const check = obj(item.lastCheck);
    const verdict = normVerdict(check.verdict);
    if (verdict) {
      const failed = arr(check.failed).map((f) => checkName(f)).filter(Boolean).join(', ');
      badges.push(el('span', { class: `badge verdict-${verdict}`, title: failed || null, text: t('queue.check', { verdict: t(`verdict.${verdict}`) }) }));
      if (failed) badges.push(el('span', { class: 'sr-only', text: failed }));
    }

    const li = listEntry(item, {
      classes: [mine && 'is-mine', assigned ? 'is-assigned' : 'is-waiting'],
      ageWords: 'queue.waitingFor',
      details: [
        el('span', { class: 'q-reason', text: label('reasons', item.reason) }),
        str(item.email) ? el('span', { class: 'q-email' }, el('span', { class: 'q-label', text: t('queue.email') }), ' ', str(item.email)) : null,
        badgeBox(badges),
      ],
      claimAs: assigned ? null : { primary: true, label: 'queue.takeLabel', text: 'claim.button' },
    });
    li.addEventListener('click', (ev) => {
      if (ev.target instanceof Element && ev.target.closest('button')) return;
      openConversation(id);
    });
    return li;
  }

  /** A conversation with the bot: where it is, how long since the customer's last message, what went wrong so far. */
  function botItem(item) {
    const badges = [];
    const failures = num(item.failures) ?? 0;
    const wrongPins = num(item.secretFailures) ?? 0;
    if (failures > 0) badges.push(el('span', { class: 'badge verdict-warn', text: t('queue.failures', { count: failures }) }));
    if (wrongPins > 0) badges.push(el('span', { class: 'badge verdict-fail', text: t('queue.wrongPins', { count: wrongPins }) }));
    const verdict = normVerdict(obj(item.lastCheck).verdict);
    if (verdict) badges.push(el('span', { class: `badge verdict-${verdict}`, text: t('queue.check', { verdict: t(`verdict.${verdict}`) }) }));
    return listEntry(item, {
      classes: ['is-bot'],
      ageWords: 'queue.idleFor',
      details: [badgeBox(badges)],
      claimAs: { primary: false, label: 'queue.stepInLabel', text: 'claim.stepIn' },
    });
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
    const r = await request('GET', `/api/agent/conversations/${encodeURIComponent(id)}?lng=${staff.lng}`);
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
      { class: 'composer', on: onSubmit(sendReply) },
      el('label', { for: 'reply-text', class: 'field-label', text: t('reply.label') }),
      p.replyText,
      el('div', { class: 'composer-row' }, el('span', { id: 'reply-keys', class: 'muted small', text: t('reply.keys') }), p.replyCount, p.replySend),
    );

    p.report = el('section', { id: 'report', class: 'side-block report', 'aria-labelledby': 'report-title' });

    /** One of the side's action forms: its heading (`<name>.title`, #<name>-title), then its fields and button. */
    const actionForm = (name, submit, ...children) =>
      el(
        'form',
        { class: 'side-block action-form', 'aria-labelledby': `${name}-title`, on: onSubmit(submit) },
        el('h3', { id: `${name}-title`, class: 'side-title', text: t(`${name}.title`) }),
        ...children,
      );

    p.returnFlow = el('select', { id: 'return-flow', on: { change: () => { fillReturnSteps(''); updateActions(); } } });
    p.returnStep = el('select', { id: 'return-step' });
    p.returnSubmit = el('button', { id: 'return-submit', type: 'submit', class: 'btn', text: t('return.submit') });
    const returnForm = actionForm('return', sendBack, field('return-flow', t('return.flow'), p.returnFlow), field('return-step', t('return.step'), p.returnStep), p.returnSubmit);

    p.transferTo = el('select', { id: 'transfer-to' });
    p.transferSubmit = el('button', { id: 'transfer-submit', type: 'submit', class: 'btn', text: t('transfer.submit') });
    const transferForm = actionForm('transfer', transfer, field('transfer-to', t('transfer.to'), p.transferTo), p.transferSubmit);

    p.closeTag = el('select', { id: 'close-tag' });
    p.closeSubmit = el('button', { id: 'close-submit', type: 'submit', class: 'btn btn-danger', text: t('close.submit') });
    const closeForm = actionForm('close', closeWithTag, field('close-tag', t('close.tag'), p.closeTag), p.closeSubmit);

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

    const checks = arr(r.checks).map(obj).filter((c) => str(c.message) || str(c.id));
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
    const lines = arr(transcript).map(obj);
    const keys = lines.map(lineKey);
    const prefix = pane.seqs.length <= keys.length && pane.seqs.every((k, i) => k === keys[i]);
    if (!prefix) {
      box.replaceChildren();
      pane.seqs = [];
    }
    const fresh = lines.slice(pane.seqs.length);
    for (const line of fresh) box.append(staff.transcriptLine(line, fmtTime));
    pane.seqs = keys;
    pane.transcriptEmpty.hidden = lines.length > 0;
    return !prefix;
  }

  /** Enables what the open conversation's status and ownership allow; busy while a request is in flight. */
  function updateActions() {
    if (!pane) return;
    const c = state.conv && state.conv.id === pane.id ? state.conv : null;
    const busy = state.busy.has(`conv:${pane.id}`);
    const status = c ? str(c.status) : '';
    const agent = c ? obj(obj(c.handoff).agent) : {};
    const mine = status === 'assigned' && isMe(agent);

    // A conversation with the bot can be taken too: the agent steps in before the customer asks.
    const takeable = status === 'queued' || status === 'bot';
    pane.claim.hidden = !takeable;
    pane.claim.disabled = busy || !takeable;
    pane.claim.textContent = status === 'bot' ? t('claim.stepIn') : t('claim.button');

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
      else if (status === 'bot') hint = t('actions.withBotStepIn');
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

  // ---- start -----------------------------------------------------------------------------------
  window.addEventListener('hashchange', () => {
    const id = hashId();
    if (state.view === 'console' && id && id !== state.openId) openConversation(id);
  });
  void staff.start();
})();
