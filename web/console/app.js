// tierd console: plain JS module, no framework. Reads /v1 with the session cookie plus the
// X-CSRF-Token header (docs/console.md); every value goes into the page as text, never HTML.
import uPlot from './uPlot.esm.js';

let csrf = null;
let charts = {};

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') for (const [ev, f] of Object.entries(v)) e.addEventListener(ev, f);
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids.flat()) e.append(k instanceof Node ? k : String(k ?? ''));
  return e;
}

async function api(method, path, body) {
  const headers = { 'X-CSRF-Token': csrf || '' };
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, credentials: 'same-origin',
                                body: body === undefined ? undefined : JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (r.status === 401) { signedOut(); throw new Error('signed out'); }
  if (!r.ok) throw new Error(j.error ? j.error.message : `HTTP ${r.status}`);
  return j;
}

function table(cols, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('table', {}, h('thead', {}, h('tr', {}, cols.map((c) => h('th', { scope: 'col' }, c)))),
           h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c) => h('td', {}, c))))));
}

function state(s) { return h('span', { class: String(s) }, s); }

function ago(sec) {
  if (!sec) return '';
  return new Date(sec * 1000).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}

// Asks before every action. With `number` ({value, min, max}) the dialog also holds a
// number field; resolves to its value (or true), or false when cancelled.
function confirmAction(text, number) {
  const d = $('confirm'), input = $('confirm-input');
  $('confirm-text').textContent = text;
  // Hidden and disabled together: a disabled field is left out of the form's validation.
  input.hidden = input.disabled = !number;
  $('confirm-label').hidden = !number;
  if (number) Object.assign(input, { value: String(number.value), min: String(number.min),
                                     max: String(number.max) });
  return new Promise((resolve) => {
    d.addEventListener('close', () => resolve(d.returnValue !== 'ok' ? false
      : number ? Number(input.value) : true), { once: true });
    d.returnValue = '';
    d.showModal();
    (number ? input : $('confirm-ok')).focus();
  });
}

async function run(text, method, path, body) {
  try {
    await api(method, path, body);
    $('status').textContent = `done: ${text}`;
  } catch (e) {
    $('status').textContent = `failed: ${text}: ${e.message}`;
  }
}

async function act(text, method, path, body) {
  if (await confirmAction(text)) await run(text, method, path, body);
}

async function scale(g) {
  const n = await confirmAction(`set the desired capacity of ${g.name} ` +
    `(now ${g.desired_capacity}; between ${g.min_size} and ${g.max_size})`,
    { value: g.desired_capacity, min: g.min_size,
                                               max: g.max_size });
  if (n === false) return;
  await run(`set the desired capacity of ${g.name} to ${n}`, 'PUT',
            `/v1/auto-scaling-groups/${encodeURIComponent(g.name)}/desired-capacity`,
            { desired: n });
}

// ---------------------------------------------------------------- pages

const now = () => Math.floor(Date.now() / 1000);

// The charts' series, kept here: the first fetch asks for the whole 15 minutes, each later
// one only for the seconds since the last (and two before, which may have grown), so that
// an open console costs the daemon a few periods per chart every CHART_MS, not 900.
let seriesCache = {};

// The Overview's ranges: the last 15 minutes at one second, live; or history from the
// watch's stored minutes: 1 h and 24 h at one minute, 15 days at one hour, each refetched
// once a minute. [seconds shown, period, label]
const RANGES = { '15m': [900, 1, '15 min'], '1h': [3600, 60, '1 h'], '24h': [86400, 60, '24 h'],
                 '15d': [1296000, 3600, '15 days'] };
let range = '15m';

async function history(metric, stat, listener) {
  const [span, period] = RANGES[range], t = now();
  const key = `${metric}/${stat}/${listener}/${range}`, c = seriesCache[key];
  if (c && t - c.last < 60) return c.list;
  const q = new URLSearchParams({ metric, statistic: stat, period: String(period),
                                  start: String(t - span), end: String(t),
                                  dimension: `listener:${listener}` });
  const j = await api('GET', `/v1/metrics?${q}`);
  // A sum over a period, as a rate per second like the live charts'.
  const list = j.datapoints.map((p) => ({ timestamp: p.timestamp,
    value: stat === 'sum' ? p.value / period : p.value }));
  seriesCache[key] = { last: t, list };
  return list;
}

