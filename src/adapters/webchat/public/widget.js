// Llavero web chat widget: one <script src=".../widget.js" data-locale data-title> embeds it in any page.
// Plain browser JavaScript, no build step. Every text from the bot is rendered with textContent (never HTML).
(() => {
  'use strict';

  const script = document.currentScript;
  if (!script) return;
  const origin = new URL(script.src, location.href).origin;
  const wsUrl = `${origin.replace(/^http/, 'ws')}/api/webchat/ws`;
  const storeKey = `llavero:${origin}`;
  const supported = ['es', 'en'];
  const pick = (l) => (l && supported.includes(l.slice(0, 2)) ? l.slice(0, 2) : undefined);
  let locale = pick(script.dataset.locale) || pick(navigator.language) || 'es';
  const startOpen = script.dataset.open === 'true';

  /** @type {Record<string, Record<string, unknown>>} */
  const strings = {};
  const t = (key, params) => {
    let v = key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), strings[locale]);
    if (typeof v !== 'string') return key;
    for (const [k, p] of Object.entries(params || {})) v = v.split(`{{${k}}}`).join(String(p));
    return v;
  };

  // ---- DOM -------------------------------------------------------------------------------------
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c);
    return e;
  };

  const css = el('link', { rel: 'stylesheet', href: `${origin}/widget.css` });
  document.head.append(css);

  const root = el('div', { class: 'llv-root', 'data-llavero': '' });
  const launcher = el('button', { class: 'llv-launcher', type: 'button', 'aria-expanded': 'false' });
  const panel = el('section', { class: 'llv-panel', hidden: '' });
  const title = el('h2', { class: 'llv-title', id: 'llv-title' });
  const langBtn = el('button', { class: 'llv-lang', type: 'button' });
  const closeBtn = el('button', { class: 'llv-close', type: 'button', text: '×' });
  const header = el('header', { class: 'llv-header' }, title, langBtn, closeBtn);
  const log = el('div', { class: 'llv-log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' });
  const typing = el('div', { class: 'llv-typing', hidden: '', 'aria-hidden': 'true' });
  const status = el('div', { class: 'llv-status', role: 'status' });
  const inputLabel = el('label', { class: 'llv-sr', for: 'llv-input' });
  const input = el('input', { id: 'llv-input', class: 'llv-input', type: 'text', autocomplete: 'off', maxlength: '2000' });
  const fileInput = el('input', { id: 'llv-file', type: 'file', accept: '.p12,.pfx', class: 'llv-sr', tabindex: '-1' });
  const attach = el('button', { class: 'llv-attach', type: 'button', text: '📎' });
  const send = el('button', { class: 'llv-send', type: 'submit' });
  const form = el('form', { class: 'llv-form' }, inputLabel, input, attach, fileInput, send);
  // At the PIN step the field takes anything as a PIN, so the way out sits beside it as buttons:
  // a customer who wants a person, help or the previous step never has to type it there.
  const pinActions = el('div', { class: 'llv-pin-actions', role: 'group', hidden: '' });
  const PIN_COMMANDS = ['handoff', 'help', 'back'];
  for (const command of PIN_COMMANDS) {
    pinActions.append(
      el('button', {
        type: 'button',
        'data-command': command,
        onclick: () => {
          const label = t(`pin-actions.${command}`);
          disableOldChoices();
          deliver({ t: 'command', command }, bubble('customer', label));
        },
      }),
    );
  }
  const drop = el('div', { class: 'llv-drop', hidden: '' });
  panel.append(header, log, typing, status, form, pinActions, drop);
  panel.setAttribute('aria-labelledby', 'llv-title');
  root.append(panel, launcher);

  function applyStrings() {
    const name = script.dataset.title || t('title');
    title.textContent = name;
    launcher.textContent = '💬';
    launcher.setAttribute('aria-label', t('open'));
    closeBtn.setAttribute('aria-label', t('close'));
    langBtn.textContent = t('language');
    langBtn.setAttribute('aria-label', t('language-label'));
    langBtn.setAttribute('lang', locale === 'es' ? 'en' : 'es');
    log.setAttribute('aria-label', t('log'));
    inputLabel.textContent = mode === 'secret' ? t('secret') : t('input');
    input.placeholder = mode === 'secret' ? t('secret') : t('input');
    attach.setAttribute('aria-label', t('attach'));
    attach.title = t('attach');
    send.textContent = t('send');
    drop.textContent = t('drop');
    typing.textContent = t('typing');
    pinActions.setAttribute('aria-label', t('pin-actions.label'));
    for (const b of pinActions.querySelectorAll('button')) b.textContent = t(`pin-actions.${b.dataset.command}`);
    for (const note of log.querySelectorAll('.llv-unsent-note')) note.textContent = t('unsent');
    for (const b of log.querySelectorAll('.llv-retry')) {
      b.textContent = t('retry');
      b.setAttribute('aria-label', t('retry-label'));
    }
    root.setAttribute('lang', locale);
  }

  // ---- state -----------------------------------------------------------------------------------
  let token = localStorage.getItem(storeKey) || undefined;
  let ws;
  let mode = 'text'; // 'text' | 'secret' | 'file'
  let maxBytes = 64 * 1024;
  let retry = 0;
  /** Messages sent but not yet acknowledged (durably stored); resent with the same id after a reconnect. */
  const unacked = new Map();
  /** Messages the server refused or failed to apply, by id: kept so "retry" sends the very same frame. */
  const unsent = new Map();
  /** The customer's bubble of each message id, to mark it "not sent" (and unmark it) in place. */
  const bubbles = new Map();
  /** After these the same frame may well succeed when sent again; after the others (a malformed frame) it would not. */
  const RETRYABLE = ['turn.failed', 'internal', 'rate-limited', 'conversation.busy'];
  const newId = () => (crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`);

  const time = (at) => new Date(at || Date.now()).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });

  const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
  /** Punctuation that ends a sentence rather than the address ("vea https://x.cl/ayuda."). */
  const TRAILING = /[.,;:!?)\]»”]+$/;

  /**
   * The bot's or an agent's words with their web addresses as links: text nodes and <a> elements
   * built one by one (never HTML), only http and https, opened in a new tab without handing it
   * this page (noopener) or where it came from (noreferrer).
   */
  function withLinks(text) {
    const span = el('span', { class: 'llv-text' });
    let at = 0;
    for (const m of text.matchAll(URL_IN_TEXT)) {
      const raw = m[0].replace(TRAILING, '');
      let url;
      try {
        url = new URL(raw);
      } catch {
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      span.append(document.createTextNode(text.slice(at, m.index)));
      span.append(el('a', { href: url.href, target: '_blank', rel: 'noopener noreferrer', text: raw }));
      at = m.index + raw.length;
    }
    span.append(document.createTextNode(text.slice(at)));
    return span;
  }

  function bubble(who, text, at) {
    const item = el(
      'div',
      { class: `llv-msg llv-${who}` },
      el('span', { class: 'llv-sr', text: `${t(who === 'customer' ? 'you' : who)}: ` }),
      // The customer's own words stay plain text; what the bot and agents write may carry addresses to follow.
      who === 'customer' ? el('span', { class: 'llv-text', text }) : withLinks(text),
      el('time', { class: 'llv-time', text: time(at) }),
    );
    log.append(item);
    log.scrollTop = log.scrollHeight;
    return item;
  }

  function disableOldChoices() {
    for (const b of log.querySelectorAll('.llv-choices button')) b.disabled = true;
  }

  function showChoices(options) {
    const group = el('div', { class: 'llv-choices', role: 'group', 'aria-label': t('options') });
    for (const o of options) {
      group.append(
        el('button', {
          type: 'button',
          text: o.label,
          'data-id': o.id,
          onclick: () => {
            disableOldChoices();
            deliver({ t: 'choice', id: o.id }, bubble('customer', o.label));
          },
        }),
      );
    }
    log.append(group);
    log.scrollTop = log.scrollHeight;
  }

  function showReport(m, at) {
    const box = el('div', { class: `llv-msg llv-bot llv-report llv-verdict-${m.verdict}` });
    box.append(el('strong', { text: m.text }));
    const list = el('ul', { 'aria-label': t('report') });
    for (const c of m.checks.filter((x) => x.status === 'fail' || x.status === 'warn')) {
      list.append(el('li', { class: `llv-check llv-${c.status}` }, el('span', { class: 'llv-badge', text: t(`status.${c.status}`) }), ` ${c.message}`));
    }
    box.append(list, el('time', { class: 'llv-time', text: time(at) }));
    log.append(box);
  }

  function setMode(next) {
    mode = next;
    input.type = next === 'secret' ? 'password' : 'text';
    input.autocomplete = next === 'secret' ? 'off' : 'off';
    form.classList.toggle('llv-wants-file', next === 'file');
    pinActions.hidden = next !== 'secret';
    applyStrings();
  }

  /** Mark the customer's message `mid` as not sent (in words, not only colour), with "retry" when sending it again can help. */
  function markUnsent(mid, retryable) {
    const item = bubbles.get(mid);
    if (!item) return;
    unmark(mid);
    item.classList.add('llv-unsent');
    const note = el('span', { class: 'llv-unsent-note', text: t('unsent') });
    const parts = [note];
    if (retryable) {
      parts.push(
        el('button', {
          type: 'button',
          class: 'llv-retry',
          text: t('retry'),
          'aria-label': t('retry-label'),
          onclick: () => retrySend(mid),
        }),
      );
    }
    item.append(el('span', { class: 'llv-unsent-mark' }, ...parts));
  }

  function unmark(mid) {
    const item = bubbles.get(mid);
    if (!item) return;
    item.classList.remove('llv-unsent');
    for (const m of item.querySelectorAll('.llv-unsent-mark')) m.remove();
  }

  /** Send a refused message again, with the same id: the server applies each id at most once. */
  function retrySend(mid) {
    const frame = unsent.get(mid);
    if (!frame) return;
    unsent.delete(mid);
    unmark(mid);
    status.textContent = '';
    unacked.set(mid, frame);
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame));
    else status.textContent = t('not-delivered');
  }

  /** `keepMode`: messages about a failure, which must not turn the PIN field back into a text field. */
  function render(messages, at, keepMode) {
    let nextMode = 'text';
    for (const m of messages) {
      if (m.type === 'report') showReport(m, at);
      else if (m.type === 'agent') {
        const item = bubble('agent', m.text, at);
        // The agent's name above their words (their own text, shown as text, never as HTML).
        item.prepend(el('strong', { class: 'llv-from', text: t('agent-from', { name: m.name }) }));
      } else if (m.text) bubble('bot', m.text, at);
      if (m.type === 'choices') showChoices(m.options);
      if (m.type === 'request-file') {
        nextMode = 'file';
        maxBytes = m.maxBytes || maxBytes;
      }
      if (m.type === 'request-secret') nextMode = 'secret';
    }
    if (messages.length > 0 && !keepMode) setMode(nextMode);
  }

  function renderHistory(items) {
    log.textContent = '';
    for (const h of items) {
      if (h.direction === 'in') bubble('customer', h.text, h.at);
      else render([h.body], h.at);
    }
    disableOldChoices();
    // The current step's buttons stay live.
    const groups = log.querySelectorAll('.llv-choices');
    const last = groups[groups.length - 1];
    if (last && last === log.lastElementChild) for (const b of last.querySelectorAll('button')) b.disabled = false;
  }

  /** The status line for an error frame; empty when the bot's own messages (the apology) already say it. */
  function errorNote(m) {
    if (m.text) return m.text;
    if (m.messages && m.messages.length > 0) return '';
    if (m.code === 'rate-limited') return t('rate-limited');
    if (m.ref) return t('turn-failed', { ref: m.ref });
    return t('error');
  }

  // ---- transport -------------------------------------------------------------------------------
  /** Send a message; `item`: the customer's bubble showing it, marked if it is not sent. */
  function deliver(msg, item) {
    const mid = newId();
    const full = { ...msg, mid };
    unacked.set(mid, full);
    if (item) {
      item.dataset.mid = mid;
      bubbles.set(mid, item);
    }
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(full));
    else status.textContent = t('not-delivered');
  }

  function connect() {
    ws = new WebSocket(wsUrl);
    ws.addEventListener('open', () => {
      retry = 0;
      ws.send(JSON.stringify({ t: 'hello', token, locale }));
    });
    ws.addEventListener('message', (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (m.t === 'welcome') {
        token = m.token;
        localStorage.setItem(storeKey, token);
        if (m.locale && m.locale !== locale) {
          locale = m.locale;
          loadStrings().then(applyStrings);
        }
        if (status.textContent) status.textContent = t('connected');
        renderHistory(m.history || []);
        if (m.messages) render(m.messages, m.at);
        // What the server has not taken yet is not in its history: keep showing it (with its mark) after it.
        for (const mid of [...unacked.keys(), ...unsent.keys()]) {
          const item = bubbles.get(mid);
          if (item) log.append(item);
        }
        // Resend what the server had not confirmed; the server applies each id once.
        for (const pending of unacked.values()) ws.send(JSON.stringify(pending));
      } else if (m.t === 'ack') {
        unacked.delete(m.mid);
        unsent.delete(m.mid);
        unmark(m.mid);
        bubbles.delete(m.mid);
      } else if (m.t === 'typing') {
        typing.hidden = !m.on;
      } else if (m.t === 'bot') {
        typing.hidden = true;
        if (m.locale && m.locale !== locale) {
          locale = m.locale;
          loadStrings().then(() => {
            applyStrings();
            render(m.messages, m.at);
          });
        } else render(m.messages, m.at);
      } else if (m.t === 'push') {
        // Written by staff (an agent's reply, the bot's step after a return), not an answer to us.
        disableOldChoices();
        render(m.messages, m.at);
      } else if (m.t === 'error') {
        typing.hidden = true;
        if (m.code === 'conversations.rate-limited') {
          // Too many new conversations from this network: say so, and ask again once the server says we may.
          status.textContent = t('conversations-rate-limited');
          const again = ws;
          setTimeout(() => {
            if (again === ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ t: 'hello', token, locale }));
          }, Math.max(1, Number(m.retryAfter) || 5) * 1000);
          return;
        }
        if (m.messages) render(m.messages, m.at, true);
        if (m.mid) {
          const frame = unacked.get(m.mid);
          unacked.delete(m.mid);
          const retryable = RETRYABLE.includes(m.code);
          if (frame && retryable) unsent.set(m.mid, frame);
          markUnsent(m.mid, retryable && Boolean(frame));
        }
        status.textContent = errorNote(m);
      }
    });
    ws.addEventListener('close', (ev) => {
      typing.hidden = true;
      if (ev.code === 4001) {
        // The server no longer knows this token: start a new conversation.
        token = undefined;
        localStorage.removeItem(storeKey);
      }
      status.textContent = t('reconnecting');
      const wait = Math.min(10_000, 250 * 2 ** retry++) + Math.random() * 250;
      setTimeout(connect, ev.code === 1012 ? 100 : wait);
    });
  }

  // ---- input -----------------------------------------------------------------------------------
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = input.value;
    if (text.trim() === '') return;
    input.value = '';
    disableOldChoices();
    status.textContent = '';
    if (mode === 'secret') {
      deliver({ t: 'secret', text }, bubble('customer', '••••'));
    } else {
      deliver({ t: 'text', text }, bubble('customer', text));
    }
  });

  attach.addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', () => {
    const f = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (f) sendFile(f);
  });

  function sendFile(f) {
    const kb = (n) => Math.ceil(n / 1024);
    if (!/\.(p12|pfx)$/i.test(f.name)) {
      bubble('bot', t('file-wrong-type', { name: f.name }));
      return;
    }
    // Checked here so a 50 MB file is never read or sent; the server checks again.
    if (f.size > maxBytes) {
      bubble('bot', t('file-too-large', { name: f.name, size: kb(f.size), max: kb(maxBytes) }));
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      const data = String(reader.result).split(',')[1] || '';
      const item = bubble('customer', t('sent-file', { name: f.name }));
      disableOldChoices();
      deliver({ t: 'file', name: f.name, data }, item);
    };
    reader.readAsDataURL(f);
  }

  for (const type of ['dragenter', 'dragover']) {
    panel.addEventListener(type, (ev) => {
      ev.preventDefault();
      drop.hidden = false;
    });
  }
  panel.addEventListener('dragleave', (ev) => {
    if (ev.target === drop) drop.hidden = true;
  });
  panel.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.hidden = true;
    const f = ev.dataTransfer && ev.dataTransfer.files[0];
    if (f) sendFile(f);
  });

  langBtn.addEventListener('click', () => {
    const next = locale === 'es' ? 'en' : 'es';
    deliver({ t: 'command', command: 'language', value: next });
  });

  function open(yes) {
    panel.hidden = !yes;
    launcher.setAttribute('aria-expanded', String(yes));
    launcher.hidden = yes;
    if (yes) input.focus();
    else launcher.focus();
  }
  launcher.addEventListener('click', () => open(true));
  closeBtn.addEventListener('click', () => open(false));
  panel.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') open(false);
  });

  async function loadStrings() {
    if (strings[locale]) return;
    const res = await fetch(`${origin}/api/webchat/strings/${locale}`);
    strings[locale] = await res.json();
  }

  loadStrings().then(() => {
    applyStrings();
    document.body.append(root);
    open(startOpen);
    connect();
  });
})();
