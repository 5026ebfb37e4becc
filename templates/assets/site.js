// The alignment map's "expand all" and "collapse all" (the map works without them).
(function () {
  "use strict";
  function all(open) {
    return function (event) {
      event.preventDefault();
      document.querySelectorAll("#map details").forEach(function (d) { d.open = open; });
    };
  }
  var expand = document.getElementById("expand-all");
  var collapse = document.getElementById("collapse-all");
  if (expand && collapse) {
    expand.hidden = false;
    collapse.hidden = false;
    expand.addEventListener("click", all(true));
    collapse.addEventListener("click", all(false));
  }
})();

// "Copy" buttons: copy the text of the field named by data-copy. The clipboard API needs a
// secure context (https, localhost); from file:// the field is selected for Ctrl+C instead.
(function () {
  "use strict";
  function say(button, text) {
    var status = document.getElementById(button.getAttribute("data-status") || "copy-status");
    if (status) { status.textContent = text; }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = field.value !== undefined ? field.value : field.textContent;
      field.focus();
      if (field.select) { field.select(); }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () {
          say(button, "Copied.");
        }, function () { say(button, "Selected: press Ctrl+C (⌘C) to copy."); });
      } else {
        say(button, "Selected: press Ctrl+C (⌘C) to copy.");
      }
    });
  });
})();