async function series(metric, stat, listener) {
  if (range !== '15m') return history(metric, stat, listener);
  const key = `${metric}/${stat}/${listener}`, t = now();
  const c = seriesCache[key] || { pts: new Map(), last: 0 };
  const from = c.last ? Math.max(c.last - 2, t - 900) : t - 900;
  const q = new URLSearchParams({ metric, statistic: stat, period: '1', start: String(from),
                                  end: String(t), dimension: `listener:${listener}` });
  const j = await api('GET', `/v1/metrics?${q}`);
  for (const p of j.datapoints) c.pts.set(p.timestamp, p.value);
  for (const ts of c.pts.keys()) if (ts < t - 900) c.pts.delete(ts);
  c.last = t;
  seriesCache[key] = c;
  return [...c.pts].sort((a, b) => a[0] - b[0]).map(([timestamp, value]) => ({ timestamp, value }));
}

function chart(key, title, labels, xs, ys, parent) {
  const data = [xs, ...ys];
  let c = charts[key];
  if (c && c.root.isConnected) { c.setData(data); return; }
  const box = h('div', { class: 'chart' }, h('h3', {}, title));
  parent.append(box);
  const opts = { width: 420, height: 180,
    // The whole range, whatever the data: an empty series still shows the window.
    scales: { x: { time: true, range: () => [now() - RANGES[range][0], now()] } },
    series: [{}, ...labels.map((l, i) => ({
    label: l, stroke: ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c'][i % 4], width: 1.5 }))],
    axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor' }] };
  charts[key] = new uPlot(opts, data, box);
}

function align(lists) {
  const xs = [...new Set(lists.flat().map((p) => p.timestamp))].sort((a, b) => a - b);
  const ys = lists.map((l) => { const m = new Map(l.map((p) => [p.timestamp, p.value]));
                                return xs.map((x) => (m.has(x) ? m.get(x) : null)); });
  return [xs, ys];
}

async function overview(page, d) {
  const st = d['/v1/status'], ls = d['/v1/listeners'];
  const pick = (r) => () => {
    range = r;
    charts = {};
    lastChart = 0;
    draw();
  };
  page.replaceChildren(h('h2', {}, 'Overview'),
    h('p', {}, `tierd ${st.version}, pid ${st.pid}, up ${st.uptime_s} s, generation ` +
               `${st.generation}, ${st.connections} open connections`),
    h('p', { class: 'ranges', role: 'group', 'aria-label': 'Time range' }, 'Show the last ',
      Object.entries(RANGES).map(([r, [, , label]]) => h('button', { type: 'button',
        'aria-pressed': String(r === range), on: { click: pick(r) } }, label))));
  const grid = h('div', { class: 'charts' });
  for (const l of ls.listeners) {
    const [req, e4, e5, p50, p90, p99, conns] = await Promise.all([
      series('request_count', 'sum', l.name), series('http_4xx_count', 'sum', l.name),
      series('http_5xx_count', 'sum', l.name), series('target_response_time', 'p50', l.name),
      series('target_response_time', 'p90', l.name), series('target_response_time', 'p99', l.name),
      series('active_connections', 'maximum', l.name)]);
    const [x1, y1] = align([req, e4, e5]);
    const [x2, y2] = align([p50, p90, p99].map((s) => s.map((p) => ({ ...p, value: p.value * 1000 }))));
    const [x3, y3] = align([conns]);
    chart(`${l.name}/req`, `${l.name} (${l.address}): requests/s`, ['requests', '4xx', '5xx'], x1, y1, grid);
    chart(`${l.name}/lat`, `${l.name}: latency (ms)`, ['p50', 'p90', 'p99'], x2, y2, grid);
    chart(`${l.name}/conn`, `${l.name}: open connections`, ['connections'], x3, y3, grid);
  }
  page.append(grid);
}

async function targets(page, d) {
  const j = d['/v1/targets'];
  page.replaceChildren(h('h2', {}, 'Target groups'),
    table(['group', 'target', 'health', 'reason', 'in flight', 'requests', 'errors', 'latency (ms)'],
      j.targets.map((t) => [t.group, t.address, state(t.state), t.reason, t.in_flight,
                            t.requests, t.errors, t.latency_avg_ms.toFixed(1)]),
      'no targets'));
}

async function groups(page, d) {
  const j = d['/v1/auto-scaling-groups'], ins = d['/v1/instances'];
  page.replaceChildren(h('h2', {}, 'Auto scaling groups'),
    table(['group', 'version', 'desired', 'min', 'max', 'pending', 'in service', 'terminating',
           'refresh', ''],
      j.auto_scaling_groups.map((g) => [g.name, g.version, g.desired_capacity, g.min_size,
        g.max_size, g.pending, g.in_service, g.terminating, g.refresh_status || 'none',
        h('span', { class: 'actions' },
          h('button', { type: 'button', on: { click: () => scale(g) } }, 'Set desired'), ' ',
          h('button', { type: 'button', on: { click: () => act(`start an instance refresh of ${g.name}`,
            'POST', `/v1/auto-scaling-groups/${encodeURIComponent(g.name)}/refresh`) } },
            'Start refresh'), ' ',
          h('button', { type: 'button', class: 'danger', on: { click: () => act(
            `cancel the instance refresh of ${g.name}`, 'DELETE',
            `/v1/auto-scaling-groups/${encodeURIComponent(g.name)}/refresh`) } },
            'Cancel refresh'))]),
      'no auto scaling groups configured'),
    h('h2', {}, 'Instances'),
    table(['instance', 'group', 'state', 'health', 'version', 'port', 'CPU %'],
      ins.instances.map((i) => [i.id, i.group, state(i.state), state(i.health), i.version, i.port,
                                i.cpu_pct === null ? '' : i.cpu_pct.toFixed(1)]),
      'no instances'));
}

async function shield(page, d) {
  const b = d['/v1/bans'], s = d['/v1/shield'];
  page.replaceChildren(h('h2', {}, 'Shield'),
    h('p', {}, s.enabled ? 'enabled' : 'not configured'),
    h('h2', {}, 'Active bans'),
    table(['address', 'reason', 'evidence', 'since', 'expires', ''],
      b.bans.map((x) => [x.address, x.reason, x.evidence, ago(x.start), ago(x.expiry),
        h('button', { type: 'button', class: 'danger', on: { click: () => act(`unban ${x.address}`,
          'DELETE', `/v1/bans/${encodeURIComponent(x.address)}`) } }, 'Unban')]),
      'no active bans'),
    h('h2', {}, 'Counters'),
    table(['counter', 'value'], Object.entries(s.counters || {}), 'no counters'));
}

const ms = (v) => (v ? ago(Math.floor(v / 1000)) : 'never');

// Databases: the newest backup, the newest backup whose restore was verified, and the RPO
// (how much would be lost now: the time since the newest restorable point).
async function databases(page, d) {
  const dbs = d['/v1/db'].databases;
  const rows = await Promise.all(dbs.map(async (db) => {
    let verified = null;
    if (db.backups) {
      const b = await api('GET', `/v1/db/${encodeURIComponent(db.name)}/backups`);
      verified = b.backups.find((x) => x.verify === 'ok') || null;
    }
    const nb = db.newest_backup, point = db.latest_restorable_ms;
    const rpo = point > 0 ? `${Math.max(0, Math.round((Date.now() - point) / 1000))} s` : 'no restorable point';
    return [db.name, state(db.state), db.mode, !db.backups ? 'backups off'
      : nb ? `${ms(nb.ended_ms || nb.started_ms)} (${nb.status})` : 'none yet',
      verified ? ms(verified.verified_at_ms) : 'never', db.backups ? rpo : ''];
  }));
  const certs = (await api('GET', '/v1/certs')).certificates;
  page.replaceChildren(h('h2', {}, 'Databases'),
    table(['database', 'state', 'mode', 'last backup', 'last verified restore', 'RPO'], rows,
          'not configured (no databases in the stack file)'),
    h('h2', {}, 'Certificates'),
    !certs.length ? h('p', { class: 'muted' }, 'not configured (no automatic certificates)')
      : table(['certificate', 'names', 'state', 'expires', 'days left', 'next renewal',
               'last error'], certs.map((c) => [c.name, c.domains, state(c.state),
          c.not_after ? ago(c.not_after) : 'none yet',
          c.not_after ? Math.floor((c.not_after - now()) / 86400) : '',
          ago(c.next_renewal), c.last_error || '']), ''));
}

async function alarms(page, d) {
  const j = d['/v1/alarms'];
  page.replaceChildren(h('h2', {}, 'Alarms'),
    table(['alarm', 'state', 'metric', 'since', 'reason'],
      j.alarms.map((a) => [a.name, state(a.state), a.metric, ago(a.updated), a.reason]),
      'no alarms configured'));
}

async function events(page, d) {
  const j = d['/v1/events?limit=100'];
  page.replaceChildren(h('h2', {}, 'Events'),
    table(['time', 'level', 'subsystem', 'message'],
      j.events.slice().reverse().map((e) => [e.time, e.level, e.subsystem, e.message]),
      'no events'));
}

// Each page: the GET routes it shows, streamed over one EventSource (/console/stream), and
// how it draws them. The overview's charts also fetch their series every CHART_MS.
const pages = {
  overview: [['/v1/status', '/v1/listeners'], overview],
  targets: [['/v1/targets'], targets],
  groups: [['/v1/auto-scaling-groups', '/v1/instances'], groups],
  shield: [['/v1/bans', '/v1/shield'], shield],
  alarms: [['/v1/alarms'], alarms],
  data: [['/v1/db'], databases],
  events: [['/v1/events?limit=100'], events],
};
const CHART_MS = 5000;
let stream = null;
let data = {};
let lastChart = 0;

function pageName() {
  const name = (location.hash || '#overview').slice(1);
  return pages[name] ? name : 'overview';
}

async function draw() {
  const name = pageName();
  const [paths, fn] = pages[name];
  if (!paths.every((p) => p in data)) return;
  if ($('confirm').open) return;
  const page = $('page');
  try {
    if ((name === 'overview' || name === 'data') && Date.now() - lastChart < CHART_MS &&
        page.dataset.loaded) return;
    lastChart = Date.now();
    await fn(page, data);
    page.dataset.loaded = String(Date.now());
  } catch (e) {
    if (csrf) $('status').textContent = `error: ${e.message}`;
  }
}

function render() {
  if (!csrf) return;
  const name = pageName();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.getAttribute('href') === `#${name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const page = $('page');
  if (page.dataset.page === name && stream) return;
  page.replaceChildren();
  delete page.dataset.loaded;
  charts = {};
  seriesCache = {};
  data = {};
  lastChart = 0;
  page.dataset.page = name;
  if (stream) stream.close();
  const paths = pages[name][0];
  const q = new URLSearchParams({ csrf, paths: paths.join(',') });
  stream = new EventSource(`/console/stream?${q}`);
  for (const p of paths) {
    stream.addEventListener(p, (ev) => {
      try { data[p] = JSON.parse(ev.data); } catch (e) { return; }
      draw();
    });
  }
  // EventSource reconnects by itself (the server closes a stream after its lifetime); a
  // session that ended shows as a refused reconnect: ask the server.
  stream.onerror = () => {
    fetch('/console/session', { credentials: 'same-origin' }).then((r) => {
      if (r.status === 401) signedOut();
    }).catch(() => {});
  };
}

function signedIn(j) {
  csrf = j.csrf;
  $('who').textContent = `signed in as ${j.who}`;
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  render();
}

function signedOut() {
  csrf = null;
  if (stream) { stream.close(); stream = null; }
  $('page').replaceChildren();
  $('page').dataset.page = '';
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  $('sign-in').hidden = false;
  $('token').focus();
}

$('sign-in').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const r = await fetch('/console/sign-in', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: $('token').value }) });
  $('token').value = '';
  const j = await r.json().catch(() => ({}));
  if (!r.ok) { $('sign-in-error').textContent = j.error ? j.error.message : `HTTP ${r.status}`; return; }
  $('sign-in-error').textContent = '';
  signedIn(j);
});

$('sign-out').addEventListener('click', async () => {
  await fetch('/console/sign-out', { method: 'POST', credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf || '' } });
  signedOut();
});

window.addEventListener('hashchange', render);

fetch('/console/session', { credentials: 'same-origin' })
  .then(async (r) => (r.ok ? signedIn(await r.json()) : signedOut()))
  .catch(signedOut);

// Enter in the dialog's number field confirms (a form's implicit submit would press its
// first button, Cancel).
$('confirm-input').addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') { ev.preventDefault(); $('confirm').close('ok'); }
});
