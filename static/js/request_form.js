/* Public request pages: the desa chooser (kabupaten → kecamatan → desa filled from /permohonan/wilayah),
   "Pakai lokasi saya sekarang", "Salin kode" and "Cetak poster". Without it the pages still work: the
   chooser's "Tampilkan" buttons re-render the form with the next list. No library, no inline handlers. */
(function () {
  "use strict";
  var form = document.getElementById("pb-form");

  function each(selector, fn) { Array.prototype.forEach.call(document.querySelectorAll(selector), fn); }
  each(".pb-nojs", function (el) { el.hidden = true; });
  each(".pb-jsonly", function (el) { el.hidden = false; });

  function fill(select, items, text) {
    select.innerHTML = "";
    var first = document.createElement("option");
    first.value = "";
    first.textContent = text;
    select.appendChild(first);
    (items || []).forEach(function (item) {
      var opt = document.createElement("option");
      opt.value = item.kode;
      opt.textContent = item.nama;
      select.appendChild(opt);
    });
    select.disabled = !items || !items.length;
  }

  function chooser() {
    var base = form.getAttribute("data-regions");
    var choose = form.getAttribute("data-choose");
    var order = ["kabupaten", "kecamatan", "desa_kode"];
    order.forEach(function (id, index) {
      var select = document.getElementById(id);
      if (!select || index === order.length - 1) { return; }
      select.addEventListener("change", function () {
        var below = order.slice(index + 1).map(function (name) { return document.getElementById(name); });
        below.forEach(function (s) { fill(s, [], choose); });
        if (!select.value) { return; }
        var next = below[0];
        fill(next, [], form.getAttribute("data-loading"));
        fetch(base + "?induk=" + encodeURIComponent(select.value), { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (items) { fill(next, items, choose); next.focus(); })
          .catch(function () { fill(next, [], form.getAttribute("data-load-fail")); });
      });
    });
  }

  function geolocation() {
    var button = document.getElementById("pb-geo");
    var status = document.getElementById("pb-geo-status");
    if (!button) { return; }
    button.addEventListener("click", function () {
      if (!navigator.geolocation) { status.textContent = form.getAttribute("data-geo-none"); return; }
      status.textContent = form.getAttribute("data-geo-wait");
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
        status.textContent = form.getAttribute("data-geo-ok");
      }, function () {
        status.textContent = form.getAttribute("data-geo-fail");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function copy() {
    var button = document.getElementById("pb-copy");
    if (!button) { return; }
    var input = document.getElementById(button.getAttribute("data-target"));
    var status = document.getElementById("pb-copy-status");
    button.addEventListener("click", function () {
      input.select();
      var done = function () { status.textContent = button.getAttribute("data-done"); };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(input.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  }

  var print = document.getElementById("pb-print");
  if (print) { print.addEventListener("click", function () { window.print(); }); }
  if (form) { chooser(); geolocation(); }
  copy();
})();
