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

// A uPlot chart in its own box, kept across redraws (only its data changes). opts.span:
// the seconds shown, ending now (the Overview's range by default); opts.colors, opts.dash:
// per series; opts.data: data-* attributes of the box (what the tests read).
function chart(key, title, labels, xs, ys, parent, opts = {}) {
  const data = [xs, ...ys];
  let c = charts[key];
  if (c) {
    c.u.setData(data);
    c.box.firstChild.textContent = title;
    Object.assign(c.box.dataset, opts.data || {});
    parent.append(c.box);
    return;
  }
  const box = h('div', { class: 'chart' }, h('h3', {}, title));
  Object.assign(box.dataset, opts.data || {});
  parent.append(box);
  const span = () => opts.span || RANGES[range][0];
  const colors = opts.colors || ['#1f77b4', '#d62728', '#ff7f0e', '#2ca02c', '#9467bd',
                                 '#8c564b', '#e377c2'];
  const u = new uPlot({ width: opts.width || 420, height: 180,
    // The whole range, whatever the data: an empty series still shows the window.
    scales: { x: { time: true, range: () => [now() - span(), now()] } },
    series: [{}, ...labels.map((l, i) => ({ label: l, stroke: colors[i % colors.length],
                                             width: 1.5, dash: (opts.dash || [])[i],
                                             points: (opts.dash || [])[i] ? { show: false } : {} }))],
    axes: [{ stroke: 'currentColor' }, { stroke: 'currentColor' }] }, data, box);
  charts[key] = { u, box };
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
    table(['group', 'target', 'health', 'reason', 'draining', 'in flight', 'requests', 'errors',
           'latency (ms)'],
      j.targets.map((t) => [t.group, t.address, state(t.state), t.reason,
                            // deregistration_delay left; it leaves sooner once idle
                            t.drain_remaining_s === undefined ? ''
                              : h('span', { class: 'countdown' }, `${t.drain_remaining_s} s left`),
                            t.in_flight, t.requests, t.errors, t.latency_avg_ms.toFixed(1)]),
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

// A value fetched at most every `msec` ms (the offenders and the hit series: heavier than the
// once-a-second stream of the page's tables).
let slow = {};
async function every(key, msec, fn) {
  const c = slow[key];
  if (c && Date.now() - c.at < msec) return c.value;
  const value = await fn();
  slow[key] = { at: Date.now(), value };
  return value;
}

const DETECTORS = ['path_bruteforce', 'sensitive_files', 'scanner_ua', 'injection',
                   'vhost_fuzzing', 'login_bruteforce', 'slow_scan'];
const HITS_SPAN = 900, HITS_PERIOD = 10;

// Detector hits per HITS_PERIOD over the last 15 minutes (the watch's in-memory series of
// the shield's counters, tierd_shield_detector_*_total).
async function detectorHits() {
  const t = now();
  return Promise.all(DETECTORS.map(async (det) => {
    const q = new URLSearchParams({ metric: `tierd_shield_detector_${det}_total`,
      statistic: 'sum', period: String(HITS_PERIOD), start: String(t - HITS_SPAN),
      end: String(t) });
    return (await api('GET', `/v1/metrics?${q}`)).datapoints;
  }));
}

async function shield(page, d) {
  const b = d['/v1/bans'], s = d['/v1/shield'];
  const [off, hits] = await Promise.all([
    every('offenders', CHART_MS, () => api('GET', '/v1/shield/offenders?limit=10')),
    every('hits', CHART_MS, detectorHits)]);
  const grid = h('div');
  const [xs, ys] = align(hits);
  const total = hits.flat().reduce((n, p) => n + p.value, 0);
  page.replaceChildren(h('h2', {}, 'Shield'),
    h('p', {}, s.enabled ? 'enabled' : 'not configured'),
    h('h2', {}, 'Active bans'),
    table(['address', 'reason', 'evidence', 'since', 'expires', ''],
      b.bans.map((x) => [x.address, x.reason, x.evidence, ago(x.start), ago(x.expiry),
        h('button', { type: 'button', class: 'danger', on: { click: () => act(`unban ${x.address}`,
          'DELETE', `/v1/bans/${encodeURIComponent(x.address)}`) } }, 'Unban')]),
      'no active bans'),
    h('h2', {}, 'Top offenders'),
    h('p', { class: 'muted' }, 'Clients the shield remembers that probed sensitive or ' +
      'nonexistent paths or were refused, most probes first.'),
    table(['address', 'probes', 'requests', 'pages served', 'refused', 'last seen'],
      off.offenders.map((o) => [o.address, o.probes, o.requests, o.good,
                                o.refused ? 'yes' : 'no', ago(o.last_seen)]),
      'no offenders'),
    h('h2', {}, 'Detector hits over time'), grid,
    h('h2', {}, 'Refusals by country'),
    h('p', { class: 'muted', id: 'by-country' }, 'not configured: the shield has no ' +
      'geo rules (no country database), so refusals are not counted by country'),
    h('h2', {}, 'Counters'),
    table(['counter', 'value'], Object.entries(s.counters || {}), 'no counters'));
  chart('shield/hits', `detector hits per ${HITS_PERIOD} s, last 15 min (${total} in all)`,
        DETECTORS, xs, ys, grid, { span: HITS_SPAN, width: wide(),
                                   data: { total: String(total) } });
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

// How far back an alarm's chart and timeline go: 30 of its periods, at least 15 minutes.
const alarmSpan = (a) => Math.min(Math.max(900, a.period * 30), 15 * 86400);

// The alarm's states over the window as segments [from, to, state], from its history
// (newest first). Before the oldest change: that change's old state when the history is
// cut (complete = false), else nothing (the alarm's first evaluation: it did not exist).
function segments(hist, from, to, complete) {
  const ch = hist.slice().reverse().filter((x) => x.time_ms / 1000 <= to);
  const out = [];
  let cur = null, at = from;
  for (const x of ch) {
    const t = x.time_ms / 1000;
    if (t <= from) { cur = x.new_state; continue; }
    if (cur === null && !complete) cur = x.old_state;
    if (cur) out.push([at, t, cur]);
    cur = x.new_state;
    at = t;
  }
  if (cur) out.push([at, to, cur]);
  return out;
}

function timeline(a, hist, from, to, complete) {
  const bar = h('div', { class: 'timeline', role: 'img',
    'aria-label': `${a.name}: state over the last ${Math.round((to - from) / 60)} minutes` });
  for (const [s0, s1, st] of segments(hist, from, to, complete)) {
    const seg = h('span', { class: `seg ${st}`, title: `${st} from ${ago(s0)}` });
    seg.style.left = `${((s0 - from) / (to - from)) * 100}%`;
    seg.style.width = `${Math.max(0.3, ((s1 - s0) / (to - from)) * 100)}%`;
    seg.dataset.state = st;
    bar.append(seg);
  }
  return bar;
}

const HIST_LIMIT = 200;
// A chart as wide as the page allows (the alarms' and the shield's: one per row).
const wide = () => Math.max(420, Math.min(1240, $('page').clientWidth - 40));

async function alarmData(a) {
  const t = now(), span = alarmSpan(a);
  const q = new URLSearchParams({ metric: a.metric, statistic: a.statistic,
    period: String(a.period), start: String(t - span), end: String(t) });
  if (a.dimension) q.set('dimension', a.dimension);
  const [m, hist] = await Promise.all([api('GET', `/v1/metrics?${q}`),
    api('GET', `/v1/alarms/${encodeURIComponent(a.name)}/history?limit=${HIST_LIMIT}`)]);
  return { points: m.datapoints, hist: hist.history };
}

async function alarms(page, d) {
  const list = d['/v1/alarms'].alarms;
  const got = await Promise.all(list.map((a) => alarmData(a)));
  const parts = [h('h2', {}, 'Alarms'),
    table(['alarm', 'state', 'metric', 'condition', 'since', 'reason'],
      list.map((a) => [a.name, state(a.state), a.metric + (a.dimension ? ` (${a.dimension})` : ''),
        `${a.statistic} over ${a.period} s ${a.comparison} ${a.threshold}, ` +
        `${a.datapoints_to_alarm} of ${a.evaluation_periods}`, ago(a.updated), a.reason]),
      'no alarms configured')];
  const boxes = [];
  list.forEach((a, i) => {
    const { points, hist } = got[i], t = now(), span = alarmSpan(a);
    const box = h('section', { class: 'alarm', 'aria-label': a.name },
      h('h3', {}, `${a.name}: `, state(a.state)));
    box.append(timeline(a, hist, t - span, t, hist.length < HIST_LIMIT));
    const grid = h('div');
    box.append(grid);
    const xs = points.map((p) => p.timestamp);
    // The threshold as a second series over the whole window, so it is drawn with no data.
    const tx = [...new Set([t - span, ...xs, t])].sort((x, y) => x - y);
    const m = new Map(points.map((p) => [p.timestamp, p.value]));
    chart(`alarm/${a.name}`, `${a.metric} (${a.statistic} per ${a.period} s) and threshold`,
          [a.metric, 'threshold'], tx, [tx.map((x) => (m.has(x) ? m.get(x) : null)),
                                        tx.map(() => a.threshold)], grid,
          { span, width: wide(), colors: ['#1f77b4', '#d62728'], dash: [undefined, [6, 4]],
            data: { threshold: String(a.threshold), points: String(points.length) } });
    box.append(table(['time', 'from', 'to', 'reason'],
      hist.slice(0, 10).map((x) => [ago(Math.floor(x.time_ms / 1000)), state(x.old_state),
                                    state(x.new_state), x.reason]), 'no state changes yet'));
    boxes.push(box);
  });
  page.replaceChildren(...parts, ...boxes);
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
    if (['overview', 'data', 'alarms'].includes(name) && Date.now() - lastChart < CHART_MS &&
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
  slow = {};
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
