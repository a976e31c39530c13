// Planning pages: copy buttons (announcement text, calendar link) and small form helpers.
(function () {
  "use strict";

  // Copy the value/text of the element named by data-copy-target; fall back to selecting it so the
  // user can press Ctrl+C / long-press when the Clipboard API is unavailable (plain http, old phones).
  function copyFrom(button) {
    var target = document.getElementById(button.getAttribute("data-copy-target"));
    if (!target) { return; }
    var text = "value" in target ? target.value : target.textContent;
    var done = function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "OK";
      button.classList.add("active");
      window.setTimeout(function () { button.textContent = label; button.classList.remove("active"); }, 2000);
    };
    var fallback = function () {
      if (target.select) { target.focus(); target.select(); }
      else {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      if (ok) { done(); }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, fallback);
    } else {
      fallback();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (button) { event.preventDefault(); copyFrom(button); }
    var printer = event.target.closest("[data-print]");
    if (printer) { event.preventDefault(); window.print(); }
  });

  // Filters: choosing a kecamatan reloads the page so the desa filter offers that kecamatan's desa.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var dependent = select.form.elements[select.dataset.autosubmit];
      if (dependent) { dependent.value = ""; }
      select.form.submit();
    });
  });

  // Session page: open the status form named in the URL hash or by the server (after an error).
  var open = document.querySelector("[data-open-action]");
  if (open && window.bootstrap) {
    var el = document.getElementById("aksi-" + open.getAttribute("data-open-action"));
    if (el) { new window.bootstrap.Collapse(el, { toggle: false }).show(); el.scrollIntoView({ block: "center" }); }
  }
})();
