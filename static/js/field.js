/* Field pages: offline queue of turnout logs, the log form (live sums, checks, server errors, conflicts),
   per-session "belum terkirim / terkirim" states on the schedule, and the service worker's registration.

   A log is first written to the phone (localStorage, one queue per user), then sent to the API with an
   Idempotency-Key made on the phone and kept with the queued log: a retry reuses the key, so a log
   sent twice is stored once. Sending is tried at once, when the signal returns ("online"), on every
   page load, again after a short and growing pause while something waits (a few seconds first, a
   minute at most), and with the "Kirim sekarang" button. */
(function () {
  "use strict";
  // The page as the server sent it, before this script changes anything: the service worker keeps it
  // for offline use instead of downloading it a second time.
  var OWN_HTML = document.doctype ? "<!doctype html>\n" + document.documentElement.outerHTML : "";
  var body = document.body;
  // A page that answered a POST in place of a redirect (the login's answer is the team's home page)
  // takes its own address, so a reload or the service worker's copy is the page, not the login.
  if (body.dataset.canonical && location.pathname !== body.dataset.canonical && window.history &&
      history.replaceState) {
    history.replaceState(null, "", body.dataset.canonical);
  }
  var M = readJson("fb-messages") || {};
  var API = body.dataset.api || "/api/v1";
  var QKEY = "jb.antrian." + (body.dataset.user || "0");
  var KEEP_SENT_MS = 7 * 24 * 3600 * 1000;
  // A weak signal may take long to answer a log the server stores: wait for it (settings of the page).
  var SEND_TIMEOUT_MS = (+body.dataset.sendTimeout || 60) * 1000;
  var RETRY_FIRST_MS = (+body.dataset.retry || 5) * 1000, RETRY_MAX_MS = 60000;
  var MAX_COUNT = 10000;
  var STATE_TEXT = {none: M.stateNone, pending: M.statePending, sent: M.stateSent, invalid: M.stateInvalid,
                    conflict: M.stateConflict};

  function $(id) { return document.getElementById(id); }
  function readJson(id) { var el = $(id); try { return el ? JSON.parse(el.textContent) : null; } catch (e) { return null; } }
  function fmt(text, vars) {
    return String(text || "").replace(/\{(\w+)\}/g, function (m, k) { return k in vars ? vars[k] : m; });
  }

  /* ------------------------------------------------------------ the queue on the phone */
  function loadQueue() {
    try { return JSON.parse(localStorage.getItem(QKEY)) || {}; } catch (e) { return {}; }
  }
  function saveQueue(q) {
    try { localStorage.setItem(QKEY, JSON.stringify(q)); } catch (e) { /* storage full: the page keeps it */ }
  }
  function getItem(sid) { return loadQueue()[sid] || null; }
  function putItem(item) { var q = loadQueue(); q[item.sid] = item; saveQueue(q); }
  function dropItem(sid) { var q = loadQueue(); delete q[sid]; saveQueue(q); }
  // Store a send's result only if the queued log is still the one that was sent (not edited meanwhile).
  function storeResult(item) {
    var q = loadQueue();
    if (q[item.sid] && q[item.sid].key === item.key) { q[item.sid] = item; saveQueue(q); }
  }
  function prune() {
    var q = loadQueue(), now = Date.now(), changed = false;
    Object.keys(q).forEach(function (sid) {
      if (q[sid].state === "sent" && now - (q[sid].sentAt || 0) > KEEP_SENT_MS) { delete q[sid]; changed = true; }
    });
    if (changed) saveQueue(q);
  }

  function newKey() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* ------------------------------------------------------------ talking to the API */
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute("content") : "";
  }
  function refreshToken() {
    return fetch(body.dataset.schedule, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      return r.text();
    }).then(function (html) {
      var m = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
      var meta = document.querySelector('meta[name="csrf-token"]');
      if (m && meta) meta.setAttribute("content", m[1]);
      return !!m;
    }).catch(function () { return false; });
  }
  function request(method, url, payload, key) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, SEND_TIMEOUT_MS) : null;
    var headers = {"Accept": "application/json", "X-CSRFToken": csrfToken()};
    if (payload !== undefined) headers["Content-Type"] = "application/json";
    if (key) headers["Idempotency-Key"] = key;
    return fetch(url, {method: method, credentials: "same-origin", headers: headers, cache: "no-store",
                       body: payload === undefined ? undefined : JSON.stringify(payload),
                       signal: ctrl ? ctrl.signal : undefined})
      .then(function (resp) {
        return resp.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          return {status: resp.status, data: data};
        });
      })
      .finally(function () { if (timer) clearTimeout(timer); });
  }
  // Where to sign in again: this page's login link (back here afterwards), else the one the API gave.
  function loginUrl(item) { return body.dataset.login || (item && item.loginUrl) || "/login"; }
  function logUrl(sid) { return API + "/sessions/" + sid + "/turnout"; }
  function fetchCurrent(sid) {
    return request("GET", logUrl(sid)).then(function (r) { return r.status === 200 ? unwrap(r.data) : null; })
      .catch(function () { return null; });
  }
  // The log of an answer: the body itself, or its "log" / "current" member.
  function unwrap(data) {
    if (!data) return null;
    if (data.recorded) return data;
    return data.current || data.log || null;
  }

  function send(item, retried) {
    item = Object.assign({}, item);
    return request(item.method, logUrl(item.sid), item.body, item.key).then(function (r) {
      var data = r.data || {};
      item.tries = (item.tries || 0) + 1;
      item.auth = r.status === 401;
      if (r.status === 200 || r.status === 201) {
        item.state = "sent"; item.server = unwrap(data); item.sentAt = Date.now();
        item.errors = null; item.message = ""; item.other = null;
        return item;
      }
      if (r.status === 422) {
        item.state = "invalid"; item.errors = data.errors || {}; item.message = data.message || "";
        return item;
      }
      if (r.status === 409) {
        var other = unwrap(data);
        return (other ? Promise.resolve(other) : fetchCurrent(item.sid)).then(function (current) {
          if (current && sameContent(item.body, current)) {
            // The server already holds exactly these values (an earlier send got through): sent.
            item.state = "sent"; item.server = current; item.sentAt = Date.now(); item.message = "";
          } else {
            item.state = "conflict"; item.other = current; item.message = data.message || "";
          }
          return item;
        });
      }
      if (r.status === 401) { item.state = "pending"; item.message = M.authNeeded; item.loginUrl = data.login_url; return item; }
      if (r.status === 403 && data.password_change_required) {
        // Kept for later: it goes out once the user has chosen a new password.
        item.state = "pending"; item.message = data.message || M.authNeeded; return item;
      }
      // An expired CSRF token (a page from the phone's cache) is the one 400 worth sending again; a 400
      // that is not our JSON (a proxy's) is treated the same way.
      var csrf = r.status === 400 && (!r.data || !data.message || !!(data.errors && data.errors.csrf_token));
      if (csrf && !retried) {
        // Fetch a new token, once.
        return refreshToken().then(function (ok) {
          if (ok) return send(item, true);
          item.state = "pending"; item.message = M.csrf; return item;
        });
      }
      if (r.status >= 500 || r.status === 408 || r.status === 429 || csrf) {
        item.state = "pending"; item.message = csrf ? M.csrf : M.noSignal; return item;
      }
      // Any other answer (4xx) is the server refusing this log as it is: kept on the phone, shown with
      // the server's message, and not sent again until the team corrects it.
      item.state = "invalid"; item.errors = data.errors || {};
      item.message = fmt(M.refused, {message: data.message || ("HTTP " + r.status)});
      return item;
    }, function () {
      item.state = "pending"; item.message = M.noSignal;
      return item;
    });
  }

  var flushing = null, flushAgain = false;
  // Send every queued log, one after the other. Asked again while sending (the signal came back
  // during a send that was failing), it goes once more afterwards.
  function flush() {
    if (flushing) { flushAgain = true; return flushing; }
    var q = loadQueue();
    var waiting = Object.keys(q).filter(function (sid) { return q[sid].state === "pending"; });
    flushing = waiting.reduce(function (chain, sid) {
      return chain.then(function () {
        var item = getItem(sid);
        if (!item || item.state !== "pending") return null;
        return send(item).then(function (result) { storeResult(result); emit(result); });
      });
    }, Promise.resolve()).catch(function () { return null; }).then(function () {
      flushing = null;
      refresh();
      if (flushAgain) { flushAgain = false; return flush(); }
      scheduleRetry();
      return null;
    });
    return flushing;
  }

  // The next try of what still waits (not what waits for a sign-in): soon, then less often.
  var retryMs = 0, retryTimer = null;
  function scheduleRetry() {
    var q = loadQueue();
    var waiting = Object.keys(q).some(function (sid) { return q[sid].state === "pending" && !q[sid].auth; });
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (!waiting) { retryMs = 0; return; }
    if (navigator.onLine === false) return;  // the "online" event sends it
    retryMs = retryMs ? Math.min(retryMs * 2, RETRY_MAX_MS) : RETRY_FIRST_MS;
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryMs);
  }

  var listeners = [];
  function emit(item) { listeners.forEach(function (fn) { fn(item); }); }

  /* ------------------------------------------------------------ values of a log */
  var FAMILIES = ["recorded", "recorded_by_sex", "not_recorded", "away"];
  function sameContent(a, b) {
    if (!a || !b) return false;
    for (var i = 0; i < FAMILIES.length; i++) {
      var fa = a[FAMILIES[i]] || {}, fb = b[FAMILIES[i]] || {};
      var keys = Object.keys(fa).concat(Object.keys(fb));
      for (var j = 0; j < keys.length; j++) if ((+fa[keys[j]] || 0) !== (+fb[keys[j]] || 0)) return false;
    }
    if (String(a.notes || "").trim() !== String(b.notes || "").trim()) return false;
    var ka = (a.kit_ids || []).map(Number).sort().join(","), kb = (b.kit_ids || []).map(Number).sort().join(",");
    if (ka !== kb) return false;
    return sameMoment(a.started_at, b.started_at) && sameMoment(a.ended_at, b.ended_at);
  }
  function sameMoment(x, y) {
    var a = Date.parse(x), b = Date.parse(y);
    return isNaN(a) || isNaN(b) ? x === y : a === b;
  }

  /* ------------------------------------------------------------ schedule page */
  function stateOf(sid, serverState) {
    var item = getItem(sid);
    if (item) return item.state;
    return serverState || "none";
  }
  function refresh() {
    var q = loadQueue();
    document.querySelectorAll("[data-state-for]").forEach(function (el) {
      var state = stateOf(el.dataset.stateFor, el.dataset.serverState);
      el.dataset.state = state;
      el.textContent = STATE_TEXT[state] || state;
    });
    var pending = Object.keys(q).filter(function (sid) { return q[sid].state === "pending"; }).length;
    var bar = $("fb-sync");
    if (bar) {
      bar.hidden = pending === 0;
      $("fb-sync-text").textContent = fmt(M.pendingCount, {n: pending});
      showWhyPending(q);
    }
    revealLogLinks();
  }
  // Why the queue did not go: a sign-in that ended comes with a link to sign in again.
  function showWhyPending(q) {
    var why = $("fb-sync-why"), link = $("fb-sync-login");
    if (!why) return;
    var items = Object.keys(q).map(function (sid) { return q[sid]; }).filter(function (i) { return i.state === "pending"; });
    var auth = items.filter(function (i) { return i.auth; })[0];
    var tried = items.filter(function (i) { return i.message; })[0];
    why.textContent = auth ? auth.message : (tried ? tried.message : "");
    why.hidden = !why.textContent;
    if (link) { link.hidden = !auth; link.href = loginUrl(auth); }
  }
  function officeNow() {
    // The office's wall-clock time as a Date whose local fields read like it (from the form's offset).
    var form = $("fb-log"), tz = (form && form.dataset.tz) || body.dataset.tz || "+07:00";
    var m = /([+-])(\d\d):(\d\d)/.exec(tz), offset = m ? (m[1] === "-" ? -1 : 1) * (+m[2] * 60 + +m[3]) : 420;
    return new Date(Date.now() + (offset + new Date().getTimezoneOffset()) * 60000);
  }
  function localInput(d) {
    function p(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes());
  }
  function revealLogLinks() {
    var now = localInput(officeNow());
    document.querySelectorAll("[data-log-link][hidden]").forEach(function (a) {
      var card = a.closest("[data-starts]");
      if (card && card.dataset.starts <= now) a.hidden = false;
    });
  }

  function initSchedule() {
    var send = $("fb-send-now");
    if (send) send.addEventListener("click", function () { send.disabled = true; flush().then(function () { send.disabled = false; }); });
    document.querySelectorAll("[data-copy]").forEach(function (btn) {
      btn.addEventListener("click", function () {
        var pre = document.querySelector('[data-announcement="' + btn.dataset.copy + '"]');
        if (!pre) return;
        var done = function () { btn.textContent = M.copied; };
        if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(pre.textContent).then(done, function () {});
        else { var r = document.createRange(); r.selectNodeContents(pre); var s = getSelection(); s.removeAllRanges(); s.addRange(r); }
      });
    });
  }

  /* ------------------------------------------------------------ the log form */
  function initForm(form) {
    var sid = form.dataset.session;
    var data = readJson("fb-log-data") || {};
    var tz = form.dataset.tz || "+07:00";
    var statusBox = $("fb-status"), conflictBox = $("fb-conflict");
    var confirmBox = $("fb-confirm"), confirmInput = $("f-confirm");
    var base = data.log || null;
    var queued = getItem(sid);
    if (queued && queued.state === "sent" && queued.server &&
        (!base || (queued.server.version || 0) > (base.version || 0))) base = queued.server;
    var mode = base ? "PATCH" : "POST";
    var version = base ? base.version : null;

    function inputs(sel) { return Array.prototype.slice.call(form.querySelectorAll(sel)); }
    var countInputs = inputs("[data-count]");
    // A correction may say why (kept in the log's history); a first log has no reason.
    function showReason() { var box = $("fb-reason-box"); if (box) box.hidden = mode !== "PATCH"; }

    function isoToInput(iso) {
      var t = Date.parse(iso);
      if (isNaN(t)) return "";
      var m = /([+-])(\d\d):(\d\d)/.exec(tz), off = m ? (m[1] === "-" ? -1 : 1) * (+m[2] * 60 + +m[3]) : 420;
      var d = new Date(t + (off + new Date(t).getTimezoneOffset()) * 60000);
      return localInput(d);
    }
    function fill(values) {
      countInputs.forEach(function (el) {
        var fam = values[el.dataset.count] || {};
        var v = fam[el.dataset.key];
        el.value = v && +v !== 0 ? String(v) : "";
      });
      var local = values._local || {};
      form.elements.started_at.value = local.started_at || inputFromSent(values.started_at) || form.elements.started_at.value;
      form.elements.ended_at.value = local.ended_at || inputFromSent(values.ended_at) || form.elements.ended_at.value;
      var kits = (values.kit_ids || []).map(String);
      inputs('input[name="kit_ids"]').forEach(function (el) { el.checked = kits.indexOf(el.value) >= 0; });
      form.elements.notes.value = values.notes || "";
      if (form.elements.reason) form.elements.reason.value = values.reason || "";
      if (confirmInput) confirmInput.checked = !!(values.confirm_over_capacity || values.over_capacity_confirmed);
      update();
    }
    function inputFromSent(v) {
      if (!v) return "";
      var m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d)(:\d\d(\.\d+)?)?([+-]\d\d:\d\d|Z)?$/.exec(v);
      if (m && m[4] === tz) return m[1];
      return isoToInput(v);
    }

    function count(el) {
      var raw = el.value.trim();
      if (raw === "") return 0;
      return /^\d+$/.test(raw) ? parseInt(raw, 10) : NaN;
    }
    function sumOf(group) {
      return countInputs.filter(function (el) { return el.dataset.count === group; })
        .reduce(function (s, el) { var n = count(el); return s + (isNaN(n) ? 0 : n); }, 0);
    }
    function sexValue(key) {
      var el = form.querySelector('[data-count="recorded_by_sex"][data-key="' + key + '"]');
      var n = el ? count(el) : 0; return isNaN(n) ? 0 : n;
    }
    function hoursWorked(start, end) {
      var s = new Date(start), e = new Date(end);
      var elapsed = (e - s) / 3600000;
      var days = Math.round((Date.UTC(e.getFullYear(), e.getMonth(), e.getDate()) -
                             Date.UTC(s.getFullYear(), s.getMonth(), s.getDate())) / 86400000) + 1;
      if (days <= 1) return Math.max(elapsed, 0);
      var daily = (e.getHours() * 60 + e.getMinutes() - s.getHours() * 60 - s.getMinutes()) / 60;
      return daily > 0 ? days * daily : Math.max(elapsed, 0);
    }
    function capacity() {
      var kits = inputs('input[name="kit_ids"]:checked').length;
      var start = form.elements.started_at.value, end = form.elements.ended_at.value;
      if (!start || !end) return null;
      var hours = hoursWorked(start, end);
      var rate = parseFloat(form.dataset.capacityPerKitHour) || 12, tol = parseFloat(form.dataset.tolerance) || 1;
      return {kits: kits, hours: Math.round(hours * 10) / 10, limit: Math.floor(kits * hours * rate * tol + 1e-9)};
    }

    function clearErrors() {
      inputs("[data-error-for]").forEach(function (el) { el.textContent = ""; });
      inputs("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    }
    function showError(key, message) {
      var el = form.querySelector('[data-error-for="' + key + '"]');
      if (!el && key.indexOf(".") > 0) el = form.querySelector('[data-error-for="' + key.split(".")[0] + '"]');
      if (!el) el = form.querySelector('[data-error-for="_general"]');
      el.textContent = el.textContent ? el.textContent + " " + message : message;
      var input = form.querySelector('[name="' + key + '"]');
      if (input) input.setAttribute("aria-invalid", "true");
      if (key === "confirm_over_capacity") confirmBox.hidden = false;
    }
    function showErrors(errors) {
      Object.keys(errors || {}).forEach(function (k) {
        showError(k === "_" || k === "session" || k === "version" ? "_general" : k, errors[k]);
      });
    }

    // Checks on the phone, with the same rules as the server (which has the last word).
    function check() {
      var errors = {};
      countInputs.forEach(function (el) {
        var n = count(el);
        if (isNaN(n)) errors[el.name] = M.notInt;
        else if (n > MAX_COUNT) errors[el.name] = M.tooBig;
      });
      var total = sumOf("recorded"), sex = sexValue("L") + sexValue("P");
      if (sex !== total) errors.recorded_by_sex = fmt(M.sexMismatch, {sex: sex, total: total});
      var start = form.elements.started_at.value, end = form.elements.ended_at.value;
      if (!start) errors.started_at = M.timeMissing;
      if (!end) errors.ended_at = M.timeMissing;
      if (start && end && end <= start) errors.ended_at = M.timeOrder;
      else if (end && new Date(end) > new Date(officeNow().getTime() + 15 * 60000)) errors.ended_at = M.endFuture;
      if (total > 0 && !inputs('input[name="kit_ids"]:checked').length) errors.kit_ids = M.kitsMissing;
      var cap = capacity();
      if (!Object.keys(errors).length && cap && total > cap.limit) {
        confirmBox.hidden = false;
        $("fb-confirm-text").textContent = fmt(M.overCapacity, {total: total, capacity: cap.limit, kits: cap.kits,
                                                                 hours: String(cap.hours).replace(".", ",")});
        if (!confirmInput.checked) errors.confirm_over_capacity = $("fb-confirm-text").textContent;
      }
      return errors;
    }
    function update() {
      var total = sumOf("recorded"), l = sexValue("L"), p = sexValue("P");
      var sum = $("fb-sum");
      sum.textContent = fmt(M.sumLine, {total: total, l: l, p: p});
      sum.classList.toggle("fb-bad", l + p !== total);
      if (l + p === total) form.querySelector('[data-error-for="recorded_by_sex"]').textContent = "";
    }

    function collect() {
      var out = {recorded: {}, recorded_by_sex: {}, not_recorded: {}, away: {}};
      countInputs.forEach(function (el) { out[el.dataset.count][el.dataset.key] = count(el); });
      out.started_at = form.elements.started_at.value + ":00" + tz;
      out.ended_at = form.elements.ended_at.value + ":00" + tz;
      out.kit_ids = inputs('input[name="kit_ids"]:checked').map(function (el) { return parseInt(el.value, 10); });
      out.notes = form.elements.notes.value.trim();
      out.confirm_over_capacity = !!(confirmInput && confirmInput.checked && !confirmBox.hidden);
      if (mode === "PATCH") {
        out.version = version;
        var reason = form.elements.reason ? form.elements.reason.value.trim() : "";
        if (reason) out.reason = reason;
      }
      return out;
    }

    function showStatus(item) {
      statusBox.hidden = false;
      statusBox.dataset.state = item.state;
      var text = {pending: M.queued, sent: M.sent, invalid: M.invalid, conflict: M.conflict}[item.state] || "";
      if (item.state === "pending" && item.message && item.message !== M.noSignal) text += " " + item.message;
      var fieldErrors = Object.keys(item.errors || {}).length;
      if (item.state === "invalid" && item.message && !fieldErrors) text += " " + item.message;
      statusBox.textContent = text;
      showNear(item.state, nearText(item), item.auth ? loginUrl(item) : "");
      var label = document.createElement("strong");
      label.textContent = " (" + (STATE_TEXT[item.state] || item.state) + ")";
      label.setAttribute("data-testid", "log-state");
      statusBox.appendChild(label);
      if (item.state === "sent" || item.state === "pending") {
        var back = document.createElement("a");
        back.href = body.dataset.schedule; back.textContent = " \u2190 " + (M.back || "");
        back.className = "fb-back-link";
        statusBox.appendChild(document.createElement("br"));
        statusBox.appendChild(back);
      }
    }
    // The line under "Simpan log": the result where the officer's thumb is (the box above has the details).
    function showNear(state, text, signInHref) {
      var near = $("fb-submit-status");
      if (!near) return;
      near.dataset.state = state;
      near.textContent = text || "";
      if (signInHref) {
        var link = document.createElement("a");
        link.href = signInHref; link.textContent = M.signInAgain; link.setAttribute("data-testid", "sign-in-again");
        near.appendChild(document.createTextNode(" \u00b7 "));
        near.appendChild(link);
      }
    }
    function nearText(item) {
      return {pending: M.nearQueued, sent: M.nearSent, invalid: M.nearInvalid, conflict: M.nearConflict}[item.state] || "";
    }
    // A result that needs the officer's eyes elsewhere brings it into view; the others leave the page still.
    function bringIntoView(item) {
      var target = item.state === "conflict" ? conflictBox :
        item.state === "invalid" ? form.querySelector('[aria-invalid="true"]') || form.querySelector(".fb-err:not(:empty)") : null;
      if (target && target.scrollIntoView) target.scrollIntoView({block: "center"});
    }
    function showConflict(item) {
      var other = item.other;
      conflictBox.hidden = !other;
      if (!other) return;
      conflictBox.textContent = "";
      var table = document.createElement("table");
      function row(label, theirs, yours) {
        var tr = table.insertRow(), differ = String(theirs) !== String(yours);
        [label, theirs, yours].forEach(function (t, i) {
          var c = tr.insertCell(); c.textContent = t; if (i && differ) c.className = "fb-diff"; });
      }
      var head = table.insertRow();
      ["", M.theirs, M.yours].forEach(function (t) { var th = document.createElement("th"); th.textContent = t; head.appendChild(th); });
      (data.labels || []).forEach(function (family) {
        family[1].forEach(function (pair) {
          var a = (other[family[0]] || {})[pair[0]] || 0, b = (item.body[family[0]] || {})[pair[0]] || 0;
          if (a || b) row(pair[1], a, b);
        });
      });
      [["started_at", M.start], ["ended_at", M.end]].forEach(function (pair) {
        var a = inputFromSent(other[pair[0]]), b = inputFromSent(item.body[pair[0]]);
        if (a !== b) row(pair[1], a.replace("T", " "), b.replace("T", " "));
      });
      if ((other.notes || "") || (item.body.notes || "")) row(M.notes, other.notes || "", item.body.notes || "");
      conflictBox.appendChild(table);
      var mine = document.createElement("button");
      mine.type = "button"; mine.className = "fb-btn fb-btn-primary"; mine.textContent = M.useMine;
      mine.setAttribute("data-testid", "use-mine");
      mine.addEventListener("click", function () {
        mode = "PATCH"; version = other.version; conflictBox.hidden = true; submit();
      });
      var theirs = document.createElement("button");
      theirs.type = "button"; theirs.className = "fb-btn fb-btn-light"; theirs.textContent = M.useTheirs;
      theirs.setAttribute("data-testid", "use-theirs");
      theirs.addEventListener("click", function () {
        dropItem(sid); mode = "PATCH"; version = other.version; base = other;
        fill(other); conflictBox.hidden = true; statusBox.hidden = true; clearErrors(); showReason();
      });
      var actions = document.createElement("div");
      actions.className = "fb-actions";
      actions.appendChild(mine); actions.appendChild(theirs);
      conflictBox.appendChild(actions);
    }
    function showResult(item) {
      clearErrors();
      showStatus(item);
      if (item.state === "invalid") showErrors(item.errors);
      showConflict(item);
      if (item.state === "sent" && item.server) {
        mode = "PATCH"; version = item.server.version; base = item.server;
        if (form.elements.reason) form.elements.reason.value = "";
      }
      showReason();
      refresh();
    }

    var submitting = false;
    function submit() {
      if (submitting) return;
      clearErrors();
      var errors = check();
      if (Object.keys(errors).length) {
        showErrors(errors);
        var first = form.querySelector('[aria-invalid="true"]') || form.querySelector(".fb-err:not(:empty)");
        if (first && first.focus) first.focus();
        if (first && first.scrollIntoView) first.scrollIntoView({block: "center"});
        return;
      }
      var payload = collect();
      var prev = getItem(sid);
      var sameAsQueued = prev && prev.state === "pending" && prev.method === mode &&
        JSON.stringify(prev.body) === JSON.stringify(payload);
      var item = {sid: sid, method: mode, key: sameAsQueued ? prev.key : newKey(), body: payload,
                  state: "pending", savedAt: Date.now(), message: ""};
      putItem(item);
      submitting = true;
      $("fb-submit").disabled = true;
      statusBox.hidden = false; statusBox.dataset.state = "pending"; statusBox.textContent = M.saving;
      showNear("pending", M.saving);
      send(item).then(function (result) {
        storeResult(result);
        showResult(result);
        bringIntoView(result);
        scheduleRetry();
      }).finally(function () { submitting = false; $("fb-submit").disabled = false; });
    }

    form.addEventListener("input", function (ev) {
      update();
      var el = ev.target;
      // An edited field loses its old message (the checks run again on "Simpan log").
      var own = el.name && form.querySelector('[data-error-for="' + el.name + '"]');
      if (own) own.textContent = "";
      el.removeAttribute("aria-invalid");
      if (el.dataset && el.dataset.count) {
        var n = count(el), holder = form.querySelector('[data-error-for="' + el.name + '"]');
        var msg = isNaN(n) ? M.notInt : (n > MAX_COUNT ? M.tooBig : "");
        if (holder) holder.textContent = msg;
        if (msg) el.setAttribute("aria-invalid", "true"); else el.removeAttribute("aria-invalid");
      }
    });
    form.addEventListener("submit", function (ev) { ev.preventDefault(); submit(); });
    listeners.push(function (item) { if (String(item.sid) === String(sid)) showResult(item); });

    if (queued && queued.state !== "sent") {
      fill(queued.body);
      mode = queued.method; version = queued.body.version || version;
      showResult(queued);
    } else if (base) {
      fill(base);
      if (queued && queued.state === "sent") showStatus(queued);
    } else {
      var now = localInput(officeNow());
      if (form.elements.ended_at.value > now && form.elements.started_at.value < now) form.elements.ended_at.value = now;
      update();
    }
    showReason();
  }

  /* ------------------------------------------------------------ offline support */
  // The banner says when the page came from the phone: with no signal, or because the signal was too weak
  // to bring it in time (the service worker marks such a page).
  function setOnline() {
    var banner = $("fb-offline"), offline = navigator.onLine === false;
    if (!banner) return;
    banner.hidden = !offline && !body.dataset.fromPhone;
    banner.textContent = offline ? M.offlineBanner : M.weakSignal;
  }
  function registerWorker() {
    if (!("serviceWorker" in navigator) || !body.dataset.sw) return;
    navigator.serviceWorker.register(body.dataset.sw, {scope: "/"}).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "cached" && $("fb-ready")) $("fb-ready").hidden = false;
    });
    var urls = readJson("fb-cache");
    navigator.serviceWorker.ready.then(function (reg) {
      var worker = reg.active || navigator.serviceWorker.controller;
      if (worker) worker.postMessage({type: "cache-pages", urls: [location.pathname].concat(urls || []),
                                      page: body.dataset.fromPhone ? null : {url: location.pathname, html: OWN_HTML}});
    });
  }

  window.addEventListener("online", function () { setOnline(); retryMs = 0; flush(); });
  window.addEventListener("offline", setOnline);
  window.addEventListener("storage", function (ev) { if (ev.key === QKEY) refresh(); });
  setOnline();
  prune();
  if (body.dataset.page === "schedule") initSchedule();
  var form = $("fb-log");
  if (form) initForm(form);
  refresh();
  registerWorker();
  flush();
  setInterval(function () {
    revealLogLinks();
    var q = loadQueue();
    if (Object.keys(q).some(function (sid) { return q[sid].state === "pending"; })) flush();
  }, 60000);
  window.jbField = {flush: flush, queue: loadQueue};
})();
