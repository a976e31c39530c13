/* A form with data-confirm="question" asks the question before it is sent; "Batal" keeps it unsent.
   Loaded by every page of templates/base.html: the Content Security Policy allows no inline
   handlers such as onsubmit="return confirm(...)". */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
