/* Session page, "Konfirmasi pihak lokasi": opening WhatsApp from the "Kirim lewat WhatsApp" link (a new tab)
   also records in this tab that the link was sent (the "Sudah dikirim" form), so the state reads
   "Menunggu balasan" without a second click. No inline handlers: the CSP allows none. */
(function () {
  "use strict";
  document.querySelectorAll("[data-mark-sent]").forEach(function (link) {
    link.addEventListener("click", function () {
      var form = document.getElementById(link.getAttribute("data-mark-sent"));
      if (form) { window.setTimeout(function () { form.submit(); }, 300); }
    });
  });
})();
