// Site list: choosing a kecamatan reloads the list so the desa filter offers that kecamatan's desa.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      var dependent = select.form.elements[select.dataset.autosubmit];
      if (dependent) { dependent.value = ""; }
      select.form.submit();
    });
  });
})();
