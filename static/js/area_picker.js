/* Stepwise area pickers (templates/_macros/area_picker.html): choosing a kabupaten fills the kecamatan
   list from /wilayah/pilihan?induk=<kode> (the user's scope only), a kecamatan its desa, and empties the
   lists below. Without JavaScript the "Tampilkan" buttons re-render the form with the next list. */
(function () {
  "use strict";

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

  document.querySelectorAll(".area-picker").forEach(function (picker) {
    picker.querySelectorAll(".area-nojs").forEach(function (button) { button.hidden = true; });
    var steps = Array.prototype.slice.call(picker.querySelectorAll("select[data-area-step]"));
    var url = picker.getAttribute("data-area-url");
    steps.forEach(function (select, index) {
      if (index === steps.length - 1) { return; }
      select.addEventListener("change", function () {
        var below = steps.slice(index + 1);
        below.forEach(function (s) { fill(s, [], s.getAttribute("data-blank")); });
        if (!select.value) { return; }
        var next = below[0];
        fill(next, [], picker.getAttribute("data-loading"));
        fetch(url + "?induk=" + encodeURIComponent(select.value), { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (items) {
            fill(next, items, next.getAttribute("data-blank"));
            next.dispatchEvent(new Event("change", { bubbles: true }));
          })
          .catch(function () {
            fill(next, [], picker.getAttribute("data-load-fail"));
            picker.querySelectorAll(".area-nojs").forEach(function (button) { button.hidden = false; });
          });
      });
    });
  });
})();
