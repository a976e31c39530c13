/* Jemput Bola service worker: keeps the field pages ("Jadwal saya", the log forms) and their stylesheet
   and script on the phone, so they open with no signal. Served by the `field.service_worker` route,
   which fills in the version, the asset URLs, the page URLs and the offline text.

   - field assets (css/field.css, js/field.js): cache first; a new version comes with a new ?v= URL.
     Installing takes them from the browser's HTTP cache, where the page that registered the worker has
     just put them (versioned URLs are kept for a year): no second download.
   - field pages (/, /jadwal-saya, /jadwal-saya/...): network first (a weak signal gets a few seconds),
     then the copy on the phone, marked so the page says it comes from the phone; a page never seen
     falls back to the cached schedule. A late answer from the network still refreshes the copy.
   - everything else (other pages, the API, posts): untouched. Logs are queued by field.js, not here.
   - pages are kept when a page asks (the page itself and the log forms it lists): the first visit
     downloads each once; a page already kept is refreshed by the next visit to it, not fetched again.
     With no copy of a page, the copy of any schedule ("/" or "/jadwal-saya") stands in.
   - signing out (POST /logout) deletes the cached pages: they belong to the user who signed out. */
"use strict";
var VERSION = "__VERSION__";
var ASSETS = __ASSETS__;
var PAGES = __PAGES__;
var OFFLINE_TEXT = __OFFLINE_TEXT__;
var ASSET_CACHE = "jb-aset-" + VERSION;
var PAGE_CACHE = "jb-halaman";
var NETWORK_TIMEOUT_MS = __PAGE_TIMEOUT_MS__;
var ROOT = new URL(self.registration.scope).pathname;
var ASSET_PATHS = ASSETS.map(function (u) { return new URL(u, self.location.href).pathname; });

function isFieldPage(path) {
  return path === ROOT || path.indexOf(ROOT + "jadwal-saya") === 0;
}

function storePage(cache, url, resp) {
  if (resp && resp.ok && resp.type === "basic" && !resp.redirected &&
      (resp.headers.get("Content-Type") || "").indexOf("text/html") === 0) {
    return cache.put(url, resp);
  }
  return null;
}

function fetchPage(url) {
  return fetch(url, {credentials: "same-origin", redirect: "follow", cache: "no-store"});
}

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(ASSET_CACHE).then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("jb-aset-") === 0 && k !== ASSET_CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function cacheFirst(req) {
  return caches.open(ASSET_CACHE).then(function (cache) {
    return cache.match(req).then(function (hit) {
      if (hit) return hit;
      return fetch(req).then(function (resp) {
        if (resp.ok) cache.put(req, resp.clone());
        return resp;
      }, function () {
        // A page cached with an older version of the asset: any version beats none.
        return cache.match(req, {ignoreSearch: true}).then(function (old) { return old || Response.error(); });
      });
    });
  });
}

// A copy from the phone, with <body data-from-phone="1">: the page shows "from the phone" (field.js).
function fromPhone(resp) {
  if (!resp || !resp.ok) return resp;
  return resp.text().then(function (html) {
    var headers = new Headers(resp.headers);
    headers.delete("Content-Length"); headers.delete("Content-Encoding");
    return new Response(html.replace("<body ", "<body data-from-phone=\"1\" "),
                        {status: resp.status, statusText: resp.statusText, headers: headers});
  });
}

function anySchedule(cache) {
  return PAGES.concat([ROOT]).reduce(function (found, url) {
    return found.then(function (hit) { return hit || cache.match(url); });
  }, Promise.resolve(null));
}

function offlinePage() {
  return caches.open(PAGE_CACHE).then(anySchedule).then(function (hit) {
    return hit || new Response("<!doctype html><meta charset=utf-8><meta name=viewport content=\"width=device-width\">" +
                               "<p style=\"font:18px sans-serif;padding:1rem\">" + OFFLINE_TEXT + "</p>",
                               {status: 503, headers: {"Content-Type": "text/html; charset=utf-8"}});
  });
}

function networkFirst(event, req) {
  var network = fetch(req).then(function (resp) {
    var copy = resp.clone();
    return caches.open(PAGE_CACHE).then(function (cache) { return storePage(cache, req.url, copy); })
      .then(function () { return resp; }, function () { return resp; });
  });
  event.waitUntil(network.catch(function () { return null; }));
  var timeout = new Promise(function (resolve, reject) {
    setTimeout(function () { reject(new Error("timeout")); }, NETWORK_TIMEOUT_MS);
  });
  return Promise.race([network, timeout]).catch(function () {
    return caches.open(PAGE_CACHE).then(function (cache) {
      return cache.match(req.url).then(function (hit) { return hit || cache.match(req.url, {ignoreSearch: true}); });
    }).then(function (hit) { return hit || offlinePage(); }).then(fromPhone);
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.method !== "GET") {
    if (req.method === "POST" && url.pathname === ROOT + "logout") event.waitUntil(caches.delete(PAGE_CACHE));
    return;
  }
  if (ASSET_PATHS.indexOf(url.pathname) >= 0) {
    event.respondWith(cacheFirst(req));
  } else if (req.mode === "navigate" && isFieldPage(url.pathname)) {
    event.respondWith(networkFirst(event, req));
  }
});

// A page's own HTML, handed over by the page (its first visit came before this worker): kept as is.
function keepOwnCopy(cache, page) {
  if (!page || typeof page.html !== "string" || typeof page.url !== "string") return Promise.resolve(null);
  var url = new URL(page.url, self.location.href);
  if (url.origin !== self.location.origin || !isFieldPage(url.pathname)) return Promise.resolve(null);
  return cache.match(url.pathname).then(function (hit) {
    return hit || cache.put(url.pathname, new Response(page.html, {headers: {"Content-Type": "text/html; charset=utf-8"}}));
  });
}

// The schedule page sends the log forms of its sessions: keep the ones not on the phone yet.
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "cache-pages") return;
  var urls = (data.urls || []).filter(function (u) {
    if (typeof u !== "string") return false;
    var url = new URL(u, self.location.href);
    return url.origin === self.location.origin && isFieldPage(url.pathname);
  });
  event.waitUntil(caches.open(PAGE_CACHE).then(function (cache) {
    return keepOwnCopy(cache, data.page).then(function () { return cache; });
  }).then(function (cache) {
    return Promise.all(urls.map(function (u) {
      return cache.match(u).then(function (hit) {
        return hit || fetchPage(u).then(function (resp) { return storePage(cache, u, resp); });
      }).catch(function () { return null; });
    }));
  }).then(function () {
    if (event.source) event.source.postMessage({type: "cached", count: urls.length});
  }));
});
