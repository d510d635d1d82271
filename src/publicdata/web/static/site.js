/* Small progressive enhancements; every page works without this file. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.copy");
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) { return; }
    navigator.clipboard.writeText(source.innerText).then(function () {
      var text = button.textContent; button.textContent = "✓";
      setTimeout(function () { button.textContent = text; }, 1500);
    });
  });
  // Upload with a progress bar (XHR); without JavaScript the form posts normally.
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var bar = document.getElementById(form.getAttribute("data-progress"));
      if (!bar || !window.XMLHttpRequest || !window.FormData) { return; }
      event.preventDefault();
      bar.hidden = false;
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      });
      xhr.addEventListener("load", function () {
        bar.value = 100;
        window.location.assign(xhr.responseURL || form.action);
      });
      xhr.send(new FormData(form));
    });
  });
})();
