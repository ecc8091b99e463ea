// The operator page: reads the status API (docs/api.md) with a function key kept in sessionStorage.
// No framework and no build step: the file is served as it is written.
(function () {
  'use strict';

  var KEY_STORE = 'swupgrade.functionKey';
  var REFRESH_MS = 5000;
  var PAGE_SIZE = 50;
  var PHASES = ['downloading', 'downloaded', 'updating', 'idle', 'succeeded', 'failed', 'none'];
  var FILTERS = ['', 'downloading', 'downloaded', 'updating', 'idle', 'succeeded', 'failed', 'active', 'stalled'];
  // The failure reasons read every failed row of the task: refreshed, with the source versions, less often than the counts.
  var INSIGHT_MS = 30000;

  var state = {
    route: null,
    generation: 0,
    controller: null,
    timer: null,
    paused: false,
    lastSuccess: null,
    pages: [null], // continuation tokens of the pages seen so far; the last one is the page shown
    nodes: null, // the current view's parts that a refresh fills
    timelineController: null, // the task view's chart reads its answer on its own, beside the refresh loop
    insightAt: null // when the task view's failure reasons and source versions were last read
  };

  function $(id) { return document.getElementById(id); }

  // Builds an element; text is always set as text, never parsed as HTML.
  function el(tag, attrs) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === 'text') { node.textContent = value; } else { node.setAttribute(name, value === true ? '' : value); }
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined) { continue; }
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function dash(value) { return value === null || value === undefined || value === '' ? '—' : String(value); }

  function percent(count, total) { return total > 0 ? (count * 100 / total).toFixed(1) + '%' : '0.0%'; }

  function relative(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (isNaN(seconds)) { return '—'; }
    if (seconds < 60) { return seconds + ' s ago'; }
    if (seconds < 3600) { return Math.floor(seconds / 60) + ' min ago'; }
    if (seconds < 86400) { return Math.floor(seconds / 3600) + ' h ago'; }
    return Math.floor(seconds / 86400) + ' d ago';
  }

  function timeEl(iso) {
    if (!iso) { return el('span', { text: '—' }); }
    return el('time', { datetime: iso, title: new Date(iso).toLocaleString(), 'data-relative': iso, text: relative(iso) });
  }

  function absolute(iso) {
    if (!iso) { return el('span', { text: '—' }); }
    return el('time', { datetime: iso, text: new Date(iso).toLocaleString() });
  }

  // ---- routes: everything that can be shared lives in the hash; the key never does ----

  function parseRoute(hash) {
    var text = (hash || '').replace(/^#/, '');
    var at = text.indexOf('?');
    var path = at < 0 ? text : text.slice(0, at);
    var params = new URLSearchParams(at < 0 ? '' : text.slice(at + 1));
    var parts = path.split('/').filter(Boolean).map(function (part) {
      try { return decodeURIComponent(part); } catch (e) { return part; }
    });
    if (parts[0] === 'task' && parts[1]) {
      var phase = params.get('phase') || '';
      return {
        view: 'task', operationId: parts[1],
        phase: FILTERS.indexOf(phase) >= 0 ? phase : '',
        stalledAfter: params.get('stalledAfter') || '',
        errorCode: params.get('errorCode') || ''
      };
    }
    if (parts[0] === 'device' && parts[1]) { return { view: 'device', deviceId: parts[1] }; }
    return { view: 'list' };
  }

  function taskHash(operationId, phase, stalledAfter, errorCode) {
    var params = new URLSearchParams();
    if (phase) { params.set('phase', phase); }
    if (errorCode) { params.set('errorCode', errorCode); }
    if (stalledAfter) { params.set('stalledAfter', stalledAfter); }
    var query = params.toString();
    return '#/task/' + encodeURIComponent(operationId) + (query ? '?' + query : '');
  }

  function deviceHash(deviceId) { return '#/device/' + encodeURIComponent(deviceId); }

  // ---- the API ----

  function KeyNeeded(refused) { this.refused = refused; this.message = 'A function key is needed.'; }

  function ApiError(message) { this.message = message; }

  function api(path, signal, accept, method) {
    var key = sessionStorage.getItem(KEY_STORE);
    if (!key) { return Promise.reject(new KeyNeeded(false)); }
    return fetch(path, {
      method: method || 'GET',
      headers: { 'x-functions-key': key, 'Accept': accept || 'application/json' },
      signal: signal,
      cache: 'no-store',
      credentials: 'omit'
    }).then(function (response) {
      // 401 is the host refusing the key; a 403 comes from the site's access restrictions, which a key cannot fix.
      if (response.status === 401) { throw new KeyNeeded(true); }
      if (response.status === 403) { throw new ApiError('The site refused the request (403): this address may not be allowed to reach the app.'); }
      if (response.ok) { return response; }
      return response.text().then(function (body) {
        var detail = '';
        try { var problem = JSON.parse(body); detail = problem.detail || problem.title || ''; } catch (e) { detail = ''; }
        throw new ApiError('The API answered ' + response.status + (detail ? ': ' + detail : '') + ' (' + path.split('?')[0] + ')');
      });
    }, function (error) {
      if (error && error.name === 'AbortError') { throw error; }
      throw new ApiError('The API could not be reached (' + (error && error.message ? error.message : 'network error') + ').');
    });
  }

  function json(path, signal) { return api(path, signal).then(function (response) { return response.json(); }); }

  function query(params) {
    var search = new URLSearchParams();
    Object.keys(params).forEach(function (name) {
      if (params[name] !== null && params[name] !== undefined && params[name] !== '') { search.set(name, params[name]); }
    });
    var text = search.toString();
    return text ? '?' + text : '';
  }

  function currentToken() { return state.pages[state.pages.length - 1]; }

  function fetchView(route, signal) {
    var token = currentToken();
    if (route.view === 'list') {
      return json('/api/upgrades' + query({ pageSize: 20, continuationToken: token }), signal)
        .then(function (list) { return { list: list }; });
    }
    if (route.view === 'device') {
      return json('/api/devices/' + encodeURIComponent(route.deviceId) + '/upgrades', signal)
        .then(function (device) { return { device: device }; });
    }
    var base = '/api/upgrades/' + encodeURIComponent(route.operationId);
    // Without a filter the task's own answer carries the first page of all its sub-tasks, so one request does.
    if (!route.phase && !route.errorCode) {
      return withInsight(base, signal, json(base + query({ pageSize: PAGE_SIZE, stalledAfter: route.stalledAfter, continuationToken: token }), signal)
        .then(function (task) { return { task: task, page: task }; }));
    }
    return withInsight(base, signal, Promise.all([
      json(base + query({ pageSize: 1, stalledAfter: route.stalledAfter }), signal),
      json(base + '/subtasks' + query({
        phase: route.phase, errorCode: route.errorCode, pageSize: PAGE_SIZE, stalledAfter: route.stalledAfter, continuationToken: token
      }), signal)
    ]).then(function (answers) { return { task: answers[0], page: answers[1] }; }));
  }

  // Adds the failure reasons and source versions to a task view's data when they are due (data.insight stays unset otherwise).
  function withInsight(base, signal, view) {
    var due = state.insightAt === null || Date.now() - state.insightAt >= INSIGHT_MS;
    var insight = !due ? Promise.resolve(null) : Promise.all([json(base + '/failures', signal), json(base + '/versions', signal)])
      .then(function (answers) { return { failures: answers[0], versions: answers[1] }; });
    return Promise.all([view, insight]).then(function (answers) {
      if (answers[1]) { answers[0].insight = answers[1]; }
      return answers[0];
    });
  }

  // ---- the refresh loop: one request at a time, the next one planned only when the last one ended ----

  function stopLoading() {
    state.generation++;
    clearTimeout(state.timer);
    state.timer = null;
    if (state.controller) { state.controller.abort(); state.controller = null; }
    document.body.removeAttribute('aria-busy');
  }

  function load() {
    stopLoading();
    if (!sessionStorage.getItem(KEY_STORE)) { askForKey(false); return; }
    var generation = state.generation;
    var controller = new AbortController();
    state.controller = controller;
    document.body.setAttribute('aria-busy', 'true');
    fetchView(state.route, controller.signal).then(function (data) {
      if (generation !== state.generation) { return; }
      render(data);
      state.lastSuccess = Date.now();
      hideBanner();
      tick();
      plan(generation);
    }, function (error) {
      if (generation !== state.generation || (error && error.name === 'AbortError')) { return; }
      if (error instanceof KeyNeeded) { askForKey(error.refused); return; }
      showBanner(error && error.message ? error.message : String(error));
      plan(generation);
    }).then(function () {
      if (state.controller === controller) { state.controller = null; }
      if (generation === state.generation) { document.body.removeAttribute('aria-busy'); }
    });
  }

  function plan(generation) {
    if (state.paused || document.hidden || generation !== state.generation) { return; }
    state.timer = setTimeout(load, REFRESH_MS);
  }

  function tick() {
    var text;
    if (state.lastSuccess === null) { text = 'Not loaded yet'; } else {
      text = 'Updated ' + Math.max(0, Math.round((Date.now() - state.lastSuccess) / 1000)) + ' s ago';
    }
    if (state.paused) { text += ' · paused'; }
    $('updated').textContent = text;
    document.querySelectorAll('time[data-relative]').forEach(function (node) {
      node.textContent = relative(node.getAttribute('data-relative'));
    });
  }

  function showBanner(message) {
    var banner = $('banner');
    banner.textContent = message + ' Showing the last data received; retrying every ' + REFRESH_MS / 1000 + ' s.';
    banner.hidden = false;
  }

  function hideBanner() { $('banner').hidden = true; $('banner').textContent = ''; }

  // ---- the key ----

  function askForKey(refused) {
    stopLoading();
    sessionStorage.removeItem(KEY_STORE);
    $('view').hidden = true;
    $('key-view').hidden = false;
    $('key-error').hidden = !refused;
    $('key-input').value = '';
    $('key-input').focus();
  }

  function keyEntered(event) {
    event.preventDefault();
    var key = $('key-input').value.trim();
    if (!key) { return; }
    sessionStorage.setItem(KEY_STORE, key);
    $('key-input').value = '';
    $('key-view').hidden = true;
    $('view').hidden = false;
    showView();
  }

  // ---- views ----

  function bar(phases, total, stalled, large) {
    var wrap = el('div', { 'class': 'bar' + (large ? ' bar-large' : '') });
    var track = el('div', { 'class': 'bar-track', 'aria-hidden': 'true' });
    PHASES.forEach(function (phase) {
      var count = phases[phase] || 0;
      if (count > 0) {
        var segment = el('span', { 'class': 'segment phase-' + phase, title: phase + ': ' + count });
        segment.style.flexGrow = String(count);
        track.append(segment);
      }
    });
    wrap.append(track);
    if (typeof stalled === 'number') {
      var stalledTrack = el('div', { 'class': 'bar-stalled', 'aria-hidden': 'true' });
      if (stalled > 0 && total > 0) {
        var part = el('span', { 'class': 'segment phase-stalled', title: 'stalled: ' + stalled });
        part.style.width = (stalled * 100 / total) + '%';
        stalledTrack.append(part);
      }
      wrap.append(stalledTrack);
    }
    var legend = el('ul', { 'class': 'legend', 'aria-label': 'Sub-tasks by phase' });
    PHASES.forEach(function (phase) {
      var count = phases[phase] || 0;
      if (count > 0 || (large && phase !== 'none')) { legend.append(legendItem(phase, count, total)); }
    });
    if (typeof stalled === 'number' && (stalled > 0 || large)) { legend.append(legendItem('stalled', stalled, total)); }
    wrap.append(legend);
    return wrap;
  }

  function legendItem(phase, count, total) {
    return el('li', { 'data-phase': phase, 'data-count': String(count) },
      el('span', { 'class': 'swatch phase-' + phase, 'aria-hidden': 'true' }),
      phase + ' ', el('strong', { text: String(count) }), ' (' + percent(count, total) + ')');
  }

  function failure(task) {
    if (task.failureRate === null || task.failureRate === undefined) {
      return el('span', { 'class': 'rate', text: task.failureRate === null ? 'none settled' : '—' });
    }
    var text = (task.failureRate * 100).toFixed(1) + '% failed';
    return task.alert
      ? el('strong', { 'class': 'rate alert', 'data-alert': 'true' }, el('span', { 'aria-hidden': 'true', text: '⚠ ' }), text + ' — alert')
      : el('span', { 'class': 'rate', text: text });
  }

  function pager(page, onPage) {
    var nav = el('nav', { 'class': 'pager', 'aria-label': 'Pages' });
    var previous = el('button', { type: 'button', 'data-focus': 'previous', disabled: state.pages.length <= 1, text: 'Previous page' });
    var next = el('button', { type: 'button', 'data-focus': 'next', disabled: !page.continuationToken, text: 'Next page' });
    previous.addEventListener('click', function () { state.pages.pop(); onPage(); });
    next.addEventListener('click', function () { state.pages.push(page.continuationToken); onPage(); });
    nav.append(previous, el('span', { 'class': 'page-number', text: 'Page ' + state.pages.length }), next);
    return nav;
  }

  // Replaces a container's content, keeping keyboard focus on the same control when it is still there.
  function fill(container, content) {
    var active = document.activeElement;
    var focusId = active && container.contains(active) ? active.getAttribute('data-focus') : null;
    container.replaceChildren(content);
    if (focusId) {
      var again = container.querySelector('[data-focus="' + CSS.escape(focusId) + '"]');
      if (again && !again.disabled) { again.focus(); }
    }
  }

  function heading(text) { return el('h1', { tabindex: '-1', id: 'view-title', text: text }); }

  function cell(label, content, className) {
    return el('td', { 'data-label': label, 'class': className || null }, content);
  }

  function table(caption, headers, rows, emptyText) {
    if (rows.length === 0) { return el('p', { 'class': 'empty', text: emptyText }); }
    var head = el('tr');
    headers.forEach(function (name) { head.append(el('th', { scope: 'col', text: name })); });
    var body = el('tbody');
    rows.forEach(function (row) { body.append(row); });
    return el('table', { 'class': 'rows' }, el('caption', { text: caption }), el('thead', null, head), body);
  }

  function buildList() {
    var openTask = el('form', { 'class': 'open-form', 'data-open': 'task' },
      el('label', { 'for': 'open-task', text: 'Task (operationId)' }),
      el('input', { id: 'open-task', name: 'id', required: true, autocomplete: 'off', spellcheck: 'false' }),
      el('button', { type: 'submit', text: 'Open task' }));
    var openDevice = el('form', { 'class': 'open-form', 'data-open': 'device' },
      el('label', { 'for': 'open-device', text: 'Device (deviceId)' }),
      el('input', { id: 'open-device', name: 'id', required: true, autocomplete: 'off', spellcheck: 'false' }),
      el('button', { type: 'submit', text: 'Open device' }));
    [openTask, openDevice].forEach(function (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        var id = form.elements.id.value.trim();
        if (!id) { return; }
        location.hash = form.getAttribute('data-open') === 'task' ? taskHash(id, '', '') : deviceHash(id);
      });
    });
    var content = el('div', { id: 'list-content' });
    $('view').replaceChildren(heading('Upgrade tasks'), el('div', { 'class': 'open-forms' }, openTask, openDevice), content);
    return { content: content };
  }

  function renderList(data) {
    var tasks = data.list.tasks || [];
    var rows = tasks.map(function (task) {
      return el('tr', { 'data-operation': task.operationId },
        cell('Task', el('a', { href: taskHash(task.operationId, '', ''), 'data-focus': 'task:' + task.operationId, text: task.operationId })),
        cell('Kind', dash(task.kind)),
        cell('Progress', bar(task.phases || {}, task.total || 0, task.stalled, false), 'progress'),
        cell('Failure rate', failure(task)),
        cell('Last activity', timeEl(task.lastUpdate)));
    });
    var wrap = el('div', null,
      table('Tasks, most recent activity first', ['Task', 'Kind', 'Progress', 'Failure rate', 'Last activity'], rows,
        'No upgrade task has been recorded yet.'),
      pager(data.list, load));
    fill(state.nodes.content, wrap);
  }

  // ---- the task's settles over time (GET .../timeline): inline SVG, with the same values as text beside it ----

  var SVG_NS = 'http://www.w3.org/2000/svg';
  var INTERVAL_MS = { PT1M: 60000, PT1H: 3600000, P1D: 86400000 };

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // Minutes for a task of a few hours, hours up to a month, days beyond: enough points, never more than the API's bound.
  function timelineInterval(task) {
    var age = Date.now() - Date.parse(task.firstUpdate);
    return age < 6 * 3600000 ? 'PT1M' : age < 30 * 86400000 ? 'PT1H' : 'P1D';
  }

  function loadTimeline(route, task, container) {
    if (state.timelineController) { state.timelineController.abort(); }
    var controller = new AbortController();
    state.timelineController = controller;
    var path = '/api/upgrades/' + encodeURIComponent(route.operationId) + '/timeline' + query({ interval: timelineInterval(task) });
    json(path, controller.signal).then(function (timeline) {
      if (state.timelineController === controller) { fill(container, timelineFigure(timeline)); }
    }, function (error) {
      if (error && error.name === 'AbortError') { return; }
      fill(container, el('p', { 'class': 'empty', text: 'Progress over time is not available: ' + (error && error.message ? error.message : String(error)) }));
    });
  }

  // Cumulative settles at the end of each interval (the last one ends now), from those before the first interval.
  function cumulative(t) {
    var length = INTERVAL_MS[t.interval];
    var now = Date.parse(t.to);
    var succeeded = t.succeededBefore;
    var failed = t.failedBefore;
    return t.intervals.map(function (i) {
      succeeded += i.succeeded;
      failed += i.failed;
      return {
        start: i.start, end: Math.min(Date.parse(i.start) + length, now), succeeded: succeeded, failed: failed, pushes: i.pushes,
        changed: i.succeeded + i.failed + i.pushes > 0
      };
    });
  }

  function timelineFigure(t) {
    var points = cumulative(t);
    var width = 480, height = 220, left = 40, right = 10, top = 10, bottom = 26;
    var start = Date.parse(t.from);
    var now = Date.parse(t.to);
    var eta = t.eta ? Date.parse(t.eta) : null;
    var end = Math.max(eta || now, now, start + 60000);
    var yMax = Math.max(t.total, 1);
    function x(ms) { return (left + (ms - start) * (width - left - right) / (end - start)).toFixed(1); }
    function y(n) { return (height - bottom - n * (height - top - bottom) / yMax).toFixed(1); }
    function line(key) {
      var d = 'M' + x(start) + ' ' + y(key === 'succeeded' ? t.succeededBefore : t.failedBefore);
      points.forEach(function (p) { d += ' L' + x(p.end) + ' ' + y(p[key]); });
      return svg('path', { d: d, 'class': 'chart-line chart-' + key, 'data-series': key });
    }
    var chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, 'class': 'timeline-chart', 'aria-hidden': 'true', focusable: 'false' });
    [0, yMax / 2, yMax].forEach(function (n) {
      chart.append(svg('line', { x1: left, x2: width - right, y1: y(n), y2: y(n), 'class': 'chart-grid' }),
        svg('text', { x: left - 4, y: y(n), 'class': 'chart-label', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, String(Math.round(n))));
    });
    chart.append(svg('text', { x: left, y: height - 6, 'class': 'chart-label' }, shortTime(start)),
      svg('text', { x: width - right, y: height - 6, 'class': 'chart-label', 'text-anchor': 'end' }, shortTime(end)));
    chart.append(line('succeeded'), line('failed'));
    var last = points.length ? points[points.length - 1] : { succeeded: t.succeededBefore, failed: t.failedBefore };
    if (eta) {
      chart.append(svg('path', { d: 'M' + x(now) + ' ' + y(last.succeeded + last.failed) + ' L' + x(eta) + ' ' + y(t.total), 'class': 'chart-eta', 'data-series': 'eta' }),
        svg('line', { x1: x(eta), x2: x(eta), y1: y(0), y2: y(yMax), 'class': 'chart-eta-mark' }));
    }

    var caption = el('figcaption', { id: 'timeline-caption' },
      el('span', { 'class': 'key key-succeeded', text: 'succeeded ' + last.succeeded }), ' ',
      el('span', { 'class': 'key key-failed', text: 'failed ' + last.failed }), ' ',
      el('span', { text: 'of ' + t.total + ', ' + t.unsettled + ' unsettled. ' }),
      eta
        ? el('span', { 'class': 'eta', 'data-eta': t.eta }, 'Projected end ', absolute(t.eta), ' (' + t.rate.settled + ' settled in the last hour).')
        : el('span', { 'class': 'eta', 'data-eta': '' }, t.unsettled === 0 ? 'Nothing left to settle.' : 'No projected end: nothing settled in the last hour.'));
    // The intervals in which something happened: a day of minutes would otherwise be 1,440 rows to listen to.
    var rows = points.filter(function (p) { return p.changed; }).map(function (p) {
      return el('tr', { 'data-start': p.start }, el('td', null, absolute(p.start)), el('td', { text: String(p.succeeded) }),
        el('td', { text: String(p.failed) }), el('td', { text: String(p.pushes) }));
    });
    var body = el('tbody');
    rows.forEach(function (row) { body.append(row); });
    var head = el('tr');
    ['Interval from', 'Succeeded so far', 'Failed so far', 'Pushes in interval'].forEach(function (name) { head.append(el('th', { scope: 'col', text: name })); });
    var values = el('table', { 'class': 'timeline-values' },
      el('caption', { text: 'Settled sub-tasks per ' + ({ PT1M: 'minute', PT1H: 'hour', P1D: 'day' }[t.interval] || t.interval) }),
      el('thead', null, head), body);
    // A table is as wide as its cells whatever its own width: the box that hides it is a block.
    return el('figure', { 'class': 'timeline', 'data-interval': t.interval }, chart, caption, el('div', { 'class': 'visually-hidden' }, values));
  }

  function shortTime(ms) {
    var d = new Date(ms);
    return d.toISOString().slice(5, 16).replace('T', ' ');
  }

  function buildTask(route) {
    var all = el('a', { href: '#/', text: 'All tasks' });
    var summary = el('div', { 'class': 'summary' });
    var chips = el('nav', { 'class': 'chips', 'aria-label': 'Filter sub-tasks by phase' });
    var stalledForm = el('form', { 'class': 'stalled-form' },
      el('label', { 'for': 'stalled-after', text: 'Stalled after (ISO 8601, e.g. PT30M)' }),
      el('input', { id: 'stalled-after', name: 'stalledAfter', autocomplete: 'off', spellcheck: 'false', size: '8', value: route.stalledAfter }),
      el('button', { type: 'submit', text: 'Apply' }));
    stalledForm.addEventListener('submit', function (event) {
      event.preventDefault();
      location.hash = taskHash(route.operationId, route.phase, stalledForm.elements.stalledAfter.value.trim());
    });
    var csv = el('button', {
      type: 'button', id: 'csv', text: 'Download CSV' + (route.phase ? ' (' + route.phase + (route.errorCode ? ', ' + route.errorCode : '') + ')' : '')
    });
    csv.addEventListener('click', function () { downloadCsv(route, csv); });
    var remove = el('button', { type: 'button', id: 'delete-task', 'class': 'danger', text: 'Delete task' });
    remove.addEventListener('click', function () { deleteTask(route, remove); });
    var content = el('div', { id: 'subtasks' });
    var timeline = el('section', { 'class': 'timeline-section', 'aria-labelledby': 'timeline-title' },
      el('h2', { id: 'timeline-title', text: 'Settled over time' }), el('div', { id: 'timeline' }));
    var insight = buildInsight();
    var errorFilter = route.errorCode
      ? el('p', { 'class': 'error-filter', 'data-error-code': route.errorCode }, 'Failed with error code ', el('strong', { text: route.errorCode }), ' · ',
        el('a', { href: taskHash(route.operationId, 'failed', route.stalledAfter, ''), text: 'all failed' }))
      : null;
    $('view').replaceChildren(
      el('nav', { 'class': 'crumbs', 'aria-label': 'Breadcrumb' }, all),
      heading('Task ' + route.operationId),
      summary,
      insight,
      timeline,
      el('div', { 'class': 'filters' }, chips, stalledForm, csv, remove),
      errorFilter || '',
      content);
    return {
      summary: summary, chips: chips, content: content, stalledInput: stalledForm.elements.stalledAfter, insight: insight, timeline: timeline.lastChild
    };
  }

  function renderTask(route, data) {
    var task = data.task;
    var phases = task.phases || {};
    var total = task.total || 0;
    var facts = el('dl', { 'class': 'facts' });
    [['Kind', dash(task.kind)], ['Sub-tasks', String(total)], ['Settled', dash(task.settled)], ['Active', dash(task.active)],
      ['Failure rate', failure(task)], ['First push', absolute(task.firstUpdate)], ['Last activity', timeEl(task.lastUpdate)]]
      .forEach(function (pair) { facts.append(el('div', null, el('dt', { text: pair[0] }), el('dd', null, pair[1]))); });
    if (task.alert && task.failureRateThreshold !== undefined) {
      facts.append(el('div', null, el('dt', { text: 'Alert when' }),
        el('dd', { text: 'over ' + (task.failureRateThreshold * 100).toFixed(1) + '% failed with at least ' + task.failureRateMinSettled + ' settled' })));
    }
    fill(state.nodes.summary, el('div', null, bar(phases, total, task.stalled, true), facts));
    loadTimeline(route, task, state.nodes.timeline);

    if (task.stalledAfter && document.activeElement !== state.nodes.stalledInput && !route.stalledAfter) {
      state.nodes.stalledInput.value = task.stalledAfter;
    }
    var chips = el('ul', { 'class': 'chip-list' });
    FILTERS.forEach(function (phase) {
      var count = phase === '' ? total : phase === 'active' ? task.active : phase === 'stalled' ? task.stalled : phases[phase] || 0;
      var label = (phase || 'all') + (count === undefined || count === null ? '' : ' ' + count);
      if (phase === 'stalled' && task.stalledAfter) { label += ' (after ' + task.stalledAfter + ')'; }
      chips.append(el('li', null, el('a', {
        'class': 'chip phase-chip-' + (phase || 'all'), href: taskHash(route.operationId, phase, route.stalledAfter),
        'aria-current': phase === route.phase ? 'true' : null, 'data-focus': 'chip:' + phase, 'data-filter': phase || 'all', text: label
      })));
    });
    fill(state.nodes.chips, chips);
    if (data.insight) {
      state.insightAt = Date.now();
      renderInsight(route, data.insight);
    }

    var page = data.page;
    var rows = (page.subTasks || []).map(function (sub) {
      var phase = sub.phase || 'none';
      var failed = phase === 'failed';
      return el('tr', { 'data-device': sub.deviceId, 'data-phase': phase },
        cell('Device', el('a', { href: deviceHash(sub.deviceId), 'data-focus': 'device:' + sub.deviceId, text: sub.deviceId })),
        cell('Sub-task', dash(sub.subOperationId)),
        cell('Phase', el('span', null, el('span', { 'class': 'swatch phase-' + phase, 'aria-hidden': 'true' }), phase,
          sub.stalled ? el('strong', { 'class': 'stalled-mark', text: ' stalled' }) : null)),
        cell('Last state', dash(sub.lastState)),
        cell('Result', dash(sub.result)),
        cell('Error code', dash(sub.errorCode), failed ? 'error' : null),
        cell('Description', dash(sub.resultDesc), failed ? 'error' : null),
        cell('Versions', versions(sub)),
        cell('Last activity', timeEl(sub.lastUpdate)));
    });
    var caption = 'Sub-tasks' + (route.phase ? ': ' + route.phase : '') + (route.errorCode ? ', error code ' + route.errorCode : '') +
      ', page ' + state.pages.length;
    fill(state.nodes.content, el('div', null,
      table(caption, ['Device', 'Sub-task', 'Phase', 'Last state', 'Result', 'Error code', 'Description', 'Versions', 'Last activity'],
        rows, 'No sub-task ' + (route.phase ? 'is ' + route.phase : 'yet') + '.'),
      pager(page, load)));
  }

  // ---- the task view's failure reasons and source versions (GET .../failures and .../versions) ----

  function buildInsight() {
    return el('div', { 'class': 'insight', id: 'insight' },
      el('section', { 'class': 'insight-part', id: 'failure-reasons', 'aria-labelledby': 'reasons-title' },
        el('h2', { id: 'reasons-title', text: 'Failure reasons' }), el('p', { 'class': 'empty', text: 'Loading…' })),
      el('section', { 'class': 'insight-part', id: 'source-versions', 'aria-labelledby': 'versions-title' },
        el('h2', { id: 'versions-title', text: 'Source versions' }), el('p', { 'class': 'empty', text: 'Loading…' })));
  }

  function renderInsight(route, insight) {
    var reasons = $('failure-reasons');
    var versionsPart = $('source-versions');
    if (!reasons || !versionsPart) { return; }
    reasons.replaceChildren(reasons.firstChild, reasonList(route, insight.failures));
    versionsPart.replaceChildren(versionsPart.firstChild, versionTable(insight.versions));
    if (insight.versions.uncounted > 0) { versionsPart.append(uncountedNote(insight.versions)); }
  }

  function shareBar(share, className) {
    var track = el('span', { 'class': 'share-track', 'aria-hidden': 'true' });
    var fillPart = el('span', { 'class': 'share-fill ' + className });
    fillPart.style.width = Math.max(0, Math.min(100, share * 100)) + '%';
    track.append(fillPart);
    return track;
  }

  function reasonList(route, failures) {
    var list = failures.reasons || [];
    if (list.length === 0) { return el('p', { 'class': 'empty', text: 'No sub-task has failed.' }); }
    var items = el('ol', { 'class': 'reasons', 'aria-label': failures.failed + ' failed sub-tasks by error code' });
    list.forEach(function (reason) {
      var code = reason.errorCode;
      var label = code === null ? el('span', { 'class': 'reason-code', text: '(no error code)' })
        : el('a', { 'class': 'reason-code', href: taskHash(route.operationId, 'failed', route.stalledAfter, code), 'data-focus': 'reason:' + code, text: code });
      items.append(el('li', { 'class': 'reason', 'data-error-code': code === null ? '' : code, 'data-count': String(reason.count) },
        el('div', { 'class': 'reason-head' }, label,
          el('span', { 'class': 'reason-count', text: reason.count + ' (' + (reason.share * 100).toFixed(1) + '%)' })),
        shareBar(reason.share, 'phase-failed'),
        el('div', { 'class': 'reason-detail' }, dash(reason.resultDesc),
          el('span', { 'class': 'reason-devices', text: ' · e.g. ' + (reason.sampleDeviceIds || []).join(', ') }))));
    });
    if (failures.other) {
      items.append(el('li', { 'class': 'reason reason-other', 'data-count': String(failures.other.count) },
        el('div', { 'class': 'reason-head' }, el('span', { 'class': 'reason-code', text: failures.other.errorCodes + ' other error codes' }),
          el('span', { 'class': 'reason-count', text: failures.other.count + ' (' + (failures.other.share * 100).toFixed(1) + '%)' })),
        shareBar(failures.other.share, 'phase-failed')));
    }
    return items;
  }

  function versionTable(answer) {
    var rows = (answer.versions || []).map(function (v) { return versionRow(dash(v.sourceVersion), v, v.sourceVersion || ''); });
    if (answer.other) { rows.push(versionRow(answer.other.sourceVersions + ' other versions', answer.other, '*other')); }
    return table('Settled sub-tasks by the version they upgraded from', ['Source version', 'Succeeded', 'Failed', 'Failed share'], rows,
      answer.uncounted > 0 ? 'No settled sub-task is counted by source version yet.' : 'No sub-task has settled yet.');
  }

  // Settles recorded before the store counted source versions are in no version until their sub-task is written again.
  function uncountedNote(answer) {
    return el('p', { 'class': 'note versions-uncounted', 'data-uncounted': String(answer.uncounted),
      text: answer.uncounted + ' of the ' + answer.settled + ' settled sub-tasks settled before source versions were counted and are not in this table.' });
  }

  function versionRow(name, counts, key) {
    return el('tr', { 'data-version': key, 'data-succeeded': String(counts.succeeded), 'data-failed': String(counts.failed) },
      cell('Source version', name),
      cell('Succeeded', String(counts.succeeded)),
      cell('Failed', String(counts.failed)),
      cell('Failed share', el('span', { 'class': 'version-rate' }, shareBar(counts.failureRate, 'phase-failed'),
        ' ' + (counts.failureRate * 100).toFixed(1) + '%')));
  }

  function versions(sub) {
    if (!sub.sourceVersion && !sub.targetVersion && !sub.curVersion) { return '—'; }
    return dash(sub.sourceVersion) + ' → ' + dash(sub.targetVersion) + ' (now ' + dash(sub.curVersion) + ')';
  }

  function downloadCsv(route, button) {
    button.disabled = true;
    var path = '/api/upgrades/' + encodeURIComponent(route.operationId) + '/subtasks.csv' +
      query({ phase: route.phase, errorCode: route.errorCode, stalledAfter: route.stalledAfter });
    // The key goes in a header, so the file is fetched here and handed to the browser as a blob.
    api(path, undefined, 'text/csv').then(function (response) { return response.blob(); }).then(function (blob) {
      var url = URL.createObjectURL(blob);
      var link = el('a', {
        href: url, download: route.operationId + '-' + (route.phase || 'all') + (route.errorCode ? '-' + route.errorCode : '') + '.csv', hidden: true
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 30000);
    }).catch(function (error) {
      if (error instanceof KeyNeeded) { askForKey(error.refused); return; }
      showBanner('The CSV download failed. ' + (error && error.message ? error.message : ''));
    }).then(function () { button.disabled = false; });
  }

  // Each DELETE removes a bounded share of the task (docs/api.md): call again after Retry-After until 204.
  function deleteTask(route, button) {
    if (!window.confirm('Delete task ' + route.operationId + ' and everything recorded for it? This cannot be undone.')) { return; }
    // From the first call on the task reads as unknown: the view's refresh would only show a 404.
    stopLoading();
    button.disabled = true;
    button.textContent = 'Deleting…';
    var path = '/api/upgrades/' + encodeURIComponent(route.operationId);
    var removed = 0;
    function step() {
      api(path, undefined, 'application/json', 'DELETE').then(function (response) {
        if (response.status === 204) {
          if (state.route && state.route.operationId === route.operationId) { location.hash = '#/'; }
          return undefined;
        }
        return response.json().then(function (progress) {
          removed += progress.deletedRows || 0;
          button.textContent = 'Deleting… ' + removed + ' rows removed';
          var seconds = parseInt(response.headers.get('Retry-After') || '1', 10);
          setTimeout(step, (isNaN(seconds) ? 1 : seconds) * 1000);
        });
      }).catch(function (error) {
        button.disabled = false;
        button.textContent = 'Delete task';
        if (error instanceof KeyNeeded) { askForKey(error.refused); return; }
        showBanner('Deleting the task stopped; press Delete task to go on. ' + (error && error.message ? error.message : ''));
      });
    }
    step();
  }

  function buildDevice(route) {
    var content = el('div', { id: 'device-content' });
    $('view').replaceChildren(
      el('nav', { 'class': 'crumbs', 'aria-label': 'Breadcrumb' }, el('a', { href: '#/', text: 'All tasks' })),
      heading('Device ' + route.deviceId),
      content);
    return { content: content };
  }

  function renderDevice(data) {
    var list = el('div', null);
    (data.device.subTasks || []).forEach(function (sub) {
      var facts = el('dl', { 'class': 'facts' });
      [['Phase', dash(sub.phase || 'none')], ['Kind', dash(sub.kind)], ['Result', dash(sub.result)],
        ['Error code', dash(sub.errorCode)], ['Description', dash(sub.resultDesc)], ['Versions', versions(sub)],
        ['Duplicates', dash(sub.duplicates)], ['First push', absolute(sub.firstUpdate)], ['Last activity', timeEl(sub.lastUpdate)]]
        .forEach(function (pair) { facts.append(el('div', null, el('dt', { text: pair[0] }), el('dd', null, pair[1]))); });
      var rows = (sub.history || []).map(function (entry, index) {
        return el('tr', { 'data-envelope': entry.envelopeId, 'data-verdict': entry.verdict },
          cell('#', String(index + 1)),
          cell('Received', absolute(entry.receivedAt)),
          cell('Notify type', entry.notifyType),
          cell('Value', dash(entry.value)),
          cell('Verdict', el('span', { 'class': 'verdict verdict-' + entry.verdict, text: entry.verdict })));
      });
      list.append(el('section', { 'class': 'subtask', 'data-operation': sub.operationId, 'data-suboperation': sub.subOperationId },
        el('h2', null, 'Task ', el('a', { href: taskHash(sub.operationId, '', ''), 'data-focus': 'task:' + sub.operationId + ':' + sub.subOperationId, text: sub.operationId }),
          ', sub-task ' + sub.subOperationId),
        facts,
        table('Pushes in received order', ['#', 'Received', 'Notify type', 'Value', 'Verdict'], rows, 'No push kept.'),
        sub.historyDropped ? el('p', { 'class': 'note', text: sub.historyDropped + ' older pushes are no longer kept.' }) : null));
    });
    fill(state.nodes.content, list);
  }

  function render(data) {
    var route = state.route;
    if (route.view === 'list') { renderList(data); } else if (route.view === 'device') { renderDevice(data); } else { renderTask(route, data); }
  }

  function showView() {
    state.route = parseRoute(location.hash);
    state.pages = [null];
    state.insightAt = null;
    var route = state.route;
    state.nodes = route.view === 'list' ? buildList() : route.view === 'device' ? buildDevice(route) : buildTask(route);
    document.title = (route.view === 'list' ? 'Upgrade tasks' : route.view === 'device' ? 'Device ' + route.deviceId : 'Task ' + route.operationId) +
      ' · Upgrade progress';
    var title = $('view-title');
    if (title && document.activeElement !== $('key-input')) { title.focus(); }
    load();
  }

  function togglePause() {
    state.paused = !state.paused;
    var button = $('pause');
    button.setAttribute('aria-pressed', String(state.paused));
    button.textContent = state.paused ? 'Resume' : 'Pause';
    if (state.paused) { stopLoading(); } else { load(); }
    tick();
  }

  function visibilityChanged() {
    if (document.hidden) { stopLoading(); } else if (!state.paused && $('key-view').hidden) { load(); }
  }

  function start() {
    $('key-form').addEventListener('submit', keyEntered);
    $('pause').addEventListener('click', togglePause);
    $('change-key').addEventListener('click', function () { askForKey(false); });
    window.addEventListener('hashchange', function () { if ($('key-view').hidden) { showView(); } });
    document.addEventListener('visibilitychange', visibilityChanged);
    setInterval(tick, 1000);
    if (sessionStorage.getItem(KEY_STORE)) { showView(); } else { state.route = parseRoute(location.hash); askForKey(false); }
  }

  start();
}());
